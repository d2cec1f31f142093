/** Upgrade packages and device groups for one request: from the mirror once its lists are complete, else the platform. */
import DataLoader from 'dataloader';
import { lookupEach } from '../datasources/api.js';
import type { PackagesApi } from '../datasources/packages.api.js';
import type { Device } from '../domain/devices.js';
import type { DeviceGroup, UpgradePackage, UpgradePackageFilter } from '../domain/packages.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { Mirror } from '../sync/mirror.js';
import type { DevicesService } from './devices.service.js';
import { groupMembersHeld } from './mirror-access.js';
import { fromMirror } from './store-outage.js';

export class PackagesService {
  readonly #byId = new DataLoader<string, UpgradePackage | null>((ids) => lookupEach(ids, (id) => this.findOne(id)));

  constructor(
    private readonly api: PackagesApi,
    private readonly devices: DevicesService,
    private readonly mirror?: Mirror,
  ) {}

  /** Newest first. */
  async list(filter: UpgradePackageFilter, window: ListWindow): Promise<Page<UpgradePackage>> {
    const page = (await fromMirror(this.mirror, (m) => m.repo.packages.packages(filter, window), { ready: true })) ?? (await this.api.list(filter, window));
    for (const pkg of page.items) this.#byId.prime(pkg.id, pkg);
    return page;
  }

  /** Null when unknown; read once per request. */
  find(id: string): Promise<UpgradePackage | null> {
    return this.#byId.load(id);
  }

  async groups(window: ListWindow): Promise<Page<DeviceGroup>> {
    return (await fromMirror(this.mirror, (m) => m.repo.packages.groups(window), { ready: true })) ?? this.api.groups(window);
  }

  /**
   * A group's members (a device that no longer exists is left out); the first failed lookup fails the page. Once the
   * mirror is READY, from the mirror (which reads them first if its backfill has not yet).
   */
  async members(groupId: string, window: ListWindow): Promise<Page<Device>> {
    const mirrored = await fromMirror(
      this.mirror,
      async (m) => {
        await this.membersHeld(groupId);
        return m.repo.packages.groupMemberIds(groupId, window);
      },
      { ready: true },
    );
    const ids = mirrored ?? (await this.api.groupMemberIds(groupId, window));
    const devices = await this.devices.findMany(ids.items);
    const failure = devices.find((d) => d instanceof Error);
    if (failure) throw failure;
    return { totalCount: ids.totalCount, items: devices.filter((d): d is Device => d !== null && !(d instanceof Error)) };
  }

  /** Makes sure the mirror holds a group's members (see groupMembersHeld); nothing without the mirror. */
  async membersHeld(groupId: string): Promise<void> {
    if (this.mirror) await groupMembersHeld(this.mirror, groupId, this.api);
  }

  private async findOne(id: string): Promise<UpgradePackage | null> {
    return (await fromMirror(this.mirror, (m) => m.repo.packages.package(id))) ?? this.api.find(id);
  }
}
