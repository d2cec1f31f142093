/**
 * Upgrade tasks for one request (or one background actor): reads answered from the mirror when it holds them and
 * from the platform otherwise (the choice is invisible to callers); creates made exactly once, for mutations,
 * rollouts and retries alike, and followed by the mirror from their first moment.
 */
import DataLoader from 'dataloader';
import { lookupEach } from '../datasources/api.js';
import { mirroredFirst } from './mirror-access.js';
import { fromMirror } from './store-outage.js';
import type { UpgradeTasksApi } from '../datasources/upgrade-tasks.api.js';
import { hasEnded, knownSubtaskCount, statsOf, type Operation, type OperationFilter, type Subtask, type SubtaskStatus, type UpgradeTaskRequest } from '../domain/upgrade-tasks.js';
import { productMismatch, productName, type UpgradePackage } from '../domain/packages.js';
import { InvalidInputError, type Violation } from '../domain/errors.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { Mirror } from '../sync/mirror.js';
import { idSet, type Idempotency } from './exactly-once.js';

/** Who creates, under which key, and how long they may wait for another request's create of the same key. */
export interface CreateScope {
  client: string;
  key?: string;
  /** What kind of create the key was first used for (part of the input the key stands for). */
  kind: string;
  deadline: number;
}

export class UpgradeTasksService {
  readonly #byId = new DataLoader<string, Operation | null>(async (ids) =>
    mirroredFirst<Operation | Error>(ids, await fromMirror(this.mirror, (m) => m.repo.upgradeTasks.operationsById(ids)), (missing) => lookupEach(missing, (id) => this.api.find(id))),
  );

  /** This request's reads of mirrored subtask pages: tasks asking for the same window share one read. */
  readonly #mirroredPages = new DataLoader<string, Page<Subtask> | undefined>(async (keys) => {
    const groups = new Map<string, string[]>();
    for (const key of keys) {
      const [id, ...window] = JSON.parse(key) as [string, SubtaskStatus | null, number, number];
      const group = JSON.stringify(window);
      groups.set(group, [...(groups.get(group) ?? []), id]);
    }
    const found = new Map<string, Page<Subtask>>();
    for (const [group, ids] of groups) {
      const [status, start, count] = JSON.parse(group) as [SubtaskStatus | null, number, number];
      const pages = (await fromMirror(this.mirror, (m) => m.repo.upgradeTasks.subtaskPages(ids, status ?? undefined, { start, count }))) ?? new Map();
      for (const [id, page] of pages) found.set(JSON.stringify([id, status, start, count]), page);
    }
    return keys.map((key) => found.get(key));
  });

  constructor(
    private readonly api: UpgradeTasksApi,
    private readonly idempotency: Idempotency,
    private readonly mirror?: Mirror,
  ) {}

  /** Newest first: from the mirror once its lists are complete. */
  async list(filter: OperationFilter, window: ListWindow): Promise<Page<Operation>> {
    const page = (await fromMirror(this.mirror, (m) => m.repo.upgradeTasks.operations(filter, window), { ready: true })) ?? (await this.api.list(filter, window));
    // A subtask asking for its task later finds it here.
    for (const operation of page.items) this.#byId.prime(operation.id, operation);
    return page;
  }

  /** Null when the platform does not know it; read once per request however many fields ask. */
  find(id: string): Promise<Operation | null> {
    return this.#byId.load(id);
  }

  /** Several tasks in one read; unknown ones are left out. */
  async findMany(ids: readonly string[]): Promise<Operation[]> {
    return (await this.#byId.loadMany(ids)).filter((o): o is Operation => o !== null && !(o instanceof Error));
  }

  /** A task's subtasks in the platform's order: the mirror's once it has read them. */
  async subtasks(operation: Operation, status: SubtaskStatus | undefined, window: ListWindow): Promise<Page<Subtask>> {
    const mirrored = this.mirror && (await this.#mirroredPages.load(JSON.stringify([operation.id, status ?? null, window.start, window.count])));
    return mirrored ?? this.api.subtasks(operation.id, status, window, knownSubtaskCount(operation, status), hasEnded(operation));
  }

  /** Always the platform's list (when the mirror may not have taken a task's last notices yet). */
  subtasksOnPlatform(operation: Operation, window: ListWindow): Promise<Page<Subtask>> {
    return this.api.subtasks(operation.id, undefined, window, operation.stats.total, hasEnded(operation));
  }

  /**
   * A client's create: refused before any call when the mirror holds the package and knows some of the devices to be
   * of another product (what the platform refuses with 123016), each such device named by its path; devices or a
   * package the mirror does not hold are left to the platform.
   */
  async createForClient(request: UpgradeTaskRequest, scope: CreateScope): Promise<string> {
    const deviceIds = request.targets.deviceIds ?? [];
    const held = deviceIds.length > 0 && (await fromMirror(this.mirror, async (m) => ({ pkg: await m.repo.packages.package(request.fileId), devices: await m.repo.devices.devices(deviceIds) })));
    if (held && held.pkg) {
      const { pkg, devices } = held;
      const misfits: Violation[] = [];
      deviceIds.forEach((id, index) => {
        const device = devices.get(id);
        if (!device || productMismatch(pkg, device).length === 0) return;
        const message = `device ${id} is a ${productName(device)}; package ${pkg.id} is for ${productName(pkg)}`;
        misfits.push({ path: `input.targets.deviceIds.${index}`, rule: 'packageFits', message, upstreamCode: '123016' });
      });
      if (misfits.length > 0) throw InvalidInputError.of(misfits);
    }
    return this.create(request, scope);
  }

  /** Creates a task exactly once under `scope.key`; an unanswered create is reconciled against the platform's list. */
  create(request: UpgradeTaskRequest, scope: CreateScope): Promise<string> {
    const { targets } = request;
    // No groups is no groups, given or not (a rollout's task says [], a mutation leaves them out).
    const groups = targets.deviceGroups?.length ? targets.deviceGroups : undefined;
    const canonical = { ...request, targets: { ...targets, deviceIds: idSet(targets.deviceIds), deviceGroups: idSet(groups) } };
    return this.idempotency.run(
      { client: scope.client, key: scope.key, input: { mutation: scope.kind, request: canonical }, deadline: scope.deadline },
      {
        create: async (onSend) => {
          const id = await this.api.create(request, onSend);
          // The task exists whatever becomes of this: without the store (or on any failure) the mirror's poll takes it.
          await this.follow(id, request).catch(() => undefined);
          return id;
        },
        findCreated: (sentAfter) => this.api.findCreated(request, sentAfter),
      },
    );
  }

  /**
   * The mirror follows a new task from its first moment: a task for a list of devices is handed over as the create
   * asked for it (the next poll brings the platform's view of it); one for groups is read, since only the platform
   * knows which devices its groups hold (a failed read leaves it to the poll).
   */
  private async follow(id: string, request: UpgradeTaskRequest): Promise<void> {
    if (!this.mirror) return;
    const deviceIds = [...new Set(request.targets.deviceIds ?? [])];
    const pkg = await this.mirror.repo.packages.package(request.fileId);
    const operation = deviceIds.length > 0 ? requested(id, request, deviceIds, pkg) : await this.api.find(id).catch(() => null);
    if (operation) await this.mirror.created(operation);
  }
}

/** A task as its create asked for it (its package as the mirror knows it), before the platform says more of it. */
function requested(id: string, request: UpgradeTaskRequest, deviceIds: string[], pkg: UpgradePackage | undefined): Operation {
  const { targets, policy } = request;
  return {
    id,
    type: request.type,
    status: 'WAIT',
    createdAt: new Date().toISOString(),
    targets: { deviceIds, deviceGroups: [], deviceType: targets.deviceType, model: targets.model, manufacturerName: targets.manufacturerName },
    policy: { executeType: policy.executeType, startTime: policy.startTime?.toISOString(), endTime: policy.endTime?.toISOString(), retry: policy.retry, retryTimes: policy.retryTimes },
    stats: statsOf({ wait: deviceIds.length }),
    targetVersion: pkg?.version,
    // As the platform names a task's package.
    extendPara: { fileId: request.fileId, ...(pkg?.name === undefined ? {} : { fileName: pkg.name }), ...(pkg?.version === undefined ? {} : { fileVersion: pkg.version }) },
  };
}
