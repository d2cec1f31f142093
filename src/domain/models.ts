/**
 * The domain: what the platform's payloads mean, converted once (ISO times, one spelling per enum value, numbers).
 * Resolvers and the schema see only these; the platform's raw shapes stay in this folder.
 */

export type OperationType = 'FIRMWARE_UPGRADE' | 'SOFTWARE_UPGRADE';
export type OperationStatus = 'WAIT' | 'PROCESSING' | 'SUCCESS' | 'FAILED' | 'STOPPED';
export type SubtaskStatus = 'WAIT' | 'PROCESSING' | 'SUCCESS' | 'FAILED' | 'STOPPED' | 'TIMEOUT';
export type ExecuteType = 'NOW' | 'DEVICE_ONLINE' | 'CUSTOM';
export type DeviceStatus = 'ONLINE' | 'OFFLINE' | 'INACTIVE' | 'ABNORMAL';
export type BatchTaskStatus = 'PENDING' | 'RUNNING' | 'COMPLETE' | 'TIMEOUT';
export type BatchTaskDetailStatus = 'PENDING' | 'WAIT_RESULT' | 'SUCCESS' | 'FAIL' | 'TIMEOUT';
export type PackageType = 'FIRMWARE' | 'SOFTWARE';

const ENDED_OPERATION: readonly OperationStatus[] = ['SUCCESS', 'FAILED', 'STOPPED'];
const ENDED_BATCH_TASK: readonly BatchTaskStatus[] = ['COMPLETE', 'TIMEOUT'];

/** A task that has ended never changes again (so it may be cached, and its counts are final). */
export function hasEnded(task: { status: OperationStatus | BatchTaskStatus }): boolean {
  return (ENDED_OPERATION as readonly string[]).includes(task.status) || (ENDED_BATCH_TASK as readonly string[]).includes(task.status);
}

/** ISO-8601 UTC time, e.g. 2015-12-12T12:12:12Z. */
export type IsoTime = string;
export type JsonObject = Record<string, unknown>;

export interface OperationTargets {
  deviceIds: string[];
  deviceGroups: string[];
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
}

export interface OperationPolicy {
  executeType: ExecuteType;
  startTime?: IsoTime;
  endTime?: IsoTime;
  retry: boolean;
  retryTimes?: number;
}

export interface OperationStats {
  total: number;
  wait: number;
  processing: number;
  success: number;
  fail: number;
  stop: number;
  timeout: number;
  completed: number;
  progress: number;
  successRate?: number;
}

export interface Operation {
  /** When the gateway last learned this state from the platform (a read or a notification). */
  syncedAt?: IsoTime;
  id: string;
  type: OperationType;
  status: OperationStatus;
  createdAt?: IsoTime;
  startedAt?: IsoTime;
  stoppedAt?: IsoTime;
  targets: OperationTargets;
  policy?: OperationPolicy;
  stats: OperationStats;
  targetVersion?: string;
  extendPara?: JsonObject;
}

export interface Subtask {
  /** When the gateway last learned this state from the platform (a read or a notification). */
  syncedAt?: IsoTime;
  id: string;
  operationId: string;
  type: OperationType;
  status: SubtaskStatus;
  createdAt?: IsoTime;
  startedAt?: IsoTime;
  stoppedAt?: IsoTime;
  detail?: string;
  extendInfo?: JsonObject;
  deviceId: string;
  /** The device's upgrade step, from state-change notifications (null once ended, or before any notice). */
  step?: UpgradeStep | null;
}

export type UpgradeStep = 'IDLE' | 'DOWNLOADING' | 'DOWNLOADED' | 'UPDATING';

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

export interface Tag {
  name: string;
  value: string;
}

export interface BatchTaskStats {
  total: number;
  success: number;
  fail: number;
  timeout: number;
  expired: number;
  completed: number;
  /** The platform's per-mille, as 0..1. */
  progress: number;
  successRate: number;
}

export interface BatchTask {
  /** When the gateway last learned this state from the platform (a read or a notification). */
  syncedAt?: IsoTime;
  id: string;
  appId?: string;
  name?: string;
  operator?: string;
  source?: string;
  type: string;
  status: BatchTaskStatus;
  startedAt?: IsoTime;
  timeout?: number;
  stats: BatchTaskStats;
  param?: JsonObject;
  tags: Tag[];
  /** The device list when `param` targets one (type DeviceList); empty otherwise. */
  deviceIds: string[];
}

export interface UpstreamError {
  code: string;
  description?: string;
}

export interface BatchTaskDetail {
  /** Set when the task belongs to another application (its devices are read with that appId). */
  appId?: string;
  status: BatchTaskDetailStatus;
  output?: string;
  error?: UpstreamError;
  deviceId?: string;
  commandId?: string;
  param?: JsonObject;
}

export interface UpgradePackage {
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

export interface DeviceGroup {
  id: string;
  name: string;
  description?: string;
  maxDevices?: number;
  deviceCount?: number;
}

/** One window of a platform list: the items and the list's total. */
export interface Page<T> {
  items: T[];
  totalCount: number;
}

/** Items [start, start + count) of a list. */
export interface ListWindow {
  start: number;
  count: number;
}

export interface OperationFilter {
  type?: OperationType;
  status?: OperationStatus;
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
  deviceId?: string;
}

export interface UpgradePackageFilter {
  type?: PackageType;
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
  version?: string;
}

/** What a create-upgrade-task call asks for (validated before it gets here). */
export interface UpgradeTaskRequest {
  type: OperationType;
  fileId: string;
  targets: { deviceIds?: string[]; deviceGroups?: string[]; deviceType?: string; model?: string; manufacturerName?: string };
  policy: { executeType: ExecuteType; startTime?: Date; endTime?: Date; retry: boolean; retryTimes?: number };
}

export type BatchTargetType = 'DeviceList' | 'DeviceType' | 'DeviceArea' | 'GroupList' | 'GroupIdList' | 'Broadcast';

export interface BatchTaskRequest {
  name: string;
  type: string;
  timeoutMinutes: number;
  target: { type: BatchTargetType; deviceIds?: string[]; deviceType?: string; manufacturerId?: string; model?: string; location?: string; groups?: string[] };
  command: { serviceId: string; method: string; paras?: JsonObject };
  callbackUrl?: string;
  tags: Tag[];
}
