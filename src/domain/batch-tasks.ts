/** Batch tasks: one command sent to many devices, with a result per device (a detail). */
import { enumOf, type IsoTime, type JsonObject, type ValueOf } from './values.js';

export const BatchTaskStatus = enumOf(['PENDING', 'RUNNING', 'COMPLETE', 'TIMEOUT']);
export type BatchTaskStatus = ValueOf<typeof BatchTaskStatus>;
export const BatchTaskDetailStatus = enumOf(['PENDING', 'WAIT_RESULT', 'SUCCESS', 'FAIL', 'TIMEOUT']);
export type BatchTaskDetailStatus = ValueOf<typeof BatchTaskDetailStatus>;
/** Which devices a batch task addresses (the platform's param.type). */
export const BatchTargetType = {
  DEVICE_LIST: 'DeviceList',
  DEVICE_TYPE: 'DeviceType',
  DEVICE_AREA: 'DeviceArea',
  GROUP_LIST: 'GroupList',
  GROUP_ID_LIST: 'GroupIdList',
  BROADCAST: 'Broadcast',
} as const;
export type BatchTargetType = ValueOf<typeof BatchTargetType>;

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

export interface BatchTaskRequest {
  name: string;
  type: string;
  timeoutMinutes: number;
  target: { type: BatchTargetType; deviceIds?: string[]; deviceType?: string; manufacturerId?: string; model?: string; location?: string; groups?: string[] };
  command: { serviceId: string; method: string; paras?: JsonObject };
  callbackUrl?: string;
  tags: Tag[];
}
