/**
 * Devices for one request: by id from the mirror in one read and from the platform for the rest, each once per
 * request; the fleet's lists and figures from the mirror only (the platform cannot answer them).
 */
import DataLoader from 'dataloader';
import type { DevicesApi } from '../datasources/devices.api.js';
import type { PackagesApi } from '../datasources/packages.api.js';
import type { Device, DeviceFilter, DeviceOrder, FleetSummary } from '../domain/devices.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { Mirror } from '../sync/mirror.js';
import { groupMembersHeld, mirroredFirst, readyMirror } from './mirror-access.js';
import { fromMirror } from './store-outage.js';

export class DevicesService {
  readonly #byId = new DataLoader<string, Device | null>(async (ids) =>
    mirroredFirst<Device | Error>(ids, await fromMirror(this.mirror, (m) => m.repo.devices.devices(ids)), (missing) => this.api.findMany(missing)),
  );

  constructor(
    private readonly api: DevicesApi,
    private readonly appId: string,
    /** The request's: the fleet's questions wait for the mirror's first sync up to it. */
    private readonly deadline: number,
    /** A group's members, when a filter needs them before the mirror has read them. */
    private readonly groups: PackagesApi,
    private readonly mirror?: Mirror,
  ) {}

  /** Null when unknown. `appId`: a device of another application that authorised ours (never mirrored). */
  find(id: string, appId?: string): Promise<Device | null> {
    return appId === undefined || appId === this.appId ? this.#byId.load(id) : this.api.find(id, appId);
  }

  /** In the order of `ids`: each its device, null (unknown) or its own error. */
  findMany(ids: readonly string[]): Promise<(Device | null | Error)[]> {
    return this.#byId.loadMany(ids);
  }

  /**
   * An upgrade task's targets (all of one product): the mirror's in one read, the rest from the platform the
   * cheapest way (one by one, or the device type's list).
   */
  async ofOneProduct(ids: readonly string[]): Promise<(Device | null)[]> {
    const devices = await mirroredFirst<Device>(ids, await fromMirror(this.mirror, (m) => m.repo.devices.devices(ids)), (missing) => this.api.findOfOneProduct(missing));
    ids.forEach((id, i) => this.#byId.prime(id, devices[i] ?? null));
    return devices;
  }

  async fleet(filter: DeviceFilter, order: DeviceOrder, window: ListWindow): Promise<Page<Device>> {
    return (await this.fleetMirror(filter)).repo.devices.fleet(filter, order, window);
  }

  async summary(filter: DeviceFilter): Promise<FleetSummary> {
    return (await this.fleetMirror(filter)).repo.devices.fleetSummary(filter);
  }

  /** The mirror, READY and holding what the filter needs. */
  private async fleetMirror(filter: DeviceFilter): Promise<Mirror> {
    const mirror = await readyMirror(this.mirror, 'Fleet queries', this.deadline);
    if (filter.groupId !== undefined) await groupMembersHeld(mirror, filter.groupId, this.groups);
    return mirror;
  }
}
