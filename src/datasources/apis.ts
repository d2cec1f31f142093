/**
 * Typed per-area APIs over the platform client: each method is one platform call (or, for a window, the pages
 * that cover it) and returns domain objects. Lookups by id answer null when the platform says the thing does
 * not exist; every other failure is a PlatformError.
 */
import type { BatchTaskRequest, BatchTask, BatchTaskDetail, BatchTaskDetailStatus } from '../domain/batch-tasks.js';
import type { UpgradeTaskRequest, Operation, OperationFilter, OperationStatus, Subtask, SubtaskStatus } from '../domain/upgrade-tasks.js';
import type { Device } from '../domain/devices.js';
import type { DeviceGroup, UpgradePackage, UpgradePackageFilter } from '../domain/packages.js';
import type { ListWindow, Page } from '../domain/values.js';
import { integer, record, type Normalizer } from './normalize.js';
import { fetchWindow } from './platform/paging.js';
import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import type { Cache, PlatformCaches } from './caches.js';
import type { CallOptions, CallScope, Endpoint, PlatformClient } from './platform/client.js';
import { PlatformError } from './platform/errors.js';
import type { MirrorRepositories } from '../store/index.js';

const get = (template: Endpoint['template']): Endpoint => ({ method: 'GET', template });
const post = (template: Endpoint['template']): Endpoint => ({ method: 'POST', template });
const del = (template: Endpoint['template']): Endpoint => ({ method: 'DELETE', template });

export const ENDPOINTS = {
  operations: get('/iodm/northbound/v1.5.0/operations'),
  operation: get('/iodm/northbound/v1.5.0/operations/{operationId}'),
  subOperations: get('/iodm/northbound/v1.5.0/operations/{operationId}/subOperations'),
  packages: get('/iodm/northbound/v1.5.0/category'),
  package: get('/iodm/northbound/v1.5.0/category/{fileId}'),
  batchTask: get('/iocm/app/batchtask/v1.1.0/tasks/{taskId}'),
  batchTaskDetails: get('/iocm/app/batchtask/v1.1.0/taskDetails'),
  device: get('/iocm/app/dm/v1.4.0/devices/{deviceId}'),
  devices: get('/iocm/app/dm/v1.4.0/devices'),
  deviceGroups: get('/iocm/app/devgroup/v1.3.0/devGroups'),
  deviceGroupMembers: get('/iocm/app/dm/v1.2.0/devices/ids'),
  createFirmwareUpgrade: post('/iodm/northbound/v1.5.0/operations/firmwareUpgrade'),
  createSoftwareUpgrade: post('/iodm/northbound/v1.5.0/operations/softwareUpgrade'),
  createBatchTask: post('/iocm/app/batchtask/v1.1.0/tasks'),
  subscribeManagement: post('/iodm/app/sub/v1.1.0/subscribe'),
  subscribe: post('/iocm/app/sub/v1.2.0/subscriptions'),
  subscriptions: get('/iocm/app/sub/v1.2.0/subscriptions'),
  unsubscribe: del('/iocm/app/sub/v1.2.0/subscriptions/{subscriptionId}'),
} as const;

/**
 * What the fleet mirror holds (src/mirror keeps it): the APIs answer from it whenever it has the object, and ask the
 * platform otherwise. `ready`: its lists are complete, so a list may be answered from it too.
 */
export interface MirrorSource {
  readonly ready: boolean;
  readonly repo: MirrorRepositories;
  /** A task the gateway just created: the mirror keeps it and follows it at once. */
  noticed(operation: Operation): Promise<void>;
}

/**
 * How far the platform's clock may trail the gateway's when matching an unanswered create. Small on purpose: a task
 * made before the send is someone else's, and claiming it would hide that this create never happened.
 */
const CLOCK_SKEW_MS = 2_000;
/** Recent tasks looked through when matching an unanswered create. */
const RECONCILE_WINDOW = 50;

const compactTime = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** Single device lookups in flight at once: enough to hide latency, few enough to leave the budget to others. */
export const LOOKUP_CONCURRENCY = 8;

/** The largest page each list endpoint serves. */
export const MAX_PAGE_SIZE = { operations: 100, subOperations: 100, packages: 100, batchTaskDetails: 250, devices: 250, deviceGroups: 500, deviceGroupMembers: 1000 } as const;

const OPERATION_STATUS: Record<OperationStatus, string> = { WAIT: 'wait', PROCESSING: 'processing', SUCCESS: 'success', FAILED: 'failed', STOPPED: 'stop' };
const SUBTASK_STATUS: Record<SubtaskStatus, string> = { ...OPERATION_STATUS, FAILED: 'fail', TIMEOUT: 'timeout' };
const DETAIL_STATUS: Record<BatchTaskDetailStatus, string> = { PENDING: 'Pending', WAIT_RESULT: 'WaitResult', SUCCESS: 'Success', FAIL: 'Fail', TIMEOUT: 'Timeout' };

/** Reads one list page: the array under `key` and the total (quoted on some pages, `totalSize` in some SDKs). */
function listPage<T>(body: unknown, key: string, convert: (item: unknown) => T): Page<T> {
  const raw = record(body);
  const items = Array.isArray(raw[key]) ? (raw[key] as unknown[]).map(convert) : [];
  return { items, totalCount: integer(raw.totalCount) ?? integer(raw.totalSize) ?? items.length };
}

/** An object just read from the platform: learned now. */
function learned<T extends object>(value: T): T & { syncedAt: string } {
  return { ...value, syncedAt: new Date().toISOString() };
}

/** Null for the platform's "does not exist" answers; rethrows everything else. */
async function orNull<T>(lookup: Promise<T>, notFoundCodes: readonly string[]): Promise<T | null> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof PlatformError && notFoundCodes.includes(error.code)) return null;
    throw error;
  }
}

abstract class Api {
  constructor(
    protected readonly client: PlatformClient,
    protected readonly normalize: Normalizer,
    protected readonly caches: PlatformCaches,
    /** The request's deadline and priority, applied to every call it makes. */
    protected readonly scope?: CallScope,
    protected readonly mirror?: MirrorSource,
  ) {}

  /** The mirror, when its lists are complete. */
  protected get readyMirror(): MirrorRepositories | undefined {
    return this.mirror?.ready ? this.mirror.repo : undefined;
  }

  protected call(endpoint: Endpoint, options?: CallOptions): Promise<unknown> {
    return this.client.call(endpoint, options, this.scope);
  }

  /** A window of a list endpoint, read from the pages that cover it. */
  protected window<T>(
    endpoint: Endpoint,
    maxPageSize: number,
    window: ListWindow,
    options: CallOptions,
    key: string,
    convert: (item: unknown) => T,
    knownTotal?: number,
    /** Where pages may be kept (lists that never change again), and the key prefix for this list. */
    pageCache?: { cache: Cache<Page<T>>; key: string },
  ): Promise<Page<T>> {
    const fetchPage = async (pageNo: number, pageSize: number): Promise<Page<T>> => {
      const cacheKey = pageCache && `${pageCache.key}|${pageNo}|${pageSize}`;
      const cached = cacheKey === undefined ? undefined : pageCache?.cache.get(cacheKey);
      if (cached) return cached;
      const page = listPage(await this.call(endpoint, { ...options, searchParams: { ...options.searchParams, pageNo, pageSize } }), key, convert);
      if (cacheKey !== undefined) pageCache?.cache.set(cacheKey, page);
      return page;
    };
    return fetchWindow(window, maxPageSize, fetchPage, knownTotal);
  }
}

export class OperationsApi extends Api {
  list(filter: OperationFilter, window: ListWindow): Promise<Page<Operation>> {
    return this.readyMirror?.upgradeTasks.operations(filter, window) ?? this.listFromPlatform(filter, window);
  }

  /** Always the platform's answer (the mirror's sync reads this way). */
  listFromPlatform(filter: OperationFilter, window: ListWindow): Promise<Page<Operation>> {
    const searchParams = {
      operationType: filter.type && filter.type.toLowerCase(),
      operationStatus: filter.status && OPERATION_STATUS[filter.status],
      deviceType: filter.deviceType,
      model: filter.model,
      manufacturerName: filter.manufacturerName,
      deviceId: filter.deviceId,
    };
    return this.window(ENDPOINTS.operations, MAX_PAGE_SIZE.operations, window, { searchParams }, 'data', (raw) => {
      const operation = learned(this.normalize.operation(record(raw)));
      this.caches.rememberOperation(operation);
      return operation;
    });
  }

  async find(id: string): Promise<Operation | null> {
    const mirrored = await this.mirror?.repo.upgradeTasks.operation(id);
    if (mirrored) return mirrored;
    return this.findOnPlatform(id);
  }

  async findOnPlatform(id: string): Promise<Operation | null> {
    const cached = this.caches.operations.get(id);
    if (cached) return cached;
    const raw = await orNull(this.call(ENDPOINTS.operation, { path: { operationId: id } }), ['123009']);
    if (raw === null) return null;
    const operation = learned(this.normalize.operation(record(raw)));
    this.caches.rememberOperation(operation);
    return operation;
  }

  /** Creates an upgrade task; never retried (a second POST could create a second task). */
  async create(request: UpgradeTaskRequest): Promise<string> {
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
    const answer = record(await this.call(endpoint, { json: body }));
    const operationId = String(answer.operationId);
    // Subscribers follow it from the start, not from the mirror's next poll (a failed read leaves that to the poll).
    if (this.mirror) {
      const operation = await this.findOnPlatform(operationId).catch(() => null);
      if (operation) await this.mirror.noticed(operation);
    }
    return operationId;
  }

  /**
   * Every task an unanswered create may have made: this request in every respect (type, package, the same set of
   * devices or groups, the same policy) and created since `sentAt`. The package must be visible
   * (extendPara.fileId), or the gateway cannot tell the task from another rollout to the same devices.
   */
  async findCreated(request: UpgradeTaskRequest, sentAt: number): Promise<string[]> {
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
    const sameTime = (iso: string | undefined, date: Date | undefined) => (iso === undefined ? date === undefined : date !== undefined && Date.parse(iso) === Math.floor(date.getTime() / 1000) * 1000);
    // The platform keeps whole seconds: a task made in the second of the send counts.
    const since = Math.floor(sentAt / 1000) * 1000 - CLOCK_SKEW_MS;
    return recent.items
      .filter(
        (o) =>
          o.extendPara?.fileId === request.fileId &&
          o.policy?.executeType === policy.executeType &&
          Boolean(o.policy?.retry) === policy.retry &&
          (!policy.retry || o.policy?.retryTimes === policy.retryTimes) &&
          sameTime(o.policy?.startTime, policy.startTime) &&
          sameTime(o.policy?.endTime, policy.endTime) &&
          Date.parse(o.createdAt ?? '') >= since &&
          (byGroup ? sameSet(targets.deviceGroups, o.targets.deviceGroups) : sameSet(targets.deviceIds, o.targets.deviceIds)),
      )
      .map((o) => o.id);
  }

  /**
   * `knownTotal`: how many subtasks match, when the caller knows for sure (saves reading past the end).
   * `ended`: the task has ended, so its subtasks never change again and their pages are kept.
   */
  async subtasks(operationId: string, status: SubtaskStatus | undefined, window: ListWindow, knownTotal?: number, ended = false): Promise<Page<Subtask>> {
    const mirrored = this.mirror && (await this.mirroredPages.load(JSON.stringify([operationId, status ?? null, window.start, window.count])));
    return mirrored ?? this.subtasksFromPlatform(operationId, status, window, knownTotal, ended);
  }

  /** The mirror's subtask pages of this request, read together: tasks asking for the same window share one read. */
  private readonly mirroredPages = new DataLoader<string, Page<Subtask> | undefined>(async (keys) => {
    const asked = keys.map((key) => JSON.parse(key) as [string, SubtaskStatus | null, number, number]);
    const groups = new Map<string, string[]>();
    for (const [id, status, start, count] of asked) {
      const group = JSON.stringify([status, start, count]);
      groups.set(group, [...(groups.get(group) ?? []), id]);
    }
    const found = new Map<string, Page<Subtask>>();
    for (const [group, ids] of groups) {
      const [status, start, count] = JSON.parse(group) as [SubtaskStatus | null, number, number];
      const pages = (await this.mirror?.repo.upgradeTasks.subtaskPages(ids, status ?? undefined, { start, count })) ?? new Map();
      for (const [id, page] of pages) found.set(JSON.stringify([id, status, start, count]), page);
    }
    return keys.map((key) => found.get(key));
  });

  subtasksFromPlatform(operationId: string, status: SubtaskStatus | undefined, window: ListWindow, knownTotal?: number, ended = false): Promise<Page<Subtask>> {
    const options = { path: { operationId }, searchParams: { subOperationStatus: status && SUBTASK_STATUS[status] } };
    return this.window(
      ENDPOINTS.subOperations,
      MAX_PAGE_SIZE.subOperations,
      window,
      options,
      'data',
      (raw) => learned(this.normalize.subtask(record(raw), operationId)),
      knownTotal,
      ended ? { cache: this.caches.subtaskPages, key: `${operationId}|${status ?? ''}` } : undefined,
    );
  }
}

export class DevicesApi extends Api {
  /** `appId`: a device of another application that authorised ours. */
  async find(id: string, appId?: string): Promise<Device | null> {
    // The mirror holds the gateway's own application's devices.
    const mirrored = appId === undefined ? await this.mirror?.repo.devices.device(id) : undefined;
    return mirrored ?? this.findOnPlatform(id, appId);
  }

  /**
   * Devices by id, in the order of `ids`: those the mirror holds in one read, the others one by one from the
   * platform (a bounded number at once); each id gets its device, null (unknown) or its own error.
   */
  async findMany(ids: readonly string[]): Promise<(Device | null | Error)[]> {
    const mirrored = (await this.mirror?.repo.devices.devices(ids)) ?? new Map<string, Device>();
    const limit = pLimit(LOOKUP_CONCURRENCY);
    return Promise.all(
      ids.map((id) => mirrored.get(id) ?? limit(() => this.findOnPlatform(id)).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))),
    );
  }

  private async findOnPlatform(id: string, appId?: string): Promise<Device | null> {
    const key = `${appId ?? ''}|${id}`;
    const cached = this.caches.devices.get(key);
    if (cached) return cached;
    const raw = await orNull(this.call(ENDPOINTS.device, { path: { deviceId: id }, searchParams: { appId } }), ['100403', '100418']);
    if (raw === null) return null;
    const device = learned(this.normalize.device(record(raw)));
    this.caches.devices.set(key, device);
    return device;
  }

  /**
   * Devices known to be of one product (an upgrade task's targets), in the order of `ids`. There is no multi-id
   * lookup: the gateway either reads them one by one, or lists the whole device type (250 a page) when the counts
   * say that costs fewer calls — one read tells the type, one the type's size.
   */
  async findOfOneProduct(ids: readonly string[]): Promise<(Device | null)[]> {
    const found = new Map<string, Device | null>();
    for (const [id, device] of (await this.mirror?.repo.devices.devices(ids)) ?? []) found.set(id, device);
    const missing = [...new Set(ids)].filter((id) => {
      if (found.has(id)) return false;
      const cached = this.caches.devices.get(`|${id}`);
      if (cached) found.set(id, cached);
      return !cached;
    });
    const [probeId, ...rest] = missing;
    if (probeId !== undefined) {
      const probe = await this.findOnPlatform(probeId);
      found.set(probeId, probe);
      const deviceType = probe?.deviceType;
      // Listing costs the count plus at least one page: it can only win from four devices on.
      if (deviceType !== undefined && rest.length > 3) {
        const size = await this.countOfType(deviceType);
        if (Math.ceil(size / MAX_PAGE_SIZE.devices) < rest.length) {
          const listed = await this.listOfType(deviceType, size);
          for (const device of listed) this.caches.devices.set(`|${device.id}`, device);
          for (const id of rest) {
            const device = listed.find((d) => d.id === id);
            if (device) found.set(id, device);
          }
        }
      }
      // Whatever the listing did not show (or all, when one by one was cheaper).
      const leftover = rest.filter((id) => !found.has(id));
      const limit = pLimit(LOOKUP_CONCURRENCY);
      const single = await Promise.all(leftover.map((id) => limit(() => this.findOnPlatform(id))));
      leftover.forEach((id, i) => found.set(id, single[i] ?? null));
    }
    return ids.map((id) => found.get(id) ?? null);
  }

  /** A window of all the application's devices, from the platform (the mirror's sync reads this way). */
  list(window: ListWindow): Promise<Page<Device>> {
    return this.window(ENDPOINTS.devices, MAX_PAGE_SIZE.devices, window, {}, 'devices', (raw) => learned(this.normalize.device(record(raw))));
  }

  private async countOfType(deviceType: string): Promise<number> {
    const page = listPage(await this.call(ENDPOINTS.devices, { searchParams: { deviceType, pageNo: 0, pageSize: 1 } }), 'devices', (raw) => raw);
    return page.totalCount;
  }

  private async listOfType(deviceType: string, size: number): Promise<Device[]> {
    const page = await this.window(ENDPOINTS.devices, MAX_PAGE_SIZE.devices, { start: 0, count: size }, { searchParams: { deviceType } }, 'devices', (raw) =>
      this.normalize.device(record(raw)),
      size,
    );
    return page.items;
  }
}

export class DeviceGroupsApi extends Api {
  list(window: ListWindow): Promise<Page<DeviceGroup>> {
    return this.readyMirror?.packages.groups(window) ?? this.listFromPlatform(window);
  }

  listFromPlatform(window: ListWindow): Promise<Page<DeviceGroup>> {
    return this.window(ENDPOINTS.deviceGroups, MAX_PAGE_SIZE.deviceGroups, window, {}, 'list', (raw) => this.normalize.deviceGroup(record(raw)));
  }

  async memberIds(groupId: string, window: ListWindow): Promise<Page<string>> {
    return (await this.readyMirror?.packages.groupMemberIds(groupId, window)) ?? this.memberIdsFromPlatform(groupId, window);
  }

  memberIdsFromPlatform(groupId: string, window: ListWindow): Promise<Page<string>> {
    return this.window(
      ENDPOINTS.deviceGroupMembers,
      MAX_PAGE_SIZE.deviceGroupMembers,
      window,
      { searchParams: { devGroupId: groupId } },
      'deviceIds',
      (raw) => String(raw),
      undefined,
      { cache: this.caches.groups, key: groupId },
    );
  }

}

export class UpgradePackagesApi extends Api {
  list(filter: UpgradePackageFilter, window: ListWindow): Promise<Page<UpgradePackage>> {
    return this.readyMirror?.packages.packages(filter, window) ?? this.listFromPlatform(filter, window);
  }

  listFromPlatform(filter: UpgradePackageFilter, window: ListWindow): Promise<Page<UpgradePackage>> {
    const searchParams = {
      fileType: filter.type && (filter.type === 'FIRMWARE' ? 'firmwarePackage' : 'softwarePackage'),
      deviceType: filter.deviceType,
      model: filter.model,
      manufacturerName: filter.manufacturerName,
      version: filter.version,
    };
    return this.window(ENDPOINTS.packages, MAX_PAGE_SIZE.packages, window, { searchParams }, 'data', (raw) => {
      const pkg = this.normalize.upgradePackage(record(raw));
      this.caches.packages.set(pkg.id, pkg);
      return pkg;
    });
  }

  async find(id: string): Promise<UpgradePackage | null> {
    const mirrored = await this.mirror?.repo.packages.package(id);
    if (mirrored) return mirrored;
    const cached = this.caches.packages.get(id);
    if (cached) return cached;
    const raw = await orNull(this.call(ENDPOINTS.package, { path: { fileId: id } }), ['123002']);
    if (raw === null) return null;
    const pkg = this.normalize.upgradePackage(record(raw));
    this.caches.packages.set(id, pkg);
    return pkg;
  }
}

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
    const taskId = String(answer.taskID ?? answer.taskId);
    // The platform cannot list batch tasks: the mirror keeps each one created here (a failed read leaves it out).
    if (this.mirror) await this.find(taskId).catch(() => undefined);
    return taskId;
  }

  /** Always asked of the platform (a batch task's progress is not pushed); what it says is kept for `batchTasks`. */
  async find(id: string, appId?: string): Promise<BatchTask | null> {
    const raw = await orNull(this.call(ENDPOINTS.batchTask, { path: { taskId: id }, searchParams: { appId, select: 'tag' } }), ['105005']);
    if (raw === null) return null;
    const task = learned(this.normalize.batchTask(record(raw)));
    await this.mirror?.repo.batchTasks.putBatchTask(task, Date.parse(task.syncedAt));
    return task;
  }

  /** `appId`: the task belongs to another application that authorised ours; its details name that app's devices. */
  details(
    taskId: string,
    appId: string | undefined,
    status: BatchTaskDetailStatus | undefined,
    window: ListWindow,
    knownTotal?: number,
  ): Promise<Page<BatchTaskDetail>> {
    const searchParams = { taskId, appId, status: status && DETAIL_STATUS[status] };
    return this.window(
      ENDPOINTS.batchTaskDetails,
      MAX_PAGE_SIZE.batchTaskDetails,
      window,
      { searchParams },
      'taskDetails',
      (raw) => ({ ...this.normalize.batchTaskDetail(record(raw)), appId }),
      knownTotal,
    );
  }
}

/** The platform's notification subscriptions (both APIs), for the mirror's receiver. */
export class SubscriptionsApi extends Api {
  /** Management notifications (upgrade progress): a repeat replaces the URL. */
  async subscribeManagement(notifyType: string, callbackUrl: string): Promise<void> {
    await this.call(ENDPOINTS.subscribeManagement, { json: { notifyType, callbackurl: callbackUrl } });
  }

  /** Service-data notifications: one subscription per type, so one to another URL is replaced. */
  async subscribe(notifyType: string, callbackUrl: string): Promise<void> {
    try {
      await this.call(ENDPOINTS.subscribe, { json: { notifyType, callbackUrl } });
    } catch (error) {
      if (!(error instanceof PlatformError && error.code === '100227')) throw error;
      const listed = record(await this.call(ENDPOINTS.subscriptions, { searchParams: { notifyType, pageNo: 0, pageSize: 10 } }));
      const existing = (Array.isArray(listed.subscriptions) ? listed.subscriptions : []).map((item) => record(item));
      if (existing.some((item) => item.callbackUrl === callbackUrl)) return;
      for (const item of existing) await this.call(ENDPOINTS.unsubscribe, { path: { subscriptionId: String(item.subscriptionId) } });
      await this.call(ENDPOINTS.subscribe, { json: { notifyType, callbackUrl } });
    }
  }
}

/** Everything the gateway can ask the platform, by area. */
export interface PlatformApis {
  operations: OperationsApi;
  devices: DevicesApi;
  deviceGroups: DeviceGroupsApi;
  upgradePackages: UpgradePackagesApi;
  batchTasks: BatchTasksApi;
  subscriptions: SubscriptionsApi;
}

/** The APIs for one request: its calls share the request's deadline and priority; reads look in the mirror first. */
export function createPlatformApis(client: PlatformClient, normalize: Normalizer, caches: PlatformCaches, scope?: CallScope, mirror?: MirrorSource): PlatformApis {
  return {
    operations: new OperationsApi(client, normalize, caches, scope, mirror),
    devices: new DevicesApi(client, normalize, caches, scope, mirror),
    deviceGroups: new DeviceGroupsApi(client, normalize, caches, scope, mirror),
    upgradePackages: new UpgradePackagesApi(client, normalize, caches, scope, mirror),
    batchTasks: new BatchTasksApi(client, normalize, caches, scope, mirror),
    subscriptions: new SubscriptionsApi(client, normalize, caches, scope, mirror),
  };
}
