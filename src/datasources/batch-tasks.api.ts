/** Batch tasks on the platform (which cannot list them: only the gateway's own are known to it). */
import type { BatchTask, BatchTaskDetail, BatchTaskDetailStatus, BatchTaskRequest } from '../domain/batch-tasks.js';
import type { ListWindow, Page } from '../domain/values.js';
import { Api, learned } from './api.js';
import { record } from './normalize.js';
import { ENDPOINTS } from './platform/endpoints.js';

const DETAIL_STATUS: Record<BatchTaskDetailStatus, string> = { PENDING: 'Pending', WAIT_RESULT: 'WaitResult', SUCCESS: 'Success', FAIL: 'Fail', TIMEOUT: 'Timeout' };

export class BatchTasksApi extends Api {
  /** Creates a batch task for the gateway's application; never retried. */
  async create(request: BatchTaskRequest): Promise<string> {
    const { target } = request;
    const selector: Record<string, unknown> = {
      DeviceList: { deviceList: target.deviceIds },
      DeviceType: { deviceType: target.deviceType, manufacturerId: target.manufacturerId, model: target.model },
      DeviceArea: { deviceLocation: target.location },
      GroupList: { groupList: target.groups },
      GroupIdList: { groupList: target.groups },
      Broadcast: {},
    }[target.type] as Record<string, unknown>;
    const body = {
      appId: this.client.appId,
      taskName: request.name,
      taskType: request.type,
      timeout: request.timeoutMinutes,
      param: { type: target.type, ...selector, command: request.command, callbackUrl: request.callbackUrl },
      tags: request.tags.map((t) => ({ tagName: t.name, tagValue: t.value })),
    };
    // The platform spells it taskID here, taskId everywhere else.
    const answer = record(await this.call(ENDPOINTS.createBatchTask, { json: body }));
    return String(answer.taskID ?? answer.taskId);
  }

  /** `appId`: the task belongs to another application that authorised ours. */
  async find(id: string, appId?: string): Promise<BatchTask | null> {
    const raw = await this.lookup(ENDPOINTS.batchTask, { path: { taskId: id }, searchParams: { appId, select: 'tag' } });
    return raw === null ? null : learned(this.normalize.batchTask(record(raw)));
  }

  /** `appId`: the task belongs to another application; its details name that app's devices. */
  details(taskId: string, appId: string | undefined, status: BatchTaskDetailStatus | undefined, window: ListWindow, knownTotal?: number): Promise<Page<BatchTaskDetail>> {
    return this.readList({
      endpoint: ENDPOINTS.batchTaskDetails,
      window,
      options: { searchParams: { taskId, appId, status: status && DETAIL_STATUS[status] } },
      key: 'taskDetails',
      convert: (raw) => ({ ...this.normalize.batchTaskDetail(record(raw)), appId }),
      knownTotal,
    });
  }
}
