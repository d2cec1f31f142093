// Every query field of the contract, answered with the data the platform holds, converted as DESIGN.md §2 says.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchTaskByIdDocument,
  DeviceByIdDocument,
  DevicesByIdsDocument,
  FilteredOperationsDocument,
  GroupsDocument,
  GroupsOnlyDocument,
  HealthCheckDocument,
  OperationByIdDocument,
  OperationSubtasksDocument,
  PackageByIdDocument,
  PackagesDocument,
  type OperationStatus,
  type SubtaskStatus,
} from '../generated/graphql.js';
import { Api } from '../harness/emulator.js';
import { PATH, ROUTE } from '../harness/routes.js';
import {
  DETAIL_STATUS,
  expectedBatchDetail,
  expectedBatchTask,
  expectedDevice,
  expectedGroup,
  expectedOperation,
  expectedPackage,
  expectedSubtask,
  OPERATION_STATUS_PARAM,
  present,
  sameSecondTimes,
  SUBTASK_STATUS_PARAM,
} from './expected.js';
import { startGraphStack, type GraphStack, type Json } from './support.js';

/** The application that authorised the gateway's (see the emulator's README); its secret is the emulator's fixture. */
const AUTHORISED_APP = { appId: 'authorised-app', secret: 'authorised-secret' };
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

let stack: GraphStack;
/** The emulator's operations, newest first, as its list endpoint returns them. */
let operations: Json[];
let packages: Json[];
let groups: Json[];
let batchTaskId: string;
let authorisedTaskId: string;
let authorisedDevices: Json[];
let authorisedApi: Api;

const device = async (id: string) => expectedDevice(await stack.truth.state('devices', id));

/** Runs a document; times in the answer compared to the second (their format has a test of its own). */
async function run<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) {
  const response = await stack.gateway.run(document, variables);
  return { ...response, data: sameSecondTimes(response.data) };
}

beforeAll(async () => {
  // 2000 devices: 200 operations, among them stopped and group-targeted ones.
  stack = await startGraphStack({ devices: 2000 });
  const { truth } = stack;

  // A batch task over a device list (with one device that does not exist), half run, so that details differ.
  const someDevices: Json[] = (await truth.get(PATH.devices, { pageNo: 0, pageSize: 30 })).devices;
  const created = await truth.post(PATH.batchTasks, {
    appId: truth.api.appId,
    taskName: 'graph-test-read-now',
    taskType: 'DeviceCmd',
    timeout: 60,
    param: {
      type: 'DeviceList',
      deviceList: [...someDevices.map((d) => d.deviceId), UNKNOWN_UUID],
      command: { serviceId: 'Meter', method: 'READ_NOW', paras: {} },
    },
    tags: [
      { tagName: 'team', tagValue: 'qa' },
      { tagName: 'ring', tagValue: '2' },
    ],
  });
  batchTaskId = created.taskID;

  // A batch task of the application that authorised ours.
  authorisedApi = new Api(stack.platform.url, AUTHORISED_APP.appId, AUTHORISED_APP.secret);
  await authorisedApi.login();
  authorisedDevices = (await authorisedApi.ok(PATH.devices, { pageNo: 0, pageSize: 5 })).devices;
  const authorisedTask = await authorisedApi.post(PATH.batchTasks, {
    appId: AUTHORISED_APP.appId,
    taskName: 'authorised-switch',
    taskType: 'DeviceCmd',
    timeout: 30,
    param: { type: 'DeviceList', deviceList: authorisedDevices.map((d) => d.deviceId), command: { serviceId: 'Light', method: 'SWITCH' } },
  });
  authorisedTaskId = authorisedTask.body.taskID;

  await stack.platform.control('clock', { advanceSeconds: 90 });

  operations = await truth.operations();
  packages = await truth.list(PATH.packages, 'data', 100);
  groups = await truth.list(PATH.groups, 'list', 500);
});
afterAll(async () => {
  await stack?.close();
});

describe('operations', () => {
  it('lists every operation newest first, each field converted from the platform’s', async () => {
    // The data must hold every shape the conversions deal with, or the comparison proves little.
    const statuses = new Set(operations.map((o) => o.status));
    expect([...statuses].sort()).toEqual(['failed', 'processing', 'stop', 'success', 'wait']);
    expect(operations.some((o) => o.targets.deviceGroups)).toBe(true);
    expect(operations.some((o) => o.policy.executeType === 'custom' && o.policy.startTime)).toBe(true);
    expect(operations.some((o) => o.policy.retryType === true)).toBe(true);
    expect(operations.some((o) => o.stopTime)).toBe(true);

    const { data, errors } = await run(FilteredOperationsDocument, { first: 500 });

    expect(errors).toBeUndefined();
    expect(data?.operations?.totalCount).toBe(operations.length);
    expect(data?.operations?.nodes).toEqual(operations.map(expectedOperation));
  });

  it('returns the first 20 when no window is given', async () => {
    const { data } = await run(FilteredOperationsDocument, {});

    expect(data?.operations?.nodes.map((o) => o.id)).toEqual(operations.slice(0, 20).map((o) => o.operationId));
  });

  it.each(['FIRMWARE_UPGRADE', 'SOFTWARE_UPGRADE'] as const)('filters by type %s', async (type) => {
    const expected = operations.filter((o) => o.operateType === type.toLowerCase());
    expect(expected.length).toBeGreaterThan(0);

    const { data } = await run(FilteredOperationsDocument, { filter: { type }, first: 500 });

    expect(data?.operations?.totalCount).toBe(expected.length);
    expect(data?.operations?.nodes.map((o) => o.id)).toEqual(expected.map((o) => o.operationId));
  });

  it.each(['WAIT', 'PROCESSING', 'SUCCESS', 'FAILED', 'STOPPED'] as const)('filters by status %s', async (status: OperationStatus) => {
    const expected = operations.filter((o) => o.status === OPERATION_STATUS_PARAM[status]);
    expect(expected.length).toBeGreaterThan(0);

    const { data } = await run(FilteredOperationsDocument, { filter: { status }, first: 500 });

    expect(data?.operations?.totalCount).toBe(expected.length);
    expect(data?.operations?.nodes).toEqual(expected.map(expectedOperation));
  });

  it('filters by deviceType, model and manufacturerName (the package’s product)', async () => {
    const cases = [
      { deviceType: 'GasMeter' },
      { model: 'WM200' },
      { manufacturerName: 'NorthwindSensors' },
      { deviceType: 'WaterMeter', model: 'WM100', manufacturerName: 'AcmeMetering' },
    ];
    for (const filter of cases) {
      // The platform applies these filters itself; its own answer is the truth.
      const expected = await stack.truth.operations(filter);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(operations.length);

      const { data, errors } = await run(FilteredOperationsDocument, { filter, first: 500 });

      expect(errors).toBeUndefined();
      expect(data?.operations?.totalCount).toBe(expected.length);
      expect(data?.operations?.nodes.map((o) => o.id)).toEqual(expected.map((o) => o.operationId));
    }
  });

  it('filters by deviceId: the tasks that targeted the device', async () => {
    const target = operations.find((o) => (o.targets.devices ?? []).length > 0 && o.staResult.total < 5);
    const deviceId: string = target.targets.devices[0];
    const expected = await stack.truth.operations({ deviceId });
    expect(expected.map((o) => o.operationId)).toContain(target.operationId);

    const { data } = await run(FilteredOperationsDocument, { filter: { deviceId }, first: 500 });

    expect(data?.operations?.nodes.map((o) => o.id)).toEqual(expected.map((o) => o.operationId));
    expect(data?.operations?.totalCount).toBe(expected.length);
  });
});

describe('operation(id)', () => {
  it('returns one task with its targeted devices in target order', async () => {
    const raw = operations.find((o) => (o.targets.devices ?? []).length >= 3);

    const { data, errors } = await run(OperationByIdDocument, { id: raw.operationId });

    expect(errors).toBeUndefined();
    const { targets, ...rest } = present(data?.operation, 'operation');
    const { targets: expectedTargets, ...expectedRest } = expectedOperation(raw);
    expect(rest).toEqual(expectedRest);
    expect({ ...targets, devices: undefined }).toEqual({ ...expectedTargets, devices: undefined });
    expect(targets.devices).toEqual(await Promise.all(raw.targets.devices.map(device)));
  });

  it('shows a group-targeted task’s groups and product, and no device list', async () => {
    const raw = operations.find((o) => o.targets.deviceGroups);

    const { data } = await run(OperationByIdDocument, { id: raw.operationId });

    expect(data?.operation?.targets).toEqual({
      deviceIds: [],
      devices: [],
      deviceGroups: raw.targets.deviceGroups,
      deviceType: raw.targets.deviceType,
      model: raw.targets.model,
      manufacturerName: raw.targets.manufacturerName,
    });
    expect(data?.operation?.targets.deviceGroups.length).toBeGreaterThan(0);
  });
});

describe('Operation.subtasks', () => {
  /** A finished task with failures: subtasks in several states, with failure causes. */
  const failedTask = () => operations.find((o) => o.status === 'failed' && o.staResult.fail > 0 && o.staResult.success > 0 && o.staResult.total <= 60);

  it('lists every subtask in the platform’s order, with its operation and its device', async () => {
    const raw = failedTask();
    const state = await stack.truth.state('operations', raw.operationId);

    const { data, errors } = await run(OperationSubtasksDocument, { id: raw.operationId, first: 500 });

    expect(errors).toBeUndefined();
    const subtasks = data?.operation?.subtasks;
    expect(subtasks?.totalCount).toBe(state.subtasks.length);
    expect(subtasks?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(subtasks?.nodes.map(({ operation: _o, device: _d, ...subtask }) => subtask)).toEqual(state.subtasks.map(expectedSubtask));
    // A failed subtask says why.
    expect(subtasks?.nodes.find((s) => s.status === 'FAILED')?.detail).toBeTruthy();
    for (const subtask of subtasks?.nodes ?? []) {
      expect(subtask.operation).toEqual({ id: raw.operationId, status: 'FAILED' });
      expect(subtask.device).toEqual(await device(subtask.deviceId));
    }
  });

  it('filters subtasks by status', async () => {
    const raw = failedTask();
    const state = await stack.truth.state('operations', raw.operationId);
    const present = new Set<string>(state.subtasks.map((s: Json) => s.status));
    expect(present.size).toBeGreaterThan(1);
    for (const status of ['SUCCESS', 'FAILED', 'TIMEOUT', 'WAIT'] as SubtaskStatus[]) {
      const expected = state.subtasks.filter((s: Json) => s.status === SUBTASK_STATUS_PARAM[status]);

      const { data } = await run(OperationSubtasksDocument, { id: raw.operationId, status, first: 500 });

      expect(data?.operation?.subtasks!.totalCount).toBe(expected.length);
      expect(data?.operation?.subtasks!.nodes.map((s) => s.id)).toEqual(expected.map((s: Json) => s.subOperationId));
    }
  });

  it('costs one task call, one page, and one call per distinct device; Subtask.operation costs nothing more', async () => {
    const raw = failedTask();
    const state = await stack.truth.state('operations', raw.operationId);
    const distinct = new Set(state.subtasks.map((s: Json) => s.deviceId)).size;

    const calls = await stack.callsDuring(() => run(OperationSubtasksDocument, { id: raw.operationId, first: 100 }));

    expect(calls.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1, [ROUTE.device]: distinct });
  });
});

describe('device(id) and devices(ids)', () => {
  it('returns a device with every field, and its upgrade history', async () => {
    const raw = operations.find((o) => (o.targets.devices ?? []).length > 0);
    const id: string = raw.targets.devices[0];
    const history = await stack.truth.operations({ deviceId: id });

    const { data, errors } = await run(DeviceByIdDocument, { id, first: 100 });

    expect(errors).toBeUndefined();
    const { operations: got, ...fields } = present(data?.device, 'device');
    expect(fields).toEqual(await device(id));
    expect(got!.totalCount).toBe(history.length);
    expect(got!.nodes).toEqual(history.map((o) => ({ id: o.operationId, type: o.operateType.toUpperCase(), status: expectedOperation(o).status })));
  });

  it('filters a device’s history (the device stays fixed)', async () => {
    // A device with a mixed history: some tasks of it succeeded, some did not.
    let chosen: { id: string; history: Json[] } | undefined;
    for (const raw of operations.filter((o) => (o.targets.devices ?? []).length > 0).slice(0, 40)) {
      const history = await stack.truth.operations({ deviceId: raw.targets.devices[0] });
      if (new Set(history.map((o) => o.operateType)).size > 1) {
        chosen = { id: raw.targets.devices[0], history };
        break;
      }
    }
    expect(chosen).toBeDefined();
    const { id, history } = chosen as { id: string; history: Json[] };
    const expected = history.filter((o) => o.operateType === 'software_upgrade');

    const { data } = await run(DeviceByIdDocument, { id, first: 100, filter: { type: 'SOFTWARE_UPGRADE', deviceId: UNKNOWN_UUID } });

    expect(data?.device?.operations!.nodes.map((o) => o.id)).toEqual(expected.map((o) => o.operationId));
  });

  it('keeps the order of ids, with null for unknown devices and for devices of other applications', async () => {
    const [a, b] = operations.find((o) => (o.targets.devices ?? []).length >= 2).targets.devices as string[];
    const foreign: string = authorisedDevices[0].deviceId;

    const { result, byRoute } = await stack.callsDuring(() => run(DevicesByIdsDocument, { ids: [b as string, UNKNOWN_UUID, a as string, foreign, b as string] }));

    expect(result.errors).toBeUndefined();
    expect(result.data?.devices).toEqual([await device(b as string), null, await device(a as string), null, await device(b as string)]);
    // A repeated id is looked up once.
    expect(byRoute).toEqual({ [ROUTE.device]: 4 });
  });
});

describe('batchTask(id)', () => {
  it('returns the task: counts, param, tags, devices of its device list, per mille as 0..1', async () => {
    const raw = await stack.truth.get(`${PATH.batchTasks}/${batchTaskId}`, { select: 'tag' });
    const deviceList: string[] = raw.param.deviceList;
    // Half-run: the counts must be non-trivial for the conversions to show.
    expect(raw.completeCnt).toBeGreaterThan(0);
    expect(raw.completeCnt).toBeLessThan(raw.totalCnt);

    const { data, errors } = await run(BatchTaskByIdDocument, { id: batchTaskId });

    expect(errors).toBeUndefined();
    const { devices, details: _details, ...task } = present(data?.batchTask, 'batchTask');
    expect(task).toEqual(expectedBatchTask(raw));
    expect(task.tags).toEqual([
      { name: 'team', value: 'qa' },
      { name: 'ring', value: '2' },
    ]);
    const expectedDevices = await Promise.all(
      deviceList.map(async (id) => (id === UNKNOWN_UUID ? null : { id, name: (await device(id)).name })),
    );
    expect(devices).toEqual(expectedDevices);
  });

  it('lists its details, each with its device, output or error', async () => {
    const rawDetails = await stack.truth.list(PATH.batchDetails, 'taskDetails', 250, { taskId: batchTaskId });
    const statuses = new Set(rawDetails.map((d) => d.status));
    expect(statuses.size).toBeGreaterThan(2);

    const { data } = await run(BatchTaskByIdDocument, { id: batchTaskId });

    const details = data?.batchTask?.details;
    expect(details?.totalCount).toBe(rawDetails.length);
    expect(details?.nodes.map(({ device: _d, ...detail }) => detail)).toEqual(rawDetails.map(expectedBatchDetail));
    for (const detail of details?.nodes ?? []) {
      expect(detail.device).toEqual(detail.deviceId === UNKNOWN_UUID ? null : { id: detail.deviceId, name: (await device(detail.deviceId as string)).name });
    }
    // The unknown device's command failed with the platform's reason; a successful one has the device's output.
    expect(details?.nodes.find((d) => d.deviceId === UNKNOWN_UUID)).toMatchObject({ status: 'FAIL', error: { code: '100403' }, output: null });
    expect(details?.nodes.find((d) => d.status === 'SUCCESS')?.output).toBeTruthy();
  });

  it.each(Object.values(DETAIL_STATUS))('filters details by status %s', async (status) => {
    const platformStatus = Object.keys(DETAIL_STATUS).find((k) => DETAIL_STATUS[k] === status) as string;
    const expected = await stack.truth.list(PATH.batchDetails, 'taskDetails', 250, { taskId: batchTaskId, status: platformStatus });

    const { data } = await run(BatchTaskByIdDocument, { id: batchTaskId, status: status as never });

    expect(data?.batchTask?.details!.totalCount).toBe(expected.length);
    expect(data?.batchTask?.details!.nodes.map((d) => d.commandId)).toEqual(expected.map((d) => d.param.commandId));
  });

  it('reads a task of an application that authorised ours, with its devices', async () => {
    const raw = (await authorisedApi.ok(`${PATH.batchTasks}/${authorisedTaskId}`, { select: 'tag' })) as Json;
    const rawDetails = (await authorisedApi.ok(PATH.batchDetails, { taskId: authorisedTaskId, pageNo: 0, pageSize: 250 })).taskDetails as Json[];

    const { data, errors } = await run(BatchTaskByIdDocument, { id: authorisedTaskId, appId: AUTHORISED_APP.appId });

    const { devices, details, ...task } = present(data?.batchTask, 'batchTask');
    expect(task).toEqual(expectedBatchTask(raw));
    expect(task.appId).toBe(AUTHORISED_APP.appId);
    expect(details!.nodes.map(({ device: _d, ...detail }) => detail)).toEqual(rawDetails.map(expectedBatchDetail));
    // Its devices are readable with the same appId, so they are shown, not null.
    const names = authorisedDevices.map((d) => ({ id: d.deviceId, name: d.deviceInfo.name }));
    expect(errors).toBeUndefined();
    expect(devices).toEqual(names);
    expect(details!.nodes.map((d) => d.device)).toEqual(rawDetails.map((d) => names.find((n) => n.id === d.param.deviceId)));
  });

  it('does not show another application’s task without its appId', async () => {
    const { data, errors } = await run(BatchTaskByIdDocument, { id: authorisedTaskId });

    expect(errors).toBeUndefined();
    expect(data?.batchTask).toBeNull();
  });
});

describe('upgradePackages and upgradePackage(id)', () => {
  it('lists every package newest first, converted', async () => {
    const { data, errors } = await run(PackagesDocument, { first: 500 });

    expect(errors).toBeUndefined();
    expect(data?.upgradePackages?.totalCount).toBe(packages.length);
    expect(data?.upgradePackages?.nodes).toEqual(packages.map(expectedPackage));
  });

  it('filters by type, deviceType, model, manufacturerName and version', async () => {
    const cases = [
      { filter: { type: 'FIRMWARE' as const }, keep: (p: Json) => p.fileType === 'firmwarePackage' },
      { filter: { type: 'SOFTWARE' as const }, keep: (p: Json) => p.fileType === 'softwarePackage' },
      { filter: { deviceType: 'SmokeDetector' }, keep: (p: Json) => p.deviceType === 'SmokeDetector' },
      { filter: { model: 'GM10' }, keep: (p: Json) => p.model === 'GM10' },
      { filter: { manufacturerName: 'LumenSystems' }, keep: (p: Json) => p.manufacturerName === 'LumenSystems' },
      { filter: { version: 'V1.0.0' }, keep: (p: Json) => p.version === 'V1.0.0' },
      { filter: { type: 'FIRMWARE' as const, model: 'WM100' }, keep: (p: Json) => p.fileType === 'firmwarePackage' && p.model === 'WM100' },
    ];
    for (const { filter, keep } of cases) {
      const expected = packages.filter(keep);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(packages.length);

      const { data } = await run(PackagesDocument, { filter, first: 500 });

      expect(data?.upgradePackages?.totalCount).toBe(expected.length);
      expect(data?.upgradePackages?.nodes.map((p) => p.id)).toEqual(expected.map((p) => p.fileId));
    }
  });

  it('returns one package by id', async () => {
    const raw = await stack.truth.get(`${PATH.packages}/${packages[3].fileId}`);

    const { data, errors } = await run(PackageByIdDocument, { id: packages[3].fileId });

    expect(errors).toBeUndefined();
    expect(data?.upgradePackage).toEqual(expectedPackage(raw));
  });
});

describe('deviceGroups', () => {
  it('lists every group', async () => {
    const { data, errors } = await run(GroupsOnlyDocument, { first: 100 });

    expect(errors).toBeUndefined();
    expect(data?.deviceGroups?.totalCount).toBe(groups.length);
    expect(data?.deviceGroups?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(data?.deviceGroups?.nodes).toEqual(groups.map(expectedGroup));
  });

  it('shows each group’s first members, as the platform lists them', async () => {
    const { data, errors } = await run(GroupsDocument, { first: 100, members: 5 });

    expect(errors).toBeUndefined();
    expect(data?.deviceGroups?.nodes).toHaveLength(groups.length);
    for (const [i, group] of (data?.deviceGroups?.nodes ?? []).entries()) {
      const members: string[] = (await stack.truth.get(PATH.members, { devGroupId: groups[i].id, pageNo: 0, pageSize: 5 })).deviceIds;
      expect(group.devices!.totalCount).toBe(groups[i].curDevNum);
      expect(group.devices!.nodes).toEqual(await Promise.all(members.map(device)));
      expect(group.devices!.pageInfo.hasNextPage).toBe(groups[i].curDevNum > 5);
    }
  });
});

describe('DateTime', () => {
  it('is written as the contract shows: 2015-12-12T12:12:12Z, no milliseconds', async () => {
    const custom = operations.find((o) => o.policy.executeType === 'custom' && o.stopTime);
    const responses = await Promise.all([
      stack.gateway.run(OperationByIdDocument, { id: custom.operationId }),
      stack.gateway.run(OperationSubtasksDocument, { id: custom.operationId, first: 5 }),
      stack.gateway.run(PackageByIdDocument, { id: packages[0].fileId }),
      stack.gateway.run(BatchTaskByIdDocument, { id: batchTaskId }),
      stack.gateway.run(HealthCheckDocument),
    ]);
    const times: string[] = [];
    const collect = (value: unknown, key = ''): void => {
      if (Array.isArray(value)) value.forEach((v) => collect(v));
      else if (typeof value === 'object' && value !== null) Object.entries(value).forEach(([k, v]) => collect(v, k));
      else if (typeof value === 'string' && /^(createdAt|startedAt|stoppedAt|startTime|endTime|lastModifiedAt|uploadedAt|checkedAt)$/.test(key)) times.push(value);
    };
    responses.forEach((r) => collect(r.data));

    // Every kind of DateTime field is here: task, policy, subtask, device, package, batch task, health.
    expect(times.length).toBeGreaterThan(20);
    expect(times.filter((t) => !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(t))).toEqual([]);
  });
});

describe('health', () => {
  it('reports the platform it talks to and a working login', async () => {
    const { data, errors } = await run(HealthCheckDocument);

    expect(errors).toBeUndefined();
    expect(data?.health).toMatchObject({ platformUrl: stack.proxy.url, emulator: false, loginOk: true, error: null, upstreamCode: null });
    expect(Date.parse(data?.health?.checkedAt ?? '')).not.toBeNaN();
  });
});
