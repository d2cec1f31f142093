// idempotencyKey: the same key with the same input gives the first result and creates nothing more, however many
// submissions arrive at once; a key cannot be reused for another input; without a key every call creates.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBatchDocument,
  CreatedOperationsDocument,
  CreateFirmwareUpgradeDocument,
  CreateSoftwareUpgradeDocument,
  type CreateBatchTaskInput,
  type CreateUpgradeTaskInput,
} from '../generated/graphql.js';
import { ROUTE } from '../harness/routes.js';
import type { Stack } from '../harness/stack.js';
import { callsDuring, loadFixtures, onlyError, startMutationStack, type Fixtures } from './support.js';

let stack: Stack;
let f: Fixtures;
beforeAll(async () => {
  stack = await startMutationStack();
  f = await loadFixtures(stack);
});
afterAll(async () => {
  await stack?.close();
});

const upgrade = (device: number, idempotencyKey?: string): CreateUpgradeTaskInput => ({
  fileId: f.firmware,
  targets: { deviceIds: [f.devices[device] as string] },
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
});
const create = (input: CreateUpgradeTaskInput) => stack.gateway.run(CreateFirmwareUpgradeDocument, { input });

/** The ids of the tasks the platform lists, newest first. */
async function listedIds(): Promise<{ total: number; ids: string[] }> {
  const response = await stack.gateway.run(CreatedOperationsDocument, { first: 50 });
  expect(response.errors).toBeUndefined();
  return { total: response.data?.operations?.totalCount ?? -1, ids: response.data?.operations?.nodes.map((o) => o.id) ?? [] };
}

describe('createFirmwareUpgradeTask with an idempotencyKey', () => {
  it('the same key and input twice: the same operationId, one task', async () => {
    const key = randomUUID();
    const before = await listedIds();
    const first = await callsDuring(stack, () => create(upgrade(0, key)));
    const second = await callsDuring(stack, () => create(upgrade(0, key)));

    expect(first.result.errors).toBeUndefined();
    expect(second.result.errors).toBeUndefined();
    const id = first.result.data?.createFirmwareUpgradeTask.operationId;
    expect(second.result.data?.createFirmwareUpgradeTask.operationId).toBe(id);
    expect(second.result.data?.createFirmwareUpgradeTask.operation?.id).toBe(id);
    expect(first.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    expect(second.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
    const after = await listedIds();
    expect(after.total).toBe(before.total + 1);
    expect(after.ids[0]).toBe(id);
  });

  it('10 concurrent submissions with one key: exactly one task, and every answer names it', async () => {
    const key = randomUUID();
    const before = await listedIds();
    const calls = await callsDuring(stack, () => Promise.all(Array.from({ length: 10 }, () => create(upgrade(1, key)))));

    for (const response of calls.result) expect(response.errors).toBeUndefined();
    const ids = new Set(calls.result.map((r) => r.data?.createFirmwareUpgradeTask.operationId));
    expect(ids.size).toBe(1);
    expect(calls.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    const after = await listedIds();
    expect(after.total).toBe(before.total + 1);
    expect(after.ids.filter((id) => !before.ids.includes(id))).toEqual([...ids]);
  });

  it('the same key with another input: BAD_USER_INPUT about the key, and the platform is not asked', async () => {
    const key = randomUUID();
    expect((await create(upgrade(2, key))).errors).toBeUndefined();

    const otherDevice = await callsDuring(stack, () => create(upgrade(3, key)));
    expect(onlyError(otherDevice.result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.idempotencyKey' });
    expect(otherDevice.result.data ?? null).toBeNull();
    expect(otherDevice.total).toBe(0);

    const otherPolicy = await callsDuring(stack, () => create({ ...upgrade(2, key), policy: { retry: true, retryTimes: 1 } }));
    expect(onlyError(otherPolicy.result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.idempotencyKey' });
    expect(otherPolicy.total).toBe(0);

    // The same input on the other mutation is another request too.
    const onSoftware = await callsDuring(stack, () => stack.gateway.run(CreateSoftwareUpgradeDocument, { input: { ...upgrade(2, key), fileId: f.firmware } }));
    expect(onlyError(onSoftware.result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.idempotencyKey' });
    expect(onSoftware.total).toBe(0);
  });

  it('an explicit default policy is the same input as none', async () => {
    const key = randomUUID();
    const first = await create(upgrade(4, key));
    const calls = await callsDuring(stack, () => create({ ...upgrade(4, key), policy: { executeType: 'NOW', retry: false } }));
    expect(calls.result.errors).toBeUndefined();
    expect(calls.result.data?.createFirmwareUpgradeTask.operationId).toBe(first.data?.createFirmwareUpgradeTask.operationId);
    expect(calls.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
  });

  it('without a key, the same input twice creates two tasks', async () => {
    const before = await listedIds();
    const calls = await callsDuring(stack, async () => [await create(upgrade(5)), await create(upgrade(5))]);
    const [a, b] = calls.result.map((r) => r.data?.createFirmwareUpgradeTask.operationId);
    expect(a).toBeTruthy();
    expect(b).toBeTruthy();
    expect(a).not.toBe(b);
    expect(calls.byRoute[ROUTE.createFirmwareUpgrade]).toBe(2);
    expect((await listedIds()).total).toBe(before.total + 2);
  });

  it('an input the gateway refused does not take the key', async () => {
    const key = randomUUID();
    const invalid = await create({ ...upgrade(7, key), policy: { retry: true } });
    expect(onlyError(invalid).extensions?.code).toBe('BAD_USER_INPUT');
    const valid = await callsDuring(stack, () => create(upgrade(7, key)));
    expect(valid.result.errors).toBeUndefined();
    expect(valid.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
  });

  it('a create the platform refused frees the key: the corrected input may use it', async () => {
    const key = randomUUID();
    const refused = await callsDuring(stack, () => create({ ...upgrade(6, key), fileId: f.otherFirmware }));
    expect(onlyError(refused.result).extensions?.upstream).toMatchObject({ code: '123016' });
    expect(refused.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);

    const corrected = await callsDuring(stack, () => create(upgrade(6, key)));
    expect(corrected.result.errors).toBeUndefined();
    expect(corrected.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    const again = await callsDuring(stack, () => create(upgrade(6, key)));
    expect(again.result.data?.createFirmwareUpgradeTask.operationId).toBe(corrected.result.data?.createFirmwareUpgradeTask.operationId);
    expect(again.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
  });
});

describe('createBatchTask with an idempotencyKey', () => {
  const input = (idempotencyKey: string, name = 'self-test'): CreateBatchTaskInput => ({
    name,
    timeout: 10,
    target: { type: 'DEVICE_LIST', deviceIds: f.devices.slice(0, 2) },
    command: { serviceId: 'Maintenance', method: 'SELF_TEST' },
    idempotencyKey,
  });

  it('concurrent submissions with one key create one task; another input under the key is refused', async () => {
    const key = randomUUID();
    const calls = await callsDuring(stack, () => Promise.all(Array.from({ length: 5 }, () => stack.gateway.run(CreateBatchDocument, { input: input(key) }))));
    for (const response of calls.result) expect(response.errors).toBeUndefined();
    expect(new Set(calls.result.map((r) => r.data?.createBatchTask.taskId)).size).toBe(1);
    expect(calls.byRoute[ROUTE.createBatchTask]).toBe(1);

    const renamed = await callsDuring(stack, () => stack.gateway.run(CreateBatchDocument, { input: input(key, 'another name') }));
    expect(onlyError(renamed.result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.idempotencyKey' });
    expect(renamed.total).toBe(0);
  });
});
