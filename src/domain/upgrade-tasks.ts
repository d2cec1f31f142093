/** Upgrade tasks (the platform's operations) and their per-device subtasks. */
import { enumOf, fraction, type IsoTime, type JsonObject, type ValueOf } from './values.js';

export const OperationType = enumOf(['FIRMWARE_UPGRADE', 'SOFTWARE_UPGRADE']);
export type OperationType = ValueOf<typeof OperationType>;
export const OperationStatus = enumOf(['WAIT', 'PROCESSING', 'SUCCESS', 'FAILED', 'STOPPED']);
export type OperationStatus = ValueOf<typeof OperationStatus>;
export const SubtaskStatus = enumOf(['WAIT', 'PROCESSING', 'SUCCESS', 'FAILED', 'STOPPED', 'TIMEOUT']);
export type SubtaskStatus = ValueOf<typeof SubtaskStatus>;
export const ExecuteType = enumOf(['NOW', 'DEVICE_ONLINE', 'CUSTOM']);
export type ExecuteType = ValueOf<typeof ExecuteType>;
/** A device's step while it upgrades, from state-change notifications. */
export const UpgradeStep = enumOf(['IDLE', 'DOWNLOADING', 'DOWNLOADED', 'UPDATING']);
export type UpgradeStep = ValueOf<typeof UpgradeStep>;

const ENDED_OPERATION: readonly string[] = ['SUCCESS', 'FAILED', 'STOPPED'];
const ENDED_BATCH_TASK: readonly string[] = ['COMPLETE', 'TIMEOUT'];

/** A task (upgrade or batch) that has ended never changes again (so it may be cached, and its counts are final). */
export function hasEnded(task: { status: string }): boolean {
  return ENDED_OPERATION.includes(task.status) || ENDED_BATCH_TASK.includes(task.status);
}

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

/** What a platform notification says of one subtask: a step while it runs, or its result. */
export interface SubtaskNotice {
  operationId: string;
  subtaskId: string;
  deviceId: string;
  type: OperationType;
  status?: SubtaskStatus;
  step?: UpgradeStep;
  detail?: string;
}

export interface OperationFilter {
  type?: OperationType;
  status?: OperationStatus;
  deviceType?: string;
  model?: string;
  manufacturerName?: string;
  deviceId?: string;
}

/** What a create-upgrade-task call asks for (validated before it gets here). */
export interface UpgradeTaskRequest {
  type: OperationType;
  fileId: string;
  targets: { deviceIds?: string[]; deviceGroups?: string[]; deviceType?: string; model?: string; manufacturerName?: string };
  policy: { executeType: ExecuteType; startTime?: Date; endTime?: Date; retry: boolean; retryTimes?: number };
}

export type SubtaskCounts = Pick<OperationStats, 'wait' | 'processing' | 'success' | 'fail' | 'stop' | 'timeout'> & { total?: number };

/** A task's stats from its subtasks' counts (a missing count is 0; total: all of them, unless given). */
export function statsOf(counts: Partial<SubtaskCounts>): OperationStats {
  const { wait = 0, processing = 0, success = 0, fail = 0, stop = 0, timeout = 0 } = counts;
  const total = counts.total ?? wait + processing + success + fail + stop + timeout;
  const completed = success + fail + stop + timeout;
  return {
    total,
    wait,
    processing,
    success,
    fail,
    stop,
    timeout,
    completed,
    progress: total === 0 ? 0 : fraction(completed / total),
    successRate: total === 0 ? undefined : fraction(success / total),
  };
}

/** A task's status judged by its counts: over only when every subtask is. */
export function statusOf(stats: OperationStats): OperationStatus {
  if (stats.total > 0 && stats.completed === stats.total) return stats.success === stats.total ? 'SUCCESS' : 'FAILED';
  return stats.processing + stats.completed > 0 ? 'PROCESSING' : 'WAIT';
}

const STATS_BUCKET = { WAIT: 'wait', PROCESSING: 'processing', SUCCESS: 'success', FAILED: 'fail', STOPPED: 'stop', TIMEOUT: 'timeout' } as const;

/** How many subtasks match for sure: all of them (fixed at creation), or a status count once the task has ended. */
export function knownSubtaskCount(operation: Operation, status: SubtaskStatus | undefined): number | undefined {
  if (status === undefined) return operation.stats.total;
  return hasEnded(operation) ? operation.stats[STATS_BUCKET[status]] : undefined;
}
