/**
 * Service-data pushes about devices (northbound-api README §11.4): deviceAdded, deviceInfoChanged, deviceDeleted,
 * to the device's application's subscriptions. Connectivity is a function of time, so while an application
 * subscribes deviceInfoChanged each of its devices has one event on the clock at its next status change.
 */
import type { Clock } from './clock.js';
import { nextChangeAt } from './device-status.js';
import type { Fleet } from './fleet.js';
import { formatDevice } from './format.js';
import type { Device } from './model.js';
import type { Deliver, ServiceType, Subscriptions } from './subscriptions.js';

export class DeviceEvents {
  /** appId → generation of its status watch; bumped to stop the events of an earlier watch. */
  private readonly watches = new Map<string, number>();

  constructor(
    private readonly fleet: Fleet,
    private readonly clock: Clock,
    private readonly subscriptions: Subscriptions,
    private readonly deliver: Deliver,
  ) {}

  added(device: Device): void {
    this.push(device, 'deviceAdded', { gatewayId: device.gatewayId, nodeType: device.nodeType, deviceInfo: this.info(device) });
  }

  changed(device: Device): void {
    this.push(device, 'deviceInfoChanged', { gatewayId: device.gatewayId, deviceInfo: this.info(device) });
  }

  deleted(device: Device): void {
    this.push(device, 'deviceDeleted', { gatewayId: device.gatewayId });
  }

  /** Call after the app's deviceInfoChanged subscription was added or removed. */
  rewatch(appId: string): void {
    const generation = (this.watches.get(appId) ?? 0) + 1;
    this.watches.set(appId, generation);
    if (!this.subscriptions.find(appId, 'deviceInfoChanged')) return;
    for (const device of this.fleet.devicesByApp.get(appId) ?? []) this.watch(device, generation);
  }

  /** A device registered while its app watches. */
  watchNew(device: Device): void {
    const generation = this.watches.get(device.appId);
    if (generation !== undefined && this.subscriptions.find(device.appId, 'deviceInfoChanged')) this.watch(device, generation);
  }

  private watch(device: Device, generation: number): void {
    const at = nextChangeAt(device.connectivity, this.clock.now());
    if (at === null) return;
    const notice = () => {
      // A pinned or deleted device no longer follows its timeline; a control call reports its changes.
      if (this.watches.get(device.appId) !== generation || device.connectivity.pinned || this.fleet.devices.get(device.deviceId) !== device) return;
      this.changed(device);
      this.watch(device, generation);
    };
    // Connectivity is a function of time: the notice changes no state.
    this.clock.schedule(at, notice, false);
  }

  private info(device: Device): unknown {
    return formatDevice(device, this.clock.now()).deviceInfo;
  }

  private push(device: Device, notifyType: ServiceType, fields: Record<string, unknown>): void {
    const subscription = this.subscriptions.find(device.appId, notifyType);
    if (subscription) this.deliver(subscription.callbackUrl, { notifyType, deviceId: device.deviceId, ...fields });
  }
}
