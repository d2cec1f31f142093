// The task and device query fields of the contract, answered with the data the platform holds, converted as DESIGN.md
// §2 says. Batch tasks, packages, groups and the DateTime format: batch-packages-groups.test.ts.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceByIdDocument,
  DevicesByIdsDocument,
  FilteredOperationsDocument,
  HealthCheckDocument,
  OperationByIdDocument,
  OperationSubtasksDocument,
  type OperationStatus,
  type SubtaskStatus,
} from '../generated/graphql.js';
import { Api } from '../harness/emulator.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { expectedDevice, expectedOperation, expectedSubtask, OPERATION_STATUS_PARAM, present, SUBTASK_STATUS_PARAM } from './expected.js';
import { AUTHORISED_APP, runToTheSecond, startGraphStack, type GraphStack, type Json } from './support.js';

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

let stack: GraphStack;
/** The emulator's operations, newest first, as its list endpoint returns them. */
let operations: Json[];
/** Devices of the application that authorised ours. */
let authorisedDevices: Json[];

const device = async (id: string) => expectedDevice(await stack.truth.state('devices', id));
const run = <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) => runToTheSecond(stack, document, variables);

beforeAll(async () => {
  // 2000 devices: 200 operations, among them stopped and group-targeted ones.
  stack = await startGraphStack({ devices: 2000 });
  const authorisedApi = new Api(stack.platform.url, AUTHORISED_APP.appId, AUTHORISED_APP.secret);
  await authorisedApi.login();
  authorisedDevices = (await authorisedApi.ok(PATH.devices, { pageNo: 0, pageSize: 5 })).devices;
  // 90 s in, the tasks are in every state.
  await stack.platform.advance(90);
  operations = await stack.truth.operations();
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

describe('health', () => {
  it('reports the platform it talks to and a working login', async () => {
    const { data, errors } = await run(HealthCheckDocument);

    expect(errors).toBeUndefined();
    expect(data?.health).toMatchObject({ platformUrl: stack.proxy.url, emulator: false, loginOk: true, error: null, upstreamCode: null });
    expect(Date.parse(data?.health?.checkedAt ?? '')).not.toBeNaN();
  });
});
