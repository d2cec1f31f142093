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

/**
 * Devices by what the mirror knows of them: every part given must hold. The flat fields are the first form (each an
 * equality, or what its comment says); `where` holds conditions per field, and `and`, `or`, `not` combine filters.
 */
export interface DeviceFilter {
  and?: DeviceFilter[];
  or?: DeviceFilter[];
  not?: DeviceFilter;
  where?: DeviceConditions;
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

/** A condition on a text field; every operator given must hold. A device without a value matches only `ne`, `notIn` and `isNull: true`. */
export interface TextCondition {
  eq?: string;
  /** Devices without a value included (as `fwVersionNot`). */
  ne?: string;
  in?: string[];
  notIn?: string[];
  prefix?: string;
  /** `*` any run of characters, `?` one character; case as given. */
  like?: string;
  isNull?: boolean;
}

/** Text operators on the version as reported, and ranges on versions compared part by part (see versionKey). */
export interface VersionCondition extends TextCondition {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
}

/** A time as an ISO string or the Date the GraphQL scalar parses. */
export type TimeBound = IsoTime | Date;
export interface TimeCondition {
  gt?: TimeBound;
  gte?: TimeBound;
  lt?: TimeBound;
  lte?: TimeBound;
  isNull?: boolean;
}

export interface StatusCondition {
  eq?: DeviceStatus;
  ne?: DeviceStatus;
  in?: DeviceStatus[];
  notIn?: DeviceStatus[];
  isNull?: boolean;
}

/** One condition per mirrored field at most. */
export interface DeviceConditions {
  id?: TextCondition;
  name?: TextCondition;
  gatewayId?: TextCondition;
  nodeType?: TextCondition;
  manufacturerId?: TextCondition;
  manufacturerName?: TextCondition;
  deviceType?: TextCondition;
  model?: TextCondition;
  protocolType?: TextCondition;
  fwVersion?: VersionCondition;
  swVersion?: VersionCondition;
  hwVersion?: VersionCondition;
  serialNumber?: TextCondition;
  mac?: TextCondition;
  location?: TextCondition;
  status?: StatusCondition;
  createdAt?: TimeCondition;
  /** The platform's last change to the device: its last time online or offline, a rename, a new version. */
  lastModifiedAt?: TimeCondition;
  syncedAt?: TimeCondition;
}

/** The fields devices can be counted by (times are not: filter on them instead). */
export const DeviceField = enumOf([
  'ID',
  'NAME',
  'GATEWAY_ID',
  'NODE_TYPE',
  'MANUFACTURER_ID',
  'MANUFACTURER_NAME',
  'DEVICE_TYPE',
  'MODEL',
  'PROTOCOL_TYPE',
  'FW_VERSION',
  'SW_VERSION',
  'HW_VERSION',
  'SERIAL_NUMBER',
  'MAC',
  'LOCATION',
  'STATUS',
]);
export type DeviceField = ValueOf<typeof DeviceField>;

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
