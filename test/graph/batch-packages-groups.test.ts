// The batch task, package and group query fields of the contract, and the DateTime format of every kind of time,
// answered with the data the platform holds, converted as DESIGN.md §2 says. Tasks and devices: queries.test.ts.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchTaskByIdDocument,
  GroupsDocument,
  GroupsOnlyDocument,
  HealthCheckDocument,
  OperationByIdDocument,
  OperationSubtasksDocument,
  PackageByIdDocument,
  PackagesDocument,
} from '../generated/graphql.js';
import { Api } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';
import { DETAIL_STATUS, expectedBatchDetail, expectedBatchTask, expectedDevice, expectedGroup, expectedPackage, present } from './expected.js';
import { AUTHORISED_APP, runToTheSecond, startGraphStack, type GraphStack, type Json } from './support.js';

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
const run = <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) => runToTheSecond(stack, document, variables);

beforeAll(async () => {
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

  await stack.platform.advance(90);

  operations = await truth.operations();
  packages = await truth.list(PATH.packages, 'data', 100);
  groups = await truth.list(PATH.groups, 'list', 500);
});
afterAll(async () => {
  await stack?.close();
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
