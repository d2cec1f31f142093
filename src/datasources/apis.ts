/**
 * Typed per-area APIs over the platform client: each method is one platform call (or, for a window, the pages
 * that cover it) and returns domain objects. Lookups by id answer null when the platform says the thing does
 * not exist; every other failure is a PlatformError.
 */
import type {
  BatchTask,
  BatchTaskDetail,
  BatchTaskDetailStatus,
  Device,
  DeviceGroup,
  ListWindow,
  Operation,
  OperationFilter,
  OperationStatus,
  Page,
  Subtask,
  SubtaskStatus,
  UpgradePackage,
  UpgradePackageFilter,
} from './models.js';
import { integer, record, type Normalizer } from './normalize.js';
import { fetchWindow } from './paging.js';
import type { CallOptions, Endpoint, PlatformClient } from './platform-client.js';
import { PlatformError } from './platform-error.js';

const get = (template: Endpoint['template']): Endpoint => ({ method: 'GET', template });

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
  deviceGroup: get('/iocm/app/devgroup/v1.3.0/devGroups/{devGroupId}'),
  deviceGroupMembers: get('/iocm/app/dm/v1.2.0/devices/ids'),
} as const;


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
  ) {}

  protected call(endpoint: Endpoint, options?: CallOptions): Promise<unknown> {
    return this.client.call(endpoint, options);
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
  ): Promise<Page<T>> {
    return fetchWindow(
      window,
      maxPageSize,
      async (pageNo, pageSize) =>
        listPage(await this.call(endpoint, { ...options, searchParams: { ...options.searchParams, pageNo, pageSize } }), key, convert),
      knownTotal,
    );
  }
}

export class OperationsApi extends Api {
  list(filter: OperationFilter, window: ListWindow): Promise<Page<Operation>> {
    const searchParams = {
      operationType: filter.type && filter.type.toLowerCase(),
      operationStatus: filter.status && OPERATION_STATUS[filter.status],
      deviceType: filter.deviceType,
      model: filter.model,
      manufacturerName: filter.manufacturerName,
      deviceId: filter.deviceId,
    };
    return this.window(ENDPOINTS.operations, MAX_PAGE_SIZE.operations, window, { searchParams }, 'data', (raw) => this.normalize.operation(record(raw)));
  }

  async find(id: string): Promise<Operation | null> {
    const raw = await orNull(this.call(ENDPOINTS.operation, { path: { operationId: id } }), ['123009']);
    return raw === null ? null : this.normalize.operation(record(raw));
  }

  /** `knownTotal`: how many subtasks match, when the caller knows for sure (saves reading past the end). */
  subtasks(operationId: string, status: SubtaskStatus | undefined, window: ListWindow, knownTotal?: number): Promise<Page<Subtask>> {
    const options = { path: { operationId }, searchParams: { subOperationStatus: status && SUBTASK_STATUS[status] } };
    return this.window(
      ENDPOINTS.subOperations,
      MAX_PAGE_SIZE.subOperations,
      window,
      options,
      'data',
      (raw) => this.normalize.subtask(record(raw), operationId),
      knownTotal,
    );
  }
}

export class DevicesApi extends Api {
  /** `appId`: a device of another application that authorised ours. */
  async find(id: string, appId?: string): Promise<Device | null> {
    const raw = await orNull(this.call(ENDPOINTS.device, { path: { deviceId: id }, searchParams: { appId } }), ['100403', '100418']);
    return raw === null ? null : this.normalize.device(record(raw));
  }
}

export class DeviceGroupsApi extends Api {
  list(window: ListWindow): Promise<Page<DeviceGroup>> {
    return this.window(ENDPOINTS.deviceGroups, MAX_PAGE_SIZE.deviceGroups, window, {}, 'list', (raw) => this.normalize.deviceGroup(record(raw)));
  }

  async find(id: string): Promise<DeviceGroup | null> {
    const raw = await orNull(this.call(ENDPOINTS.deviceGroup, { path: { devGroupId: id } }), ['100603']);
    return raw === null ? null : this.normalize.deviceGroup(record(raw));
  }

  memberIds(groupId: string, window: ListWindow): Promise<Page<string>> {
    return this.window(
      ENDPOINTS.deviceGroupMembers,
      MAX_PAGE_SIZE.deviceGroupMembers,
      window,
      { searchParams: { devGroupId: groupId } },
      'deviceIds',
      (raw) => String(raw),
    );
  }
}

export class UpgradePackagesApi extends Api {
  list(filter: UpgradePackageFilter, window: ListWindow): Promise<Page<UpgradePackage>> {
    const searchParams = {
      fileType: filter.type && (filter.type === 'FIRMWARE' ? 'firmwarePackage' : 'softwarePackage'),
      deviceType: filter.deviceType,
      model: filter.model,
      manufacturerName: filter.manufacturerName,
      version: filter.version,
    };
    return this.window(ENDPOINTS.packages, MAX_PAGE_SIZE.packages, window, { searchParams }, 'data', (raw) => this.normalize.upgradePackage(record(raw)));
  }

  async find(id: string): Promise<UpgradePackage | null> {
    const raw = await orNull(this.call(ENDPOINTS.package, { path: { fileId: id } }), ['123002']);
    return raw === null ? null : this.normalize.upgradePackage(record(raw));
  }
}

export class BatchTasksApi extends Api {
  async find(id: string, appId?: string): Promise<BatchTask | null> {
    const raw = await orNull(this.call(ENDPOINTS.batchTask, { path: { taskId: id }, searchParams: { appId, select: 'tag' } }), ['105005']);
    return raw === null ? null : this.normalize.batchTask(record(raw));
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

/** Everything the gateway can ask the platform, by area. */
export interface PlatformApis {
  operations: OperationsApi;
  devices: DevicesApi;
  deviceGroups: DeviceGroupsApi;
  upgradePackages: UpgradePackagesApi;
  batchTasks: BatchTasksApi;
}

export function createPlatformApis(client: PlatformClient, normalize: Normalizer): PlatformApis {
  return {
    operations: new OperationsApi(client, normalize),
    devices: new DevicesApi(client, normalize),
    deviceGroups: new DeviceGroupsApi(client, normalize),
    upgradePackages: new UpgradePackagesApi(client, normalize),
    batchTasks: new BatchTasksApi(client, normalize),
  };
}
