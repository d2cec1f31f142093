// Creates happen exactly once: a key's outcome is kept in the store, so a retry after a restart, on a second gateway
// process on the same database, or during the shutdown drain, never sends a second create; a reconcile claims only
// the one task that is exactly this request and that no other key holds; a keyless create that times out says so.
// The emulator runs on the wall clock here: reconciles match tasks by the platform's createTime.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, type GatewayProcess } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { testStoreLocation, type TestStoreLocation } from '../harness/store.js';
import { callsDuring, loadFixtures, type Fixtures } from '../mutations/support.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CREATE = `mutation Create($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }`;

let stack: Stack;
let f: Fixtures;
const processes: GatewayProcess[] = [];
const stores: TestStoreLocation[] = [];

beforeAll(async () => {
  stack = await startStack({ platform: { clock: 'realtime', startTime: undefined }, gateway: 'none' });
  // A short platform timeout for this one; the processes keep the default (a drained create takes 1 s).
  await stack.useGateway({ env: { NORTHBOUND_TIMEOUT_MS: '500' } });
  f = await loadFixtures(stack);
});
afterEach(async () => {
  await stack?.platform.clearFaults();
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(stores.splice(0).map((s) => s.drop()));
});
afterAll(async () => {
  await stack?.close();
});

async function post(url: string, query: string, variables: Record<string, unknown>): Promise<Json> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY }, body: JSON.stringify({ query, variables }) });
  return response.json();
}
const create = (url: string, devices: string[], idempotencyKey?: string, fileId = f.firmware) =>
  post(url, CREATE, { input: { fileId, targets: { deviceIds: devices }, ...(idempotencyKey ? { idempotencyKey } : {}) } });
const operationIdOf = (reply: Json): string | undefined => reply.data?.createFirmwareUpgradeTask?.operationId;
const codeOf = (reply: Json) => reply.errors?.[0]?.extensions;
const device = (i: number) => f.devices[i] as string;

/** The tasks on one device, newest first, but for those in `before`. */
async function tasksOn(deviceId: string, before: string[] = []): Promise<string[]> {
  const reply = await post(stack.gateway.url, `query($d: ID!) { operations(filter: { deviceId: $d }, first: 20) { nodes { id } } }`, { d: deviceId });
  return (reply.data?.operations?.nodes ?? []).map((o: Json) => o.id as string).filter((id: string) => !before.includes(id));
}

async function gatewayProcess(store: TestStoreLocation): Promise<GatewayProcess> {
  const gateway = await stack.startGateway({ process: true, env: store.env });
  processes.push(gateway);
  return gateway;
}
async function storeOf(engine: 'sqlite' | 'postgres'): Promise<TestStoreLocation> {
  const store = await testStoreLocation(engine);
  stores.push(store);
  return store;
}

describe('a reconcile', () => {
  it('gives a key whose create never reached the platform no task of another key, even one with the same input', async () => {
    const devices = [device(0)];
    const first = await create(stack.gateway.url, devices, randomUUID());
    const t = operationIdOf(first);
    expect(t).toBeDefined();

    const k2 = randomUUID();
    await stack.platform.control('faults', { dropConnections: true, routes: [ROUTE.createFirmwareUpgrade] });
    expect(codeOf(await create(stack.gateway.url, devices, k2))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    await stack.platform.clearFaults();

    const retry = await callsDuring(stack, () => create(stack.gateway.url, devices, k2));
    expect(operationIdOf(retry.result)).toBeUndefined();
    expect(codeOf(retry.result)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(retry.result.errors[0].message).toMatch(/belong to other requests/);
    expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
  });
});

describe('a reconcile next to a create without a key', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('leaves K2 UNKNOWN, never crediting it with the task a keyless create made a second before, across two gateways on PostgreSQL', async () => {
    const store = await storeOf('postgres');
    const env = { ...store.env, NORTHBOUND_TIMEOUT_MS: '500' };
    const [a, b] = [await stack.startGateway({ process: true, env }), await stack.startGateway({ process: true, env })];
    processes.push(a, b);
    const devices = [device(8)];
    const before = await tasksOn(devices[0] as string);
    // The keyless create times out on A, but the platform makes its task T.
    await stack.platform.control('faults', { latencyMs: 1500, routes: [ROUTE.createFirmwareUpgrade] });
    const sent = Date.now();
    expect(codeOf(await create(a.url, devices))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    await stack.platform.clearFaults();
    const made = await tasksOn(devices[0] as string, before);
    expect(made).toHaveLength(1);

    // About a second later, K2 with the same input on B is dropped before the platform handles it.
    await sleep(Math.max(0, sent + 1000 - Date.now()));
    const k2 = randomUUID();
    await stack.platform.control('faults', { dropConnections: true, routes: [ROUTE.createFirmwareUpgrade] });
    expect(codeOf(await create(b.url, devices, k2))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    await stack.platform.clearFaults();

    for (const gateway of [b, a]) {
      const retry = await callsDuring(stack, () => create(gateway.url, devices, k2));
      expect(operationIdOf(retry.result)).toBeUndefined();
      expect(JSON.stringify(retry.result)).not.toContain(`"operationId":"${made[0]}"`);
      expect(codeOf(retry.result)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN', reconcile: { heldByOtherRequests: [] } });
      expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
    }
  }, 60_000);

  it('names the candidate and the keyless request in doubt rather than claim a task that request could have made', async () => {
    const devices = [device(9)];
    const before = await tasksOn(devices[0] as string);
    // A keyless create that never reached the platform: in doubt all the same.
    await stack.platform.control('faults', { dropConnections: true, routes: [ROUTE.createFirmwareUpgrade] });
    expect(codeOf(await create(stack.gateway.url, devices))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    // K3 times out, and its task is made.
    await stack.platform.clearFaults();
    await stack.platform.control('faults', { latencyMs: 1500, routes: [ROUTE.createFirmwareUpgrade] });
    const k3 = randomUUID();
    expect(codeOf(await create(stack.gateway.url, devices, k3))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    await stack.platform.clearFaults();
    const [made, ...more] = await tasksOn(devices[0] as string, before);
    expect(more).toEqual([]);

    const retry = await callsDuring(stack, () => create(stack.gateway.url, devices, k3));
    expect(operationIdOf(retry.result)).toBeUndefined();
    expect(codeOf(retry.result)).toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      outcome: 'UNKNOWN',
      reconcile: { candidates: [{ operationId: made }], requestsInDoubt: [{ withKey: false }] },
    });
    expect(retry.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
  });
});

describe('a create without a key', () => {
  it('that times out answers UPSTREAM_TIMEOUT with outcome UNKNOWN and says to send an idempotencyKey', async () => {
    await stack.platform.control('faults', { latencyMs: 1500, routes: [ROUTE.createFirmwareUpgrade] });
    const reply = await create(stack.gateway.url, [device(1)]);
    expect(codeOf(reply)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(reply.errors[0].message).toMatch(/idempotencyKey/);
  });
});

describe('the same key', () => {
  it('with the same devices in another order is the same input: the first result, no second create', async () => {
    const key = randomUUID();
    const first = await create(stack.gateway.url, [device(2), device(3)], key);
    expect(operationIdOf(first)).toBeDefined();
    const again = await callsDuring(stack, () => create(stack.gateway.url, [device(3), device(2)], key));
    expect(operationIdOf(again.result)).toBe(operationIdOf(first));
    expect(again.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
  });

  it('survives a gateway restart on the same data dir, a create answered during the drain included', async () => {
    const store = await storeOf('sqlite');
    const before = await gatewayProcess(store);
    const key = randomUUID();
    const created = operationIdOf(await create(before.url, [device(4)], key));
    expect(created).toBeDefined();

    // A slow create (1 s) is under way when the gateway is told to stop: the drain lets it finish.
    await stack.platform.control('faults', { latencyMs: 1000, routes: [ROUTE.createFirmwareUpgrade] });
    const drainedKey = randomUUID();
    const during = create(before.url, [device(5)], drainedKey);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await before.stop('SIGTERM');
    const drained = operationIdOf(await during);
    expect(drained).toBeDefined();
    await stack.platform.clearFaults();

    const after = await gatewayProcess(store);
    const retried = await callsDuring(stack, () => Promise.all([create(after.url, [device(4)], key), create(after.url, [device(5)], drainedKey)]));
    expect(retried.result.map(operationIdOf)).toEqual([created, drained]);
    expect(retried.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();
  });

  it('is honoured by a second gateway process on the same PostgreSQL database; 20 sends across both make one task', async () => {
    const store = await storeOf('postgres');
    const [a, b] = [await gatewayProcess(store), await gatewayProcess(store)];
    const key = randomUUID();
    const created = operationIdOf(await create(a!.url, [device(6)], key));
    expect(created).toBeDefined();
    const onB = await callsDuring(stack, () => create(b!.url, [device(6)], key));
    expect(operationIdOf(onB.result)).toBe(created);
    expect(onB.byRoute[ROUTE.createFirmwareUpgrade]).toBeUndefined();

    // A slow create, so that all 20 are in flight together.
    await stack.platform.control('faults', { latencyMs: 300, routes: [ROUTE.createFirmwareUpgrade] });
    const shared = randomUUID();
    const burst = await callsDuring(stack, () => Promise.all(Array.from({ length: 20 }, (_, i) => create((i % 2 ? a : b)!.url, [device(7)], shared))));
    expect(burst.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    const ids = new Set(burst.result.map(operationIdOf));
    expect(ids.size, JSON.stringify(burst.result.filter((r) => !operationIdOf(r)))).toBe(1);
    expect([...ids][0]).toBeDefined();
  });
});
