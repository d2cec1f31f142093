// A created task is a real task: the payload shows what operation(id) shows, operations lists it, and it runs
// its course as the emulated clock moves (manual clock: nothing happens between the test's steps).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBatchDocument,
  CreatedBatchTaskByIdDocument,
  CreatedOperationByIdDocument,
  CreatedOperationsDocument,
  CreateFirmwareUpgradeDocument,
  CreateSoftwareUpgradeDocument,
  MutationFixtureDevicesDocument,
  type CreateBatchTaskInput,
  type CreatedBatchTaskFragment,
  type CreatedOperationFragment,
} from '../generated/graphql.js';
import { ROUTE } from '../harness/routes.js';
import type { Stack } from '../harness/stack.js';
import { callsDuring, loadFixtures, startMutationStack, type Fixtures } from './support.js';

let stack: Stack;
let f: Fixtures;
beforeAll(async () => {
  stack = await startMutationStack();
  f = await loadFixtures(stack);
});
afterAll(async () => {
  await stack?.close();
});

const operation = async (id: string) => {
  const response = await stack.gateway.run(CreatedOperationByIdDocument, { id });
  expect(response.errors).toBeUndefined();
  return response.data?.operation as CreatedOperationFragment;
};

/** The counts the task reports are the counts of its subtasks. */
function expectStatsMatchSubtasks(o: CreatedOperationFragment): void {
  const count = (status: string) => o.subtasks!.nodes.filter((s) => s.status === status).length;
  const { stats } = o;
  expect(stats).toMatchObject({
    total: o.subtasks!.totalCount,
    wait: count('WAIT'),
    processing: count('PROCESSING'),
    success: count('SUCCESS'),
    fail: count('FAILED'),
    stop: count('STOPPED'),
    timeout: count('TIMEOUT'),
  });
  expect(stats.completed).toBe(stats.success + stats.fail + stats.stop + stats.timeout);
  expect(stats.progress).toBeCloseTo(stats.total === 0 ? 0 : stats.completed / stats.total, 6);
}

describe('createFirmwareUpgradeTask on a device list', () => {
  it('creates one task, shown alike by the payload, operation(id) and operations, that runs to its end', async () => {
    const devices = f.devices.slice(0, 3);
    const calls = await callsDuring(stack, () => stack.gateway.run(CreateFirmwareUpgradeDocument, { input: { fileId: f.firmware, targets: { deviceIds: devices } } }));
    expect(calls.result.errors).toBeUndefined();
    expect(calls.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    const payload = calls.result.data?.createFirmwareUpgradeTask;
    const created = payload?.operation as CreatedOperationFragment;
    expect(created.id).toBe(payload?.operationId);
    expect(created).toMatchObject({
      type: 'FIRMWARE_UPGRADE',
      status: 'WAIT',
      startedAt: null,
      stoppedAt: null,
      targetVersion: f.firmwareVersion,
      targets: { deviceIds: devices, deviceGroups: [] },
      policy: { executeType: 'NOW', retry: false },
      stats: { total: 3, wait: 3, completed: 0, progress: 0 },
    });
    expect(created.subtasks!.nodes.map((s) => s.deviceId).sort()).toEqual([...devices].sort());
    expect(created.subtasks!.nodes.every((s) => s.status === 'WAIT')).toBe(true);

    expect(await operation(created.id)).toEqual(created);
    // Newest first: the new task heads the list.
    const list = await stack.gateway.run(CreatedOperationsDocument, { first: 5 });
    expect(list.data?.operations?.nodes[0]).toEqual(created);

    // Each subtask starts 5–30 s after creation.
    await stack.platform.advance(31);
    const running = await operation(created.id);
    expect(running.status).toBe('PROCESSING');
    expect(running.startedAt).not.toBeNull();
    expect(running.stats).toMatchObject({ total: 3, wait: 0, processing: 3 });
    expectStatsMatchSubtasks(running);

    // ... and takes 30–300 s.
    await stack.platform.advance(300);
    const done = await operation(created.id);
    expect(done.stats).toMatchObject({ total: 3, wait: 0, processing: 0, completed: 3, progress: 1 });
    expectStatsMatchSubtasks(done);
    expect(done.status).toBe(done.stats.success === 3 ? 'SUCCESS' : 'FAILED');
    expect(done.stoppedAt).not.toBeNull();
    // A device whose subtask succeeded now runs the package's version.
    const succeeded = done.subtasks!.nodes.filter((s) => s.status === 'SUCCESS').map((s) => s.deviceId);
    const read = await stack.gateway.run(MutationFixtureDevicesDocument, { ids: succeeded });
    expect(read.data?.devices.map((d) => d?.fwVersion)).toEqual(succeeded.map(() => f.firmwareVersion));
    // The list shows the same end state as operation(id).
    const listed = await stack.gateway.run(CreatedOperationsDocument, { first: 5 });
    expect(listed.data?.operations?.nodes.find((o) => o.id === created.id)).toEqual(done);
  });

  it('keeps the retry policy it was given', async () => {
    const response = await stack.gateway.run(CreateFirmwareUpgradeDocument, {
      input: { fileId: f.firmware, targets: { deviceIds: [f.devices[3] as string] }, policy: { executeType: 'DEVICE_ONLINE', retry: true, retryTimes: 2 } },
    });
    expect(response.errors).toBeUndefined();
    const created = response.data?.createFirmwareUpgradeTask.operation;
    expect(created?.policy).toMatchObject({ executeType: 'DEVICE_ONLINE', retry: true, retryTimes: 2 });
    expect(await operation(created?.id as string)).toEqual(created);
  });
});

describe('createSoftwareUpgradeTask on a device group', () => {
  it('targets every device of the group and runs to its end', async () => {
    const calls = await callsDuring(stack, () =>
      stack.gateway.run(CreateSoftwareUpgradeDocument, { input: { fileId: f.software, targets: { deviceGroups: [f.group], ...f.product } } }),
    );
    expect(calls.result.errors).toBeUndefined();
    expect(calls.byRoute[ROUTE.createSoftwareUpgrade]).toBe(1);
    const created = calls.result.data?.createSoftwareUpgradeTask.operation as CreatedOperationFragment;
    expect(created).toMatchObject({
      type: 'SOFTWARE_UPGRADE',
      status: 'WAIT',
      targetVersion: f.softwareVersion,
      targets: { deviceIds: [], deviceGroups: [f.group], ...f.product },
    });
    // The group holds at least the product's devices the fixtures know.
    expect(created.stats.total).toBeGreaterThanOrEqual(f.devices.length);
    expect(created.stats.wait).toBe(created.stats.total);
    expect(await operation(created.id)).toEqual(created);

    await stack.platform.advance(331);
    const done = await operation(created.id);
    expect(done.stats).toMatchObject({ total: created.stats.total, wait: 0, processing: 0, completed: created.stats.total });
    expect(done.status).toBe(done.stats.success === done.stats.total ? 'SUCCESS' : 'FAILED');
    expect(done.startedAt).not.toBeNull();
  });
});

describe('createBatchTask', () => {
  const batch = async (id: string) => {
    const response = await stack.gateway.run(CreatedBatchTaskByIdDocument, { id });
    expect(response.errors).toBeUndefined();
    return response.data?.batchTask as CreatedBatchTaskFragment;
  };

  /** The counts the task reports are the counts of its details. */
  function expectStatsMatchDetails(task: CreatedBatchTaskFragment): void {
    const count = (status: string) => task.details!.nodes.filter((d) => d.status === status).length;
    const { stats } = task;
    expect(stats).toMatchObject({ total: task.details!.totalCount, success: count('SUCCESS'), fail: count('FAIL'), timeout: count('TIMEOUT') });
    expect(stats.completed).toBe(stats.success + stats.fail + stats.timeout);
    // The platform's per-mille, rounded down, as 0..1.
    expect(stats.progress).toBe(Math.floor((1000 * stats.completed) / stats.total) / 1000);
    expect(stats.successRate).toBe(Math.floor((1000 * stats.success) / stats.total) / 1000);
  }

  it('creates a task, shown alike by the payload and batchTask(id), whose details progress to the end', async () => {
    const devices = f.devices.slice(0, 4);
    const calls = await callsDuring(stack, () =>
      stack.gateway.run(CreateBatchDocument, {
        input: {
          name: 'meter self-test',
          timeout: 10,
          target: { type: 'DEVICE_LIST', deviceIds: devices },
          command: { serviceId: 'Maintenance', method: 'SELF_TEST', paras: { level: 2 } },
          callbackUrl: 'http://localhost:9/results',
          tags: [{ name: 'ring', value: 'pilot' }],
        },
      }),
    );
    expect(calls.result.errors).toBeUndefined();
    expect(calls.byRoute[ROUTE.createBatchTask]).toBe(1);
    const payload = calls.result.data?.createBatchTask;
    const created = payload?.batchTask as CreatedBatchTaskFragment;
    expect(created.id).toBe(payload?.taskId);
    expect(created).toMatchObject({
      name: 'meter self-test',
      type: 'DeviceCmd',
      status: 'PENDING',
      tags: [{ name: 'ring', value: 'pilot' }],
      param: { type: 'DeviceList', deviceList: devices, command: { serviceId: 'Maintenance', method: 'SELF_TEST', paras: { level: 2 } } },
      stats: { total: 4, completed: 0 },
    });
    expect(created.details!.nodes.map((d) => d.deviceId)).toEqual(devices);
    expect(created.details!.nodes.every((d) => d.status === 'PENDING')).toBe(true);
    expect(await batch(created.id)).toEqual(created);

    // It starts 2–10 s after creation; the commands go to the devices that are online.
    await stack.platform.advance(10);
    const running = await batch(created.id);
    expect(running.status).not.toBe('PENDING');
    expect(running.details!.nodes.some((d) => d.status !== 'PENDING')).toBe(true);
    expectStatsMatchDetails(running);

    // Past its 10 minutes nothing is still waiting for an answer.
    await stack.platform.advance(600);
    const done = await batch(created.id);
    expect(['COMPLETE', 'TIMEOUT']).toContain(done.status);
    expect(done.details!.nodes.filter((d) => d.status === 'WAIT_RESULT')).toEqual([]);
    expectStatsMatchDetails(done);
    expect(done.stats.completed + done.stats.expired).toBe(4);
    expect(done.status).toBe(done.stats.completed === 4 ? 'COMPLETE' : 'TIMEOUT');
  });

  it('sends each target type as the platform’s selector', async () => {
    const create = async (target: CreateBatchTaskInput['target']) => {
      const response = await stack.gateway.run(CreateBatchDocument, { input: { name: `by ${target.type}`, timeout: 60, target, command: { serviceId: 'Maintenance', method: 'PING' } } });
      expect(response.errors).toBeUndefined();
      return response.data?.createBatchTask.batchTask as CreatedBatchTaskFragment;
    };
    const { deviceType, model } = f.product;
    const byType = await create({ type: 'DEVICE_TYPE', deviceType, model });
    expect(byType.param).toMatchObject({ type: 'DeviceType', deviceType, model });
    const byGroup = await create({ type: 'GROUP_LIST', groups: [f.group] });
    expect(byGroup.param).toMatchObject({ type: 'GroupList', groupList: [f.group] });
    const byGroupId = await create({ type: 'GROUP_ID_LIST', groups: [f.groupId] });
    expect(byGroupId.param).toMatchObject({ type: 'GroupIdList', groupList: [f.groupId] });
    // The product's group holds every device of the product, so all three reach the same devices.
    expect(byType.stats.total).toBeGreaterThanOrEqual(f.devices.length);
    expect(byGroup.stats.total).toBe(byType.stats.total);
    expect(byGroupId.stats.total).toBe(byType.stats.total);

    const byArea = await create({ type: 'DEVICE_AREA', location: 'Harbor' });
    expect(byArea.param).toMatchObject({ type: 'DeviceArea', deviceLocation: 'Harbor' });
    expect(byArea.stats.total).toBeGreaterThan(0);
    const everyone = await create({ type: 'BROADCAST' });
    expect(everyone.param).toMatchObject({ type: 'Broadcast' });
    // The stack's fleet has 400 devices.
    expect(everyone.stats.total).toBe(400);
  });
});
