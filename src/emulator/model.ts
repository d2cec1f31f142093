/** The emulator's internal records. Times are epoch milliseconds; the HTTP layer formats them. */

export type DeviceStatus = 'ONLINE' | 'OFFLINE' | 'INACTIVE' | 'ABNORMAL';
export type NodeType = 'ENDPOINT' | 'GATEWAY';
export type FileType = 'firmwarePackage' | 'softwarePackage';
export type OperateType = 'firmware_upgrade' | 'software_upgrade';
export type OperationStatus = 'wait' | 'processing' | 'success' | 'failed' | 'stop';
export type SubOperationStatus = 'wait' | 'processing' | 'success' | 'fail' | 'stop' | 'timeout';
export type ExecuteType = 'now' | 'device_online' | 'custom';
export type BatchTaskStatus = 'Pending' | 'Running' | 'Complete' | 'Timeout';
export type BatchDetailStatus = 'Pending' | 'WaitResult' | 'Success' | 'Fail' | 'Timeout';

export interface App {
  appId: string;
  secret: string;
  frozen: boolean;
  /** Apps whose resources this app may read by passing their appId. */
  readableApps: Set<string>;
}

/** How a device's connectivity varies with time (see device-status.ts). */
export interface ConnectivityProfile {
  /** When it first connected; null: never. */
  activatedAt: number | null;
  segmentMs: number;
  pOnline: number;
  pAbnormal: number;
  key: number;
  /** Set by the control API: the device stays in this status until told otherwise. */
  pinned?: DeviceStatus;
}

export interface Product {
  manufacturerId: string;
  manufacturerName: string;
  deviceType: string;
  model: string;
  protocolType: string;
  /** Versions in release order; devices run one of them, packages carry them. */
  firmwareVersions: string[];
  softwareVersions: string[];
}

export interface Device {
  deviceId: string;
  appId: string;
  gatewayId: string;
  nodeType: NodeType;
  nodeId: string;
  name: string;
  description: string;
  product: Product;
  fwVersion: string;
  swVersion: string;
  hwVersion: string;
  serialNumber: string;
  mac: string;
  imsi: string;
  location: string;
  signalStrength: string;
  batteryLevel: string;
  createTime: number;
  lastModifiedTime: number;
  connectivity: ConnectivityProfile;
  /** Upgrades running on it now (statusDetail shows FIRMWARE_UPDATING). */
  upgrading: number;
}

export interface DeviceGroup {
  id: string;
  name: string;
  description: string;
  appId: string;
  maxDevNum: number;
  creator: string;
  members: string[];
}

export interface UpgradePackage {
  fileId: string;
  appId: string;
  name: string;
  version: string;
  fileType: FileType;
  product: Product;
  description: string;
  date: string;
  uploadTime: number;
}

export interface UpgradePolicy {
  executeType: ExecuteType;
  startTime?: number;
  endTime?: number;
  retryType: boolean;
  retryTimes?: number;
}

export interface UpgradeTargets {
  devices?: string[];
  deviceGroups?: string[];
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
}

export type StatusCounts = Record<SubOperationStatus, number>;

export interface Operation {
  operationId: string;
  appId: string;
  operateType: OperateType;
  pkg: UpgradePackage;
  targets: UpgradeTargets;
  policy: UpgradePolicy;
  status: OperationStatus;
  createTime: number;
  startTime?: number;
  stopTime?: number;
  subtasks: Subtask[];
  counts: StatusCounts;
  /** Generated history: when an operator stops it (a restored state puts that back on the clock). */
  stopAt?: number;
}

export interface Subtask {
  subOperationId: string;
  operation: Operation;
  deviceId: string;
  status: SubOperationStatus;
  createTime: number;
  startTime?: number;
  stopTime?: number;
  detailInfo?: string;
  sourceVersion: string;
  /** Runs so far (1 + retries). */
  attempts: number;
  /** Bumped whenever the subtask leaves a state, so events scheduled for the old state do nothing. */
  generation: number;
  /** Waiting, not parked: when its scheduled start falls due (a restored state puts it back on the clock there). */
  dueAt?: number;
  /** device_online: waiting for its device to come online (a control call that brings it online starts it). */
  parked?: boolean;
  /** Outcome rates steered by POST /_emulator/outcomes when this run started; absent: the seeded weights. */
  steer?: UpgradeSteer;
}

export interface UpgradeSteer {
  failureRate: number;
  timeoutRate: number;
}

export interface BatchCommand {
  serviceId: string;
  method: string;
  paras?: Record<string, unknown>;
}

export interface BatchDetail {
  deviceId: string;
  commandId: string;
  status: BatchDetailStatus;
  output?: string;
  error?: { error_code: string; error_desc: string };
  expired: boolean;
  /** WaitResult: when the command went to the device, and the failure rate steered then (the answer follows from both). */
  sentAt?: number;
  failureRate?: number;
}

export interface BatchTask {
  taskId: string;
  appId: string;
  taskName: string;
  operator: string;
  taskFrom: string;
  taskType: string;
  status: BatchTaskStatus;
  startTime: number;
  timeoutMinutes: number;
  param: Record<string, unknown>;
  tags: { tagName: string; tagValue: string }[];
  details: BatchDetail[];
  counts: { success: number; fail: number; timeout: number; expired: number };
}
