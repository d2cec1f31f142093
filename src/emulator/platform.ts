/** The platform's state: fleet, clock, task engines, history, subscriptions and the devices' own changes. */
import { BatchEngine } from './batch.js';
import { Clock, type ClockMode } from './clock.js';
import { DeviceEvents } from './device-events.js';
import { statusAt } from './device-status.js';
import type { EngineContext, Outcomes, UpgradeNotice } from './engine.js';
import { generateFleet, registerDevice, removeDevice, type Fleet } from './fleet.js';
import { replayHistory } from './history.js';
import type { BatchTask, Device, DeviceStatus, Operation, Product } from './model.js';
import { Random, unseededRandom } from './random.js';
import { Steering, type SteeringView } from './steering.js';
import { Subscriptions, type Deliver, type ManagementType, type Subscription } from './subscriptions.js';
import { DAY, SECOND, toCompact } from './time.js';
import { UpgradeEngine } from './upgrades.js';

/** What POST /_emulator/devices/{deviceId} may change. */
export interface DeviceChange {
  status?: DeviceStatus;
  fwVersion?: string;
  swVersion?: string;
  name?: string;
}

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

/** A saved platform's parts (snapshot.ts reads them from a file); its clock goes on from `now`. */
export interface RestoredPlatform {
  now: number;
  fleet: Fleet;
  operations: Operation[];
  batchTasks: BatchTask[];
  subscriptions: Subscription[];
  steering: SteeringView;
}

export const DEFAULT_OUTCOMES: Outcomes = { success: 0.8, fail: 0.15, timeout: 0.05 };

/** Now, to the second: a realtime emulator's clock then reads like the wall clock (tests pin a start instead). */
export function defaultStartTime(): number {
  return Math.floor(Date.now() / SECOND) * SECOND;
}

const STEP_NUMBER = { idle: '0', downloading: '1', downloaded: '2', updating: '3' } as const;

export class Platform {
  readonly fleet: Fleet;
  readonly clock: Clock;
  readonly upgrades: UpgradeEngine;
  readonly batches: BatchEngine;
  readonly subscriptions: Subscriptions;
  readonly steering = new Steering();
  readonly devices: DeviceEvents;
  /** Ids of devices registered through the control API. */
  private readonly registrations: Random;

  /**
   * Generated from the options (seed, fleet size, start time), or `restored` from a saved state. A restored platform,
   * and with `unseededIds` a generated one after its history, draws new ids from a fresh stream: a kept state never
   * hands out again an id handed out after its last save, nor one an earlier platform of the same seed handed out.
   */
  constructor(
    readonly options: PlatformOptions,
    private readonly deliver: Deliver,
    restored?: RestoredPlatform,
    unseededIds = restored !== undefined,
  ) {
    this.fleet = restored?.fleet ?? generateFleet(options);
    this.clock = restored ? new Clock(restored.now, options.clock) : new Clock(options.startTime, options.clock, options.startTime - 31 * DAY);
    const stream = (seeded: number) => (unseededIds ? unseededRandom() : new Random(options.seed, seeded));
    this.subscriptions = new Subscriptions(stream(9), restored?.subscriptions);
    this.registrations = stream(10);
    this.devices = new DeviceEvents(this.fleet, this.clock, this.subscriptions, deliver);
    const context: EngineContext = {
      clock: this.clock,
      fleet: this.fleet,
      seed: options.seed,
      // A generated history draws its ids from the seeded stream.
      ids: restored ? unseededRandom() : new Random(options.seed, 7),
      outcomes: options.outcomes,
      steering: this.steering,
      notify: (notice) => this.notify(notice),
      deviceChanged: (device) => this.devices.changed(device),
      wantsProgress: (appId, firmware) =>
        this.subscriptions.find(appId, firmware ? 'fwUpgradeStateChangeNotify' : 'swUpgradeStateChangeNotify') !== undefined,
    };
    this.upgrades = new UpgradeEngine(context);
    this.batches = new BatchEngine(context);
    if (!restored) {
      replayHistory(options, this.fleet, this.clock, this.upgrades, this.batches);
      if (unseededIds) context.ids = unseededRandom();
      return;
    }
    this.steering.load(restored.steering);
    this.upgrades.restore(restored.operations);
    this.batches.restore(restored.batchTasks);
    for (const appId of this.fleet.apps.keys()) this.devices.rewatch(appId);
  }

  /** Adds or replaces a subscription (the routes decide whether a repeat is allowed). */
  subscribe(...args: Parameters<Subscriptions['add']>): Subscription {
    const subscription = this.subscriptions.add(...args);
    if (subscription.notifyType === 'deviceInfoChanged') this.devices.rewatch(subscription.appId);
    return subscription;
  }

  unsubscribe(doomed: readonly Subscription[]): void {
    this.subscriptions.remove(doomed);
    for (const s of doomed) if (s.notifyType === 'deviceInfoChanged') this.devices.rewatch(s.appId);
  }

  /** A device changes as the platform would see it (control API); returns whether anything changed. */
  changeDevice(device: Device, change: DeviceChange): boolean {
    const before = JSON.stringify([device.connectivity.pinned ?? null, device.fwVersion, device.swVersion, device.name]);
    const wasOnline = this.statusOf(device) === 'ONLINE';
    if (change.status !== undefined) device.connectivity.pinned = change.status;
    if (change.fwVersion !== undefined) device.fwVersion = change.fwVersion;
    if (change.swVersion !== undefined) device.swVersion = change.swVersion;
    if (change.name !== undefined) device.name = change.name;
    if (JSON.stringify([device.connectivity.pinned ?? null, device.fwVersion, device.swVersion, device.name]) === before) return false;
    device.lastModifiedTime = this.clock.now();
    this.devices.changed(device);
    if (!wasOnline && this.statusOf(device) === 'ONLINE') {
      this.upgrades.deviceOnline(device);
      this.batches.deviceOnline(device);
    }
    return true;
  }

  /** Registers a new device of the main application (control API), with the fields given (a status stays, as a change's). */
  registerDevice(product: Product, fields: DeviceChange): Device {
    const device = registerDevice(this.fleet, this.registrations, this.options.appId, product, fields, this.clock.now());
    this.devices.added(device);
    this.devices.watchNew(device);
    return device;
  }

  /** Deletes a device, unless an upgrade still waits or runs on it; returns whether it was deleted. */
  deleteDevice(device: Device): boolean {
    if (this.upgrades.hasActiveSubtask(device.deviceId)) return false;
    removeDevice(this.fleet, device);
    this.devices.deleted(device);
    return true;
  }

  private statusOf(device: Device): DeviceStatus {
    return statusAt(device.connectivity, this.clock.now());
  }

  private notify(notice: UpgradeNotice): void {
    const { subtask } = notice;
    const { operation } = subtask;
    const firmware = operation.operateType === 'firmware_upgrade';
    const notifyType: ManagementType =
      notice.kind === 'state'
        ? firmware ? 'fwUpgradeStateChangeNotify' : 'swUpgradeStateChangeNotify'
        : firmware ? 'fwUpgradeResultNotify' : 'swUpgradeResultNotify';
    const url = this.subscriptions.find(operation.appId, notifyType)?.callbackUrl;
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
