/**
 * Devices for one request: by id from the mirror in one read and from the platform for the rest, each once per
 * request; the fleet's lists and figures from the mirror only (the platform cannot answer them).
 */
import DataLoader from 'dataloader';
import type { DevicesApi } from '../datasources/devices.api.js';
import type { PackagesApi } from '../datasources/packages.api.js';
import { filterProblems, groupIdsOf } from '../domain/device-filter.js';
import type { Device, DeviceField, DeviceFilter, DeviceOrder, FleetSummary } from '../domain/devices.js';
import { InvalidInputError } from '../domain/errors.js';
import { byVersionDescending, newestPackage, type Compliance, type FleetAggregate, type ProductInput } from '../domain/fleet-analytics.js';
import { PRODUCT_FIELDS, type PackageType } from '../domain/packages.js';
import { fraction, type ListWindow, type Page } from '../domain/values.js';
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

  /** Devices per bucket of the groupBy fields' values, most first (`first` buckets), with the totals. */
  async aggregate(filter: DeviceFilter, groupBy: readonly DeviceField[], first: number): Promise<FleetAggregate> {
    return (await this.fleetMirror(filter)).repo.devices.aggregate(filter, groupBy, first);
  }

  /** A product's devices per version, and how many run its newest package's version; the product from a package or given. */
  async compliance(of: { packageId?: string; product?: ProductInput; type?: PackageType }): Promise<Compliance> {
    const given = Object.fromEntries(Object.entries(of.product ?? {}).filter(([, v]) => v !== undefined && v !== null)) as ProductInput;
    if ((of.packageId === undefined) === (of.product === undefined)) throw InvalidInputError.of([{ path: 'packageId', rule: 'exactlyOne', message: 'give exactly one of packageId and product' }]);
    if (of.product !== undefined && Object.keys(given).length === 0) {
      throw InvalidInputError.of([{ path: 'product', rule: 'notEmpty', message: 'name the product: deviceType, model or manufacturerName' }]);
    }
    const mirror = await readyMirror(this.mirror, 'Fleet queries', this.deadline);
    let product = given;
    let packageType = of.type ?? 'FIRMWARE';
    if (of.packageId !== undefined) {
      const pkg = await mirror.repo.packages.package(of.packageId);
      if (!pkg) throw InvalidInputError.of([{ path: 'packageId', rule: 'packageExists', message: `no upgrade package ${of.packageId} in the mirror` }]);
      product = Object.fromEntries(PRODUCT_FIELDS.filter((k) => pkg[k] !== undefined).map((k) => [k, pkg[k]]));
      packageType = pkg.type ?? packageType;
    }
    const [versions, packages] = await Promise.all([
      mirror.repo.devices.versionCounts(product, packageType === 'FIRMWARE' ? 'fw_version' : 'sw_version'),
      mirror.repo.packages.packages({ ...product, type: packageType }, { start: 0, count: Number.MAX_SAFE_INTEGER }),
    ]);
    const newest = newestPackage(packages.items);
    const total = versions.reduce((sum, v) => sum + v.count, 0);
    const onNewest = newest ? (versions.find((v) => v.version === newest.version)?.count ?? 0) : 0;
    return { ...product, packageType, total, versions: versions.sort(byVersionDescending), newestPackage: newest, onNewest, share: newest && total > 0 ? fraction(onNewest / total) : null };
  }

  /** The mirror, READY and holding what the filter needs; a filter past its limits is refused first. */
  private async fleetMirror(filter: DeviceFilter): Promise<Mirror> {
    const problems = filterProblems(filter, 'filter');
    if (problems.length > 0) throw InvalidInputError.of(problems);
    const mirror = await readyMirror(this.mirror, 'Fleet queries', this.deadline);
    for (const groupId of groupIdsOf(filter)) await groupMembersHeld(mirror, groupId, this.groups);
    return mirror;
  }
}
