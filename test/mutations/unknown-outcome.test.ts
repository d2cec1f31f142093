// A create the platform did not answer in time may or may not have created the task: the gateway says so
// (UPSTREAM_TIMEOUT, outcome UNKNOWN), never retries on its own, and a retry under the same key finds the task
// the first call made instead of making a second. A create refused outright (5xx) frees the key.
// The emulator runs on the wall clock: the gateway matches an unanswered create by the platform's createTime.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateBatchDocument, CreatedOperationsDocument, CreateFirmwareUpgradeDocument, type CreateUpgradeTaskInput } from '../generated/graphql.js';
import { ROUTE } from '../harness/routes.js';
import type { Stack } from '../harness/stack.js';
import { callsDuring, loadFixtures, onlyError, startMutationStack, type Fixtures } from './support.js';

const TIMEOUT_MS = 500;

let stack: Stack;
let f: Fixtures;
beforeAll(async () => {
  stack = await startMutationStack({ platform: { clock: 'realtime', startTime: undefined }, env: { NORTHBOUND_TIMEOUT_MS: String(TIMEOUT_MS) } });
  f = await loadFixtures(stack);
});
afterEach(async () => {
  await stack?.platform.clearFaults();
});
afterAll(async () => {
  await stack?.close();
});

const upgrade = (device: number, idempotencyKey: string): CreateUpgradeTaskInput => ({
  fileId: f.firmware,
  targets: { deviceIds: [f.devices[device] as string] },
  idempotencyKey,
});
const create = (input: CreateUpgradeTaskInput) => stack.gateway.run(CreateFirmwareUpgradeDocument, { input });
const onCreateRoute = (rule: Record<string, unknown>) => stack.platform.control('faults', { ...rule, routes: [ROUTE.createFirmwareUpgrade] });

/** The tasks on one device created since `since` (epoch ms), newest first. */
async function tasksOn(deviceId: string, since: number): Promise<string[]> {
  const response = await stack.gateway.run(CreatedOperationsDocument, { filter: { deviceId }, first: 20 });
  expect(response.errors).toBeUndefined();
  // The emulator's clock may trail the wall clock by up to a minute (its start is rounded down).
  return (response.data?.operations?.nodes ?? [])
    .filter((o) => Date.parse(o.createdAt ?? '') >= since - 60_000)
    .map((o) => o.id);
}

describe('a create answered too late', () => {
  it('is UPSTREAM_TIMEOUT with outcome UNKNOWN, not retried; the same key later finds the task without a second POST', async () => {
    const key = randomUUID();
    const device = f.devices[0] as string;
    const since = Date.now();
    // The emulator creates the task and answers after 1.5 s; the gateway waits 0.5 s.
    await onCreateRoute({ latencyMs: 1500 });

    const late = await callsDuring(stack, () => create(upgrade(0, key)));
    const error = onlyError(late.result);
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN', upstream: { endpoint: ROUTE.createFirmwareUpgrade } });
    expect(late.result.data ?? null).toBeNull();
    expect(late.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    // The platform did create it.
    const [made, ...more] = await tasksOn(device, since);
    expect(made).toBeDefined();
    expect(more).toEqual([]);

    await stack.platform.control('faults', undefined, 'DELETE');
    const retry = await callsDuring(stack, () => create(upgrade(0, key)));
    expect(retry.result.errors).toBeUndefined();
    expect(retry.result.data?.createFirmwareUpgradeTask.operationId).toBe(made);
    expect(retry.result.data?.createFirmwareUpgradeTask.operation?.id).toBe(made);
    expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
    expect(await tasksOn(device, since)).toEqual([made]);

    // From then on the key answers from memory.
    const again = await callsDuring(stack, () => create(upgrade(0, key)));
    expect(again.result.data?.createFirmwareUpgradeTask.operationId).toBe(made);
    expect(again.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
  });

  it('a retry under the same key while the outcome is still unknown does not POST again', async () => {
    const key = randomUUID();
    const device = f.devices[1] as string;
    const since = Date.now();
    await onCreateRoute({ latencyMs: 1500 });
    const late = await callsDuring(stack, () => create(upgrade(1, key)));
    expect(onlyError(late.result).extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });

    // The fault is still there: the retry looks for the task (a read), and finds it.
    const retry = await callsDuring(stack, () => create(upgrade(1, key)));
    expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
    const made = await tasksOn(device, since);
    expect(made).toHaveLength(1);
    expect(retry.result.data?.createFirmwareUpgradeTask.operationId).toBe(made[0]);
  });
});

describe('a create whose connection was reset before the platform handled it', () => {
  it('is UNKNOWN too; a retry that finds no task refuses rather than risk a second one', async () => {
    const key = randomUUID();
    const device = f.devices[2] as string;
    const since = Date.now();
    await onCreateRoute({ dropConnections: true });
    const dropped = await callsDuring(stack, () => create(upgrade(2, key)));
    expect(onlyError(dropped.result).extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(dropped.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);

    await stack.platform.control('faults', undefined, 'DELETE');
    const retry = await callsDuring(stack, () => create(upgrade(2, key)));
    expect(onlyError(retry.result).extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
    expect(await tasksOn(device, since)).toEqual([]);

    // A new key is a new request.
    const fresh = await callsDuring(stack, () => create(upgrade(2, randomUUID())));
    expect(fresh.result.errors).toBeUndefined();
    expect(fresh.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
  });
});

describe('a create refused with HTTP 500', () => {
  it('is UPSTREAM_UNAVAILABLE, not retried, and frees the key', async () => {
    const key = randomUUID();
    const device = f.devices[3] as string;
    const since = Date.now();
    await onCreateRoute({ errorStatus: 500 });
    const refused = await callsDuring(stack, () => create(upgrade(3, key)));
    expect(onlyError(refused.result).extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 500, code: '50252', endpoint: ROUTE.createFirmwareUpgrade },
    });
    expect(refused.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    expect(await tasksOn(device, since)).toEqual([]);

    await stack.platform.control('faults', undefined, 'DELETE');
    const retry = await callsDuring(stack, () => create(upgrade(3, key)));
    expect(retry.result.errors).toBeUndefined();
    expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    expect(await tasksOn(device, since)).toEqual([retry.result.data?.createFirmwareUpgradeTask.operationId]);
  });

  it('a 502 from something in between (no platform body) is UPSTREAM_UNAVAILABLE and not retried', async () => {
    await onCreateRoute({ errorStatus: 502 });
    const refused = await callsDuring(stack, () => create(upgrade(4, randomUUID())));
    expect(onlyError(refused.result).extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status: 502, endpoint: ROUTE.createFirmwareUpgrade } });
    expect(refused.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
  });
});

describe('concurrent submissions of one key when the create goes unanswered', () => {
  it('all answer UPSTREAM_TIMEOUT with outcome UNKNOWN, after one POST', async () => {
    const key = randomUUID();
    await onCreateRoute({ latencyMs: 1500 });
    const calls = await callsDuring(stack, () => Promise.all(Array.from({ length: 5 }, () => create(upgrade(5, key)))));
    expect(calls.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    // Every submitter is told the same thing: the task may exist, retry with the key to find out.
    for (const response of calls.result) {
      expect(onlyError(response).extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    }
  });
});

describe('reconciling an unanswered create claims only a task that matches it', () => {
  it('not a task of another package that the device got just before', async () => {
    const device = f.devices[6] as string;
    const since = Date.now();
    // Someone upgrades the device to another version; then our create is lost on the way.
    const earlier = await create({ fileId: f.firmware2, targets: { deviceIds: [device] }, idempotencyKey: randomUUID() });
    expect(earlier.errors).toBeUndefined();
    const key = randomUUID();
    await onCreateRoute({ dropConnections: true });
    const lost = await create(upgrade(6, key));
    expect(onlyError(lost).extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });

    await stack.platform.control('faults', undefined, 'DELETE');
    const retry = await callsDuring(stack, () => create(upgrade(6, key)));
    // Our package was never installed by any task: the answer must not name the other package's task.
    expect(retry.result.data?.createFirmwareUpgradeTask.operationId).not.toBe(earlier.data?.createFirmwareUpgradeTask.operationId);
    expect(onlyError(retry.result).extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
    expect(await tasksOn(device, since)).toEqual([earlier.data?.createFirmwareUpgradeTask.operationId]);
  });
});

describe('a create that succeeded but could not be read back', () => {
  it('still answers its operationId (the task exists), with operation null and an error on that field', async () => {
    const device = f.devices[7] as string;
    const since = Date.now();
    await stack.platform.control('faults', { errorStatus: 500, routes: [ROUTE.operation] });
    const response = await create(upgrade(7, randomUUID()));
    const [made] = await tasksOn(device, since);
    expect(made).toBeDefined();
    expect(response.data?.createFirmwareUpgradeTask).toEqual({ operationId: made, operation: null });
    expect(onlyError(response)).toMatchObject({ path: ['createFirmwareUpgradeTask', 'operation'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
  });

  it('likewise for a batch task: its taskId, with batchTask null and an error on that field', async () => {
    await stack.platform.control('faults', { latencyMs: 1500, routes: [ROUTE.batchTask] });
    const calls = await callsDuring(stack, () =>
      stack.gateway.run(CreateBatchDocument, {
        input: { name: 'reboot', timeout: 10, target: { type: 'DEVICE_LIST', deviceIds: [f.devices[8] as string] }, command: { serviceId: 'Maintenance', method: 'REBOOT' } },
      }),
    );
    expect(calls.byRoute[ROUTE.createBatchTask]).toBe(1);
    const payload = calls.result.data?.createBatchTask;
    expect(payload?.taskId).toMatch(/^[0-9a-f]{24}$/);
    expect(payload?.batchTask).toBeNull();
    expect(onlyError(calls.result)).toMatchObject({ path: ['createBatchTask', 'batchTask'], extensions: { code: 'UPSTREAM_TIMEOUT' } });
  });
});

describe('reconciling with the fleet mirror on, right after start', () => {
  it('asks the platform, not the mirror that has not seen the task yet, and finds it', async () => {
    // The mirror polls the newest tasks once an hour here: it cannot have learned the task the create made.
    const mirrored = await startMutationStack({
      platform: { clock: 'realtime', startTime: undefined },
      env: { NORTHBOUND_TIMEOUT_MS: String(TIMEOUT_MS), MIRROR_BUDGET_SHARE: '0.5', MIRROR_POLL_SECONDS: '3600' },
    });
    try {
      const fixtures = await loadFixtures(mirrored);
      const device = fixtures.devices[5] as string;
      const input: CreateUpgradeTaskInput = { fileId: fixtures.firmware, targets: { deviceIds: [device] }, idempotencyKey: randomUUID() };
      await mirrored.platform.control('faults', { latencyMs: 1500, routes: [ROUTE.createFirmwareUpgrade] });
      const late = await mirrored.gateway.run(CreateFirmwareUpgradeDocument, { input });
      expect(onlyError(late).extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
      await mirrored.platform.clearFaults();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const listed = await mirrored.gateway.run(CreatedOperationsDocument, { filter: { deviceId: device }, first: 20 });
      const before = new Set((listed.data?.operations?.nodes ?? []).map((o) => o.id));

      const retry = await callsDuring(mirrored, () => mirrored.gateway.run(CreateFirmwareUpgradeDocument, { input }));
      expect(retry.result.errors).toBeUndefined();
      const made = retry.result.data?.createFirmwareUpgradeTask.operationId as string;
      expect(before.has(made)).toBe(false);
      expect((await mirrored.platform.state('operations', made)).subtasks.map((s: { deviceId: string }) => s.deviceId)).toEqual([device]);
      expect(retry.byRoute[ROUTE.operations]).toBeGreaterThanOrEqual(1);
      expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
    } finally {
      await mirrored.close();
    }
  }, 60_000);
});
