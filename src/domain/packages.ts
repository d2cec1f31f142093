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
