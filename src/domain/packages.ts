/** Upgrade packages and device groups: what an upgrade installs, and the sets of devices it may target. */
import { enumOf, type IsoTime, type ValueOf } from './values.js';

export const PackageType = enumOf(['FIRMWARE', 'SOFTWARE']);
export type PackageType = ValueOf<typeof PackageType>;

export interface UpgradePackage {
  /** When the gateway last learned it from the platform (mirrored packages only). */
  syncedAt?: IsoTime;
  id: string;
  name?: string;
  version?: string;
  type?: PackageType;
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
  protocolType?: string;
  description?: string;
  uploadedAt?: IsoTime;
}

export interface UpgradePackageFilter {
  type?: PackageType;
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
  version?: string;
}

export interface DeviceGroup {
  syncedAt?: IsoTime;
  id: string;
  name: string;
  description?: string;
  maxDevices?: number;
  deviceCount?: number;
}

/** What the platform compares of a package and a device to tell whether the package is for it (else 123016). */
export const PRODUCT_FIELDS = ['deviceType', 'model', 'manufacturerName'] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];
export type Product = Partial<Record<ProductField, string | null>>;

/** The fields the package names in which the device differs: empty when the package is for the device. */
export function productMismatch(pkg: Product, device: Product): (typeof PRODUCT_FIELDS)[number][] {
  return PRODUCT_FIELDS.filter((field) => pkg[field] !== undefined && pkg[field] !== null && device[field] !== pkg[field]);
}

/** `WaterMeter / WM100 / AcmeMetering`: a product as people name it. */
export function productName(product: Product): string {
  return PRODUCT_FIELDS.map((field) => product[field])
    .filter(Boolean)
    .join(' / ');
}
