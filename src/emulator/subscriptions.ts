/**
 * Every subscription of every application, both APIs in one store: the management subscribe (iodm v1.1.0, upgrade
 * types, a repeat replaces the URL) and the service-data subscriptions (iocm v1.2.0, a repeat is a conflict). The
 * v1.2.0 list and delete calls see both, as their filter lists suggest (northbound-api README §11.1).
 */
import type { Random } from './random.js';

export const MANAGEMENT_TYPES = [
  'swUpgradeStateChangeNotify',
  'swUpgradeResultNotify',
  'fwUpgradeStateChangeNotify',
  'fwUpgradeResultNotify',
] as const;
export type ManagementType = (typeof MANAGEMENT_TYPES)[number];

/** What POST /iocm/app/sub/v1.2.0/subscriptions accepts, in the documented order. */
export const SERVICE_TYPES = [
  'deviceAdded',
  'bindDevice',
  'deviceInfoChanged',
  'deviceDataChanged',
  'deviceDatasChanged',
  'deviceCapabilitiesChanged',
  'deviceCapabilitiesAdded',
  'deviceCapabilitiesDeleted',
  'deviceDeleted',
  'messageConfirm',
  'commandRsp',
  'ruleEvent',
  'deviceDesiredPropertiesModifyStatusChanged',
] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export type NotifyType = ManagementType | ServiceType;
export const ALL_TYPES: readonly NotifyType[] = [...SERVICE_TYPES, ...MANAGEMENT_TYPES];

export const CHANNELS = ['HTTP', 'MQTT'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Subscription {
  subscriptionId: string;
  appId: string;
  notifyType: NotifyType;
  callbackUrl: string;
  channel: Channel;
}

/** Sends one push to a subscription's callback URL (the emulator's Notifier); the platform and its device events share it. */
export type Deliver = (url: string, payload: Record<string, unknown>) => void;

export interface SubscriptionFilter {
  notifyType?: NotifyType;
  callbackUrl?: string;
  channel?: Channel;
}

export class Subscriptions {
  /** Ids have their own seeded stream, so subscribing does not shift the ids of tasks created later. */
  constructor(
    private readonly ids: Random,
    /** In creation order (a saved state's, when restored). */
    private list: Subscription[] = [],
  ) {}

  all(): readonly Subscription[] {
    return this.list;
  }

  find(appId: string, notifyType: NotifyType): Subscription | undefined {
    return this.list.find((s) => s.appId === appId && s.notifyType === notifyType);
  }

  byId(subscriptionId: string): Subscription | undefined {
    return this.list.find((s) => s.subscriptionId === subscriptionId);
  }

  /** Adds a subscription; an existing one of the same (app, type) is replaced (the caller decides if that is allowed). */
  add(appId: string, notifyType: NotifyType, callbackUrl: string, channel: Channel = 'HTTP'): Subscription {
    const existing = this.find(appId, notifyType);
    if (existing) {
      existing.callbackUrl = callbackUrl;
      existing.channel = channel;
      return existing;
    }
    const subscription = { subscriptionId: this.ids.hex(32), appId, notifyType, callbackUrl, channel };
    this.list.push(subscription);
    return subscription;
  }

  matching(appId: string, filter: SubscriptionFilter): Subscription[] {
    return this.list.filter(
      (s) =>
        s.appId === appId &&
        (!filter.notifyType || s.notifyType === filter.notifyType) &&
        (!filter.callbackUrl || s.callbackUrl === filter.callbackUrl) &&
        (!filter.channel || s.channel === filter.channel),
    );
  }

  remove(doomed: readonly Subscription[]): void {
    this.list = this.list.filter((s) => !doomed.includes(s));
  }
}
