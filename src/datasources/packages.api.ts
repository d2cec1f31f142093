/** Upgrade packages and device groups on the platform. */
import type { DeviceGroup, UpgradePackage, UpgradePackageFilter } from '../domain/packages.js';
import type { ListWindow, Page } from '../domain/values.js';
import { Api } from './api.js';
import { record } from './normalize.js';
import { ENDPOINTS } from './platform/endpoints.js';

/** Members read with a group whose size the platform does not say. */
const GROUP_MEMBERS_UNSIZED = 1000;

export class PackagesApi extends Api {
  list(filter: UpgradePackageFilter, window: ListWindow): Promise<Page<UpgradePackage>> {
    const searchParams = {
      fileType: filter.type && (filter.type === 'FIRMWARE' ? 'firmwarePackage' : 'softwarePackage'),
      deviceType: filter.deviceType,
      model: filter.model,
      manufacturerName: filter.manufacturerName,
      version: filter.version,
    };
    return this.readList({
      endpoint: ENDPOINTS.packages,
      window,
      options: { searchParams },
      key: 'data',
      convert: (raw) => {
        const pkg = this.normalize.upgradePackage(record(raw));
        this.caches.packages.set(pkg.id, pkg);
        return pkg;
      },
    });
  }

  async find(id: string): Promise<UpgradePackage | null> {
    const cached = this.caches.packages.get(id);
    if (cached) return cached;
    const raw = await this.lookup(ENDPOINTS.package, { path: { fileId: id } });
    if (raw === null) return null;
    const pkg = this.normalize.upgradePackage(record(raw));
    this.caches.packages.set(id, pkg);
    return pkg;
  }

  groups(window: ListWindow): Promise<Page<DeviceGroup>> {
    return this.readList({ endpoint: ENDPOINTS.deviceGroups, window, key: 'list', convert: (raw) => this.normalize.deviceGroup(record(raw)) });
  }

  groupMemberIds(groupId: string, window: ListWindow): Promise<Page<string>> {
    return this.readList({
      endpoint: ENDPOINTS.deviceGroupMembers,
      window,
      options: { searchParams: { devGroupId: groupId } },
      key: 'deviceIds',
      convert: (raw) => String(raw),
      pageCache: { cache: this.caches.groups, key: groupId },
    });
  }

  /** All of a group's member ids, in as few pages as its size allows (one for most groups). */
  async allGroupMemberIds(group: DeviceGroup): Promise<string[]> {
    const first = await this.groupMemberIds(group.id, { start: 0, count: Math.max(1, group.deviceCount ?? GROUP_MEMBERS_UNSIZED) });
    if (first.totalCount <= first.items.length) return first.items;
    const rest = await this.groupMemberIds(group.id, { start: first.items.length, count: first.totalCount - first.items.length });
    return [...first.items, ...rest.items];
  }
}
