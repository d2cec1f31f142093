/** Upgrade tasks and their subtasks on the platform. */
import type { ListWindow, Page } from '../domain/values.js';
import type { Operation, OperationFilter, OperationStatus, Subtask, SubtaskStatus, UpgradeTaskRequest } from '../domain/upgrade-tasks.js';
import { Api, learned } from './api.js';
import { record } from './normalize.js';
import { ENDPOINTS } from './platform/endpoints.js';
import { PlatformError } from './platform/errors.js';

/** The precision of the platform's createTime. */
const SECOND = 1000;
/** Recent tasks looked through when matching an unanswered create. */
const RECONCILE_WINDOW = 50;
/** Platform codes of a create that point at one argument, so the client knows which field to fix. */
const CREATE_ARGUMENTS: Record<string, string> = { '123016': 'input.fileId' };

const OPERATION_STATUS: Record<OperationStatus, string> = { WAIT: 'wait', PROCESSING: 'processing', SUCCESS: 'success', FAILED: 'failed', STOPPED: 'stop' };
const SUBTASK_STATUS: Record<SubtaskStatus, string> = { ...OPERATION_STATUS, FAILED: 'fail', TIMEOUT: 'timeout' };

/** A task a reconcile found, and when the platform says it made it (epoch ms, on the platform's clock, whole seconds). */
export interface CreatedTask {
  id: string;
  createdAt: number;
}

const compactTime = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export class UpgradeTasksApi extends Api {
  list(filter: OperationFilter, window: ListWindow): Promise<Page<Operation>> {
    const searchParams = {
      operationType: filter.type && filter.type.toLowerCase(),
      operationStatus: filter.status && OPERATION_STATUS[filter.status],
      deviceType: filter.deviceType,
      model: filter.model,
      manufacturerName: filter.manufacturerName,
      deviceId: filter.deviceId,
    };
    return this.readList({
      endpoint: ENDPOINTS.operations,
      window,
      options: { searchParams },
      key: 'data',
      convert: (raw) => {
        const operation = learned(this.normalize.operation(record(raw)));
        this.caches.rememberOperation(operation);
        return operation;
      },
    });
  }

  async find(id: string): Promise<Operation | null> {
    const cached = this.caches.operations.get(id);
    if (cached) return cached;
    const raw = await this.lookup(ENDPOINTS.operation, { path: { operationId: id } });
    if (raw === null) return null;
    const operation = learned(this.normalize.operation(record(raw)));
    this.caches.rememberOperation(operation);
    return operation;
  }

  /** Creates an upgrade task; never retried (a second POST could create a second task). `onSend`: see CallOptions. */
  async create(request: UpgradeTaskRequest, onSend?: (at: number) => void): Promise<string> {
    const { targets, policy } = request;
    const body = {
      fileId: request.fileId,
      targets: targets.deviceGroups?.length
        ? { deviceGroups: targets.deviceGroups, deviceType: targets.deviceType, model: targets.model, manufacturerName: targets.manufacturerName }
        : { devices: targets.deviceIds },
      policy: {
        executeType: policy.executeType.toLowerCase(),
        startTime: policy.startTime && compactTime(policy.startTime),
        endTime: policy.endTime && compactTime(policy.endTime),
        retryType: policy.retry,
        retryTimes: policy.retry ? policy.retryTimes : undefined,
      },
    };
    const endpoint = request.type === 'FIRMWARE_UPGRADE' ? ENDPOINTS.createFirmwareUpgrade : ENDPOINTS.createSoftwareUpgrade;
    try {
      return String(record(await this.call(endpoint, { json: body, onSend })).operationId);
    } catch (error) {
      if (error instanceof PlatformError && CREATE_ARGUMENTS[error.code]) error.argument = CREATE_ARGUMENTS[error.code];
      throw error;
    }
  }

  /**
   * Every task an unanswered create may have made, as the platform lists them: this request in every respect (type,
   * package, the same set of devices or groups, the same policy) and not created before `sentAfter`, the earliest
   * the platform's clock can have read when the create left. The platform keeps whole seconds: a task of that second
   * may be this create's, one of an earlier second cannot be. The package must be visible (extendPara.fileId), or
   * the gateway cannot tell the task from another rollout to the same devices.
   */
  async findCreated(request: UpgradeTaskRequest, sentAfter: number): Promise<CreatedTask[]> {
    const { targets, policy } = request;
    const byGroup = Boolean(targets.deviceGroups?.length);
    const filter: OperationFilter = byGroup
      ? { type: request.type, deviceType: targets.deviceType, model: targets.model, manufacturerName: targets.manufacturerName }
      : { type: request.type, deviceId: targets.deviceIds?.[0] };
    const recent = await this.list(filter, { start: 0, count: RECONCILE_WINDOW });
    const sameSet = (a: readonly string[] | undefined, b: readonly string[] | undefined) => {
      const left = new Set(a ?? []);
      return left.size === new Set(b ?? []).size && (b ?? []).every((x) => left.has(x));
    };
    const sameTime = (iso: string | undefined, date: Date | undefined) => (iso === undefined ? date === undefined : date !== undefined && Date.parse(iso) === Math.floor(date.getTime() / SECOND) * SECOND);
    return recent.items
      .map((o) => ({ operation: o, createdAt: Date.parse(o.createdAt ?? '') }))
      .filter(
        ({ operation: o, createdAt }) =>
          o.extendPara?.fileId === request.fileId &&
          o.policy?.executeType === policy.executeType &&
          Boolean(o.policy?.retry) === policy.retry &&
          (!policy.retry || o.policy?.retryTimes === policy.retryTimes) &&
          sameTime(o.policy?.startTime, policy.startTime) &&
          sameTime(o.policy?.endTime, policy.endTime) &&
          createdAt + SECOND > sentAfter &&
          (byGroup ? sameSet(targets.deviceGroups, o.targets.deviceGroups) : sameSet(targets.deviceIds, o.targets.deviceIds)),
      )
      .map(({ operation, createdAt }) => ({ id: operation.id, createdAt }));
  }

  /**
   * `knownTotal`: how many subtasks match, when the caller knows for sure (saves reading past the end).
   * `ended`: the task has ended, so its subtasks never change again and their pages are kept.
   */
  subtasks(operationId: string, status: SubtaskStatus | undefined, window: ListWindow, knownTotal?: number, ended = false): Promise<Page<Subtask>> {
    return this.readList({
      endpoint: ENDPOINTS.subOperations,
      window,
      options: { path: { operationId }, searchParams: { subOperationStatus: status && SUBTASK_STATUS[status] } },
      key: 'data',
      convert: (raw) => learned(this.normalize.subtask(record(raw), operationId)),
      knownTotal,
      pageCache: ended ? { cache: this.caches.subtaskPages, key: `${operationId}|${status ?? ''}` } : undefined,
    });
  }
}
