/** The fleet counted: devices per bucket of field values, and how much of a product runs its newest package. */
import { versionKey } from './device-filter.js';
import type { DeviceField, VersionCount } from './devices.js';
import type { PackageType, ProductField, UpgradePackage } from './packages.js';

/** Buckets returned when `first` is not given, and at most. */
export const DEFAULT_BUCKETS = 100;
export const MAX_BUCKETS = 1000;
/** Fields one aggregation groups by at most. */
export const MAX_GROUP_BY = 4;

export interface FleetBucket {
  /** The groupBy fields' values, in the order asked; null where devices report none. */
  values: (string | null)[];
  count: number;
}

export interface FleetAggregate {
  groupBy: DeviceField[];
  /** Devices the filter matched (in every bucket, shown or not). */
  total: number;
  /** Buckets in all (`buckets` holds the first of them). */
  bucketCount: number;
  /** Most devices first. */
  buckets: FleetBucket[];
}

/** A product as a question names it: any of its fields, each a value. */
export type ProductInput = Partial<Record<ProductField, string>>;

export interface Compliance extends ProductInput {
  packageType: PackageType;
  /** The product's devices in the mirror. */
  total: number;
  /** Newest version first (versions of another form after them, by name). */
  versions: VersionCount[];
  newestPackage?: UpgradePackage;
  /** Devices running the newest package's version, and their share of `total` (null without a package). */
  onNewest: number;
  share: number | null;
}

/** The package with the highest version (compared part by part); among equals or versions of another form, the latest upload. */
export function newestPackage(packages: readonly UpgradePackage[]): UpgradePackage | undefined {
  const key = (p: UpgradePackage) => (p.version === undefined ? null : versionKey(p.version));
  return [...packages].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    if (ka !== kb) return ka === null ? 1 : kb === null ? -1 : ka < kb ? 1 : -1;
    return (b.uploadedAt ?? '').localeCompare(a.uploadedAt ?? '');
  })[0];
}

/** Newest version first: comparable versions by their parts, then the rest by name, devices reporting none last. */
export function byVersionDescending(a: VersionCount, b: VersionCount): number {
  if (a.version == null || b.version == null) return a.version == null ? (b.version == null ? 0 : 1) : -1;
  const [ka, kb] = [versionKey(a.version), versionKey(b.version)];
  if (ka !== kb) return ka === null ? 1 : kb === null ? -1 : ka < kb ? 1 : -1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}
