/** The platform's state: fleet, clock, task engines, history and management subscriptions. */
import { BatchEngine } from './batch.js';
import { Clock, type ClockMode } from './clock.js';
import type { EngineContext, Outcomes, UpgradeNotice } from './engine.js';
import { generateFleet, type Fleet } from './fleet.js';
import { replayHistory } from './history.js';
import { Random } from './random.js';
import { DAY, SECOND, toCompact } from './time.js';
import { UpgradeEngine } from './upgrades.js';

export const NOTIFY_TYPES = [
  'swUpgradeStateChangeNotify',
  'swUpgradeResultNotify',
  'fwUpgradeStateChangeNotify',
  'fwUpgradeResultNotify',
] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

export interface PlatformOptions {
  seed: number;
  devices: number;
  /** Emulated time at start (epoch ms). */
  startTime: number;
  clock: ClockMode;
  appId: string;
  secret: string;
  outcomes: Outcomes;
}

export const DEFAULT_OUTCOMES: Outcomes = { success: 0.8, fail: 0.15, timeout: 0.05 };

/** Now, to the second: a realtime emulator's clock then reads like the wall clock (tests pin a start instead). */
export function defaultStartTime(): number {
  return Math.floor(Date.now() / SECOND) * SECOND;
}

export type Deliver = (url: string, payload: Record<string, unknown>) => void;

const STEP_NUMBER = { idle: '0', downloading: '1', downloaded: '2', updating: '3' } as const;

export class Platform {
  readonly fleet: Fleet;
  readonly clock: Clock;
  readonly upgrades: UpgradeEngine;
  readonly batches: BatchEngine;
  /** appId → notifyType → callback URL. */
  readonly subscriptions = new Map<string, Map<NotifyType, string>>();

  constructor(
    readonly options: PlatformOptions,
    private readonly deliver: Deliver,
  ) {
    this.fleet = generateFleet(options);
    this.clock = new Clock(options.startTime, options.clock, options.startTime - 31 * DAY);
    const context: EngineContext = {
      clock: this.clock,
      fleet: this.fleet,
      seed: options.seed,
      ids: new Random(options.seed, 7),
      outcomes: options.outcomes,
      notify: (notice) => this.notify(notice),
      wantsProgress: (appId, firmware) =>
        this.subscriptions.get(appId)?.has(firmware ? 'fwUpgradeStateChangeNotify' : 'swUpgradeStateChangeNotify') ?? false,
    };
    this.upgrades = new UpgradeEngine(context);
    this.batches = new BatchEngine(context);
    replayHistory(options, this.fleet, this.clock, this.upgrades, this.batches);
  }

  subscribe(appId: string, notifyType: NotifyType, url: string): void {
    const forApp = this.subscriptions.get(appId) ?? new Map<NotifyType, string>();
    forApp.set(notifyType, url);
    this.subscriptions.set(appId, forApp);
  }

  private notify(notice: UpgradeNotice): void {
    const { subtask } = notice;
    const { operation } = subtask;
    const firmware = operation.operateType === 'firmware_upgrade';
    const notifyType: NotifyType =
      notice.kind === 'state'
        ? firmware ? 'fwUpgradeStateChangeNotify' : 'swUpgradeStateChangeNotify'
        : firmware ? 'fwUpgradeResultNotify' : 'swUpgradeResultNotify';
    const url = this.subscriptions.get(operation.appId)?.get(notifyType);
    if (!url) return;
    const device = this.fleet.devices.get(subtask.deviceId);
    const base = {
      notifyType,
      deviceId: subtask.deviceId,
      appId: operation.appId,
      operationId: operation.operationId,
      subOperationId: subtask.subOperationId,
    };
    if (notice.kind === 'state') {
      this.deliver(url, firmware
        ? { ...base, step: STEP_NUMBER[notice.step], stepDesc: notice.step }
        : { ...base, swUpgradeState: notice.step });
      return;
    }
    const versions = {
      curVersion: (firmware ? device?.fwVersion : device?.swVersion) ?? subtask.sourceVersion,
      targetVersion: operation.pkg.version,
      sourceVersion: subtask.sourceVersion,
    };
    const result = notice.success ? 'SUCCESS' : 'FAIL';
    this.deliver(url, firmware
      ? { ...base, ...versions, status: result, statusDesc: notice.description, upgradeTime: String(notice.durationSeconds) }
      : {
          ...base,
          ...versions,
          swUpgradeResult: result,
          upgradeTime: toCompact(this.clock.now()),
          resultDesc: notice.description,
          errorCode: notice.success ? '0' : '1',
          description: notice.success ? '' : notice.description,
        });
  }
}
