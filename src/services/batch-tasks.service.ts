/**
 * Batch tasks for one request. The platform pushes nothing about them and cannot list them: each read is asked of
 * the platform, and what it says is handed to the sync, which keeps it for `batchTasks` and tells subscribers.
 */
import DataLoader from 'dataloader';
import { lookupEach } from '../datasources/api.js';
import type { BatchTasksApi } from '../datasources/batch-tasks.api.js';
import type { BatchTask, BatchTaskDetail, BatchTaskDetailStatus, BatchTaskRequest } from '../domain/batch-tasks.js';
import type { Device } from '../domain/devices.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { Mirror } from '../sync/mirror.js';
import type { DevicesService } from './devices.service.js';
import { idSet, type Idempotency } from './exactly-once.js';
import { mirrorOn } from './mirror-access.js';
import type { CreateScope } from './upgrade-tasks.service.js';

export class BatchTasksService {
  /** Each task read once per request (a create reads what it made; its payload then finds it here). */
  readonly #byId = new DataLoader<{ id: string; appId?: string }, BatchTask | null, string>(
    (keys) => lookupEach(keys, ({ id, appId }) => this.read(id, appId)),
    { cacheKeyFn: ({ id, appId }) => `${appId ?? ''}/${id}` },
  );

  constructor(
    private readonly api: BatchTasksApi,
    private readonly devices: DevicesService,
    private readonly idempotency: Idempotency,
    private readonly appId: string,
    private readonly mirror?: Mirror,
  ) {}

  /** `appId`: a task of another application that authorised ours. */
  find(id: string, appId?: string): Promise<BatchTask | null> {
    return this.#byId.load({ id, appId });
  }

  private async read(id: string, appId: string | undefined): Promise<BatchTask | null> {
    const task = await this.api.find(id, appId);
    if (task) await this.mirror?.learnedBatchTask(task);
    return task;
  }

  /** Those created or read through the gateway, newest first (from the mirror). */
  list(window: ListWindow): Promise<Page<BatchTask>> {
    return mirrorOn(this.mirror, 'batchTasks').repo.batchTasks.batchTasks(window);
  }

  /** The targeted devices when the task addresses a device list. */
  targets(task: BatchTask): Promise<(Device | null | Error)[]> {
    const owner = this.ownerOf(task);
    return owner === undefined ? this.devices.findMany(task.deviceIds) : Promise.all(task.deviceIds.map((id) => this.devices.find(id, owner)));
  }

  /** One result per device: an unfiltered list is exactly `stats.total` long. */
  details(task: BatchTask, status: BatchTaskDetailStatus | undefined, window: ListWindow): Promise<Page<BatchTaskDetail>> {
    return this.api.details(task.id, this.ownerOf(task), status, window, status === undefined ? task.stats.total : undefined);
  }

  /** The device a result is about (read with its application's id when the task is another's). */
  deviceOf(detail: BatchTaskDetail): Promise<Device | null> {
    return detail.deviceId === undefined ? Promise.resolve(null) : this.devices.find(detail.deviceId, detail.appId);
  }

  /** Exactly once under `scope.key`; the platform cannot list batch tasks, so an unanswered create stays unknown. */
  create(request: BatchTaskRequest, scope: Omit<CreateScope, 'kind'>): Promise<string> {
    const canonical = { ...request, target: { ...request.target, deviceIds: idSet(request.target.deviceIds), groups: idSet(request.target.groups) } };
    return this.idempotency.run(
      { client: scope.client, key: scope.key, input: { mutation: 'createBatchTask', request: canonical }, deadline: scope.deadline },
      {
        create: async () => {
          const id = await this.api.create(request);
          // Kept for `batchTasks` at once (a failed read leaves it out).
          if (this.mirror) await this.find(id).catch(() => undefined);
          return id;
        },
        findCreated: async () => [],
      },
    );
  }

  /** The task's application, when it is not ours. */
  private ownerOf(task: BatchTask): string | undefined {
    return task.appId === undefined || task.appId === this.appId ? undefined : task.appId;
  }
}
