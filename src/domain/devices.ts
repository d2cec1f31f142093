/** Devices and the fleet they make up. */
import { enumOf, type IsoTime, type ValueOf } from './values.js';

export const DeviceStatus = enumOf(['ONLINE', 'OFFLINE', 'INACTIVE', 'ABNORMAL']);
export type DeviceStatus = ValueOf<typeof DeviceStatus>;
export const DeviceOrder = enumOf(['NAME', 'CREATED_AT', 'LAST_MODIFIED_AT']);
export type DeviceOrder = ValueOf<typeof DeviceOrder>;

export interface Device {
  /** When the gateway last learned this state from the platform (a read or a notification). */
  syncedAt?: IsoTime;
  id: string;
  gatewayId?: string;
  nodeType?: string;
  nodeId?: string;
  name?: string;
  description?: string;
  manufacturerId?: string;
  manufacturerName?: string;
  deviceType?: string;
  model?: string;
  protocolType?: string;
  swVersion?: string;
  fwVersion?: string;
  hwVersion?: string;
  serialNumber?: string;
  mac?: string;
  location?: string;
  status?: DeviceStatus;
  statusDetail?: string;
  signalStrength?: string;
  batteryLevel?: string;
  createdAt?: IsoTime;
  lastModifiedAt?: IsoTime;
}

export interface DeviceFilter {
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
  protocolType?: string;
  fwVersion?: string;
  swVersion?: string;
  fwVersionNot?: string;
  swVersionNot?: string;
  status?: DeviceStatus[];
  gatewayId?: string;
  groupId?: string;
  nameContains?: string;
}

export interface StatusCount {
  status?: DeviceStatus | null;
  count: number;
}
export interface VersionCount {
  version?: string | null;
  count: number;
  online: number;
}
export interface KeyCount {
  key?: string | null;
  count: number;
}

export interface FleetSummary {
  total: number;
  byStatus: StatusCount[];
  byFwVersion: VersionCount[];
  bySwVersion: VersionCount[];
  byDeviceType: KeyCount[];
}
