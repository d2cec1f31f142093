// Live updates over graphql-ws, fed by the fleet mirror: a subscriber follows a task it created to its end with no
// platform call of its own (push on), and without push, a hundred subscribers of one running task cost what one does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { mirrorReady, TEST_API_KEY, type TestGateway } from '../harness/gateway.js';
import type { Platform } from '../harness/platform.js';
import { collect, wsClient } from '../harness/live.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const { device: DEVICE_ROUTE } = ROUTE;

/** Moves the platform's clock on by `seconds` every `ms` until stopped. */
function keepAdvancing(platform: Platform, seconds: number, ms: number): () => void {
  const clock = setInterval(() => void platform.advance(seconds).catch(() => undefined), ms);
  return () => clearInterval(clock);
}

/** A device that will take an upgrade now, and a firmware package of its product it does not run. */
async function upgradable(stack: Stack): Promise<{ deviceId: string; fileId: string }> {
  const { data } = await stack.gateway.query('{ fleet(first: 50) { nodes { id deviceType model fwVersion } } upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id deviceType model version } } }');
  for (const device of data.fleet.nodes) {
    const pkg = data.upgradePackages.nodes.find((p: Json) => p.deviceType === device.deviceType && p.model === device.model && p.version !== device.fwVersion);
    if (pkg) {
      await stack.platform.control(`devices/${device.id}`, { status: 'ONLINE' });
      return { deviceId: device.id, fileId: pkg.id };
    }
  }
  throw new Error('no upgradable device');
}

describe('operationUpdated with push (the embedded emulator)', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { MIRROR_BUDGET_SHARE: '0.5' } });
    gateway = stack.gateway;
    await mirrorReady(gateway);
  });
  afterAll(() => stack?.close());

  it('follows a task created here through to SUCCESS, with no platform call for the subscription', async () => {
    const target = await upgradable(stack);
    const created = await gateway.query('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
      input: { fileId: target.fileId, targets: { deviceIds: [target.deviceId] } },
    });
    const id = created.data.createFirmwareUpgradeTask.operationId as string;
    // The mirror learns of the new task from its poll (or a first notification); then its subtasks are followed.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const client = wsClient(gateway);
    try {
      const before = await stack.platform.stats();
      const updates = collect(client, 'subscription($id: ID!) { operationUpdated(id: $id) { id status stats { total success progress } } }', { id }, (v) => v.data?.operationUpdated?.status === 'SUCCESS');
      // Move the platform's clock on until the upgrade is done.
      const stop = keepAdvancing(stack.platform, 10, 100);
      const received = await updates.finally(stop);
      const after = await stack.platform.stats();
      expect(received.at(-1).data.operationUpdated).toMatchObject({ id, status: 'SUCCESS', stats: { total: 1, success: 1, progress: 1 } });
      for (const value of received) expect(value.errors).toBeUndefined();
      // What the platform was asked meanwhile is the mirror's own work, none of it for the subscriber's sake.
      expect((after.byRoute[DEVICE_ROUTE] ?? 0) - (before.byRoute[DEVICE_ROUTE] ?? 0)).toBe(0);
    } finally {
      await client.dispose();
    }
  });

  it('releases a subscription the moment its client completes it: 100 on one connection, each waiting for an event', async () => {
    const device = (await gateway.query('{ fleet(first: 1) { nodes { id } } }')).data.fleet.nodes[0].id as string;
    const client = wsClient(gateway);
    const errors: unknown[] = [];
    try {
      // No event comes for these: each waits, and is completed while it waits (the 21st would be refused if not).
      for (let i = 0; i < 100; i++) {
        const unsubscribe = client.subscribe({ query: 'subscription($id: ID!) { deviceUpdated(id: $id) { id } }', variables: { id: `no-such-device-${i}` } }, {
          next: () => undefined,
          error: (error) => errors.push(error),
          complete: () => undefined,
        });
        await new Promise((resolve) => setTimeout(resolve, 10));
        unsubscribe();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(errors).toEqual([]);
      // The connection still serves: one more hears its device change.
      const heard = collect(client, 'subscription($id: ID!) { deviceUpdated(id: $id) { id name } }', { id: device }, (v) => v.data?.deviceUpdated?.name === 'renamed-after-100', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await stack.platform.control(`devices/${device}`, { name: 'renamed-after-100' });
      expect((await heard).at(-1).data.deviceUpdated).toEqual({ id: device, name: 'renamed-after-100' });
    } finally {
      await client.dispose();
    }
  });

  it('closes a socket whose message is over GATEWAY_MAX_BODY_BYTES before reading it (1009), as HTTP refuses the body', async () => {
    const socket = new WebSocket(gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    // A connection_init of 2 MB: no key has been checked yet.
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('refuses a connection without a valid key when keys are configured, and applies the query limits to subscriptions', async () => {
    const keyedStack = await startStack({ platform: 'embedded', env: { GATEWAY_API_KEYS: `${TEST_API_KEY}:read`, MIRROR_BUDGET_SHARE: '0.5' } });
    const keyed = keyedStack.gateway;
    try {
      const anonymous = wsClient(keyed);
      await expect(collect(anonymous, 'subscription { deviceUpdated(id: "x") { id } }', {}, () => true, 5_000)).rejects.toThrow();
      await anonymous.dispose();
      const client = wsClient(keyed, TEST_API_KEY);
      const tooDeep = 'subscription { operationUpdated(id: "x") { subtasks { nodes { device { operations { nodes { subtasks { nodes { device { operations { nodes { id } } } } } } } } } } } }';
      await expect(collect(client, tooDeep, {}, () => true, 5_000)).rejects.toThrow(/depth/i);
      await client.dispose();
    } finally {
      await keyedStack.close();
    }
  });
});

describe('without push', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: { devices: 200, throttlePerMinute: null }, proxy: true, env: { MIRROR_BUDGET_SHARE: '0.5', MIRROR_POLL_SECONDS: '1' } });
    gateway = stack.gateway;
    await mirrorReady(gateway, 60_000);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a hundred subscribers of one running task cost the platform what one does, and all hear of its end', async () => {
    const target = await upgradable(stack);
    const created = await gateway.query('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
      input: { fileId: target.fileId, targets: { deviceIds: [target.deviceId] } },
    });
    const id = created.data.createFirmwareUpgradeTask.operationId as string;
    const query = 'subscription($id: ID!) { subtaskUpdated(operationId: $id, status: [SUCCESS, FAILED, TIMEOUT]) { status deviceId } }';
    // Reads of this task's subtasks (the mirror's backfill reads other tasks' meanwhile).
    const subtaskCalls = async (during: () => Promise<unknown>) => {
      const reads = () => stack.proxy.calls.filter((c) => c.path.includes(`/operations/${id}/subOperations`)).length;
      const before = reads();
      await during();
      return reads() - before;
    };
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    // Three seconds with one subscriber, then three with a hundred: the mirror reads each running task's subtasks once
    // a poll interval (1 s here) either way, so the two counts differ by timing alone (a poll more or less per task),
    // where a poller per subscriber would make it a hundred times as many.
    const clients: Client[] = [];
    try {
      const single = wsClient(gateway, TEST_API_KEY);
      const one = await subtaskCalls(() => Promise.race([collect(single, query, { id }, () => true, 3_000).catch(() => undefined), wait(3_000)]));
      await single.dispose();
      expect(one).toBeGreaterThan(0);
      clients.push(...Array.from({ length: 100 }, () => wsClient(gateway, TEST_API_KEY)));
      const ended = clients.map((client) => collect(client, query, { id }, () => true, 60_000));
      await wait(500);
      const hundred = await subtaskCalls(() => wait(3_000));
      // A poller per subscriber would read a hundred times as often.
      expect(hundred).toBeLessThanOrEqual(one * 2 + 1);
      // The upgrade ends; every subscriber hears it from the one read.
      const stop = keepAdvancing(stack.platform, 10, 200);
      const results = await Promise.all(ended).finally(stop);
      for (const values of results) expect(values[0].data?.subtaskUpdated, JSON.stringify(values[0])).toEqual({ status: 'SUCCESS', deviceId: target.deviceId });
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });

  it('batchTaskUpdated: one poll of the batch task a second for three subscribers, each hearing it complete', async () => {
    const target = await upgradable(stack);
    const create = await stack.callsDuring(() =>
      gateway.query('mutation($input: CreateBatchTaskInput!) { createBatchTask(input: $input) { taskId batchTask { status } } }', {
        input: { name: 'reboot', timeout: 10, target: { type: 'DEVICE_LIST', deviceIds: [target.deviceId] }, command: { serviceId: 'Maintenance', method: 'REBOOT' } },
      }),
    );
    const created = create.result;
    expect(created.errors).toBeUndefined();
    // Read once: the create keeps the new task for batchTasks, and its payload shows what that read found.
    expect(create.byRoute[ROUTE.batchTask]).toBe(1);
    expect(created.data.createBatchTask.batchTask.status).toBe('PENDING');
    const id = created.data.createBatchTask.taskId as string;
    const route = ROUTE.batchTask;
    const clients = Array.from({ length: 3 }, () => wsClient(gateway, TEST_API_KEY));
    try {
      const completed = clients.map((client) =>
        collect(client, 'subscription($id: ID!) { batchTaskUpdated(id: $id) { id status stats { total success } } }', { id }, (v) => v.data?.batchTaskUpdated?.status === 'COMPLETE', 60_000),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = await stack.platform.stats();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const polls = ((await stack.platform.stats()).byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
      // One poller at 1 s: about three reads in three seconds, not three per subscriber.
      expect(polls).toBeGreaterThanOrEqual(2);
      expect(polls).toBeLessThanOrEqual(4);
      const stop = keepAdvancing(stack.platform, 30, 200);
      const results = await Promise.all(completed).finally(stop);
      for (const values of results) {
        for (const value of values) expect(value.errors).toBeUndefined();
        expect(values.at(-1).data.batchTaskUpdated).toMatchObject({ id, status: 'COMPLETE', stats: { total: 1 } });
      }
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });
});

describe('connection limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      platform: 'embedded',
      env: { GATEWAY_API_KEYS: 'k1:read,k2:read', GATEWAY_WS_MAX_CONNECTIONS_PER_KEY: '2', GATEWAY_WS_MAX_CONNECTIONS_PER_ADDRESS: '3', MIRROR_BUDGET_SHARE: '0.5' },
    });
  });
  afterAll(() => stack?.close());

  /** A socket and what became of its connection_init: acknowledged, closed (with its code), or refused at the upgrade (HTTP status). */
  const connect = (key: string): Promise<{ socket: WebSocket; outcome: string }> =>
    new Promise((resolve) => {
      const socket = new WebSocket(stack.gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.once('unexpected-response', (_req, res) => resolve({ socket, outcome: `http ${res.statusCode}` }));
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': key } })));
      socket.once('message', (data) => resolve({ socket, outcome: (JSON.parse(String(data)) as { type: string }).type }));
      socket.once('close', (code) => resolve({ socket, outcome: `closed ${code}` }));
    });

  it('bounds the sockets of one API key (4429) and of one address (429 before the upgrade), and frees a closed one', async () => {
    const first = await connect('k1');
    const second = await connect('k1');
    expect([first.outcome, second.outcome]).toEqual(['connection_ack', 'connection_ack']);
    expect((await connect('k1')).outcome).toBe('closed 4429');
    // Another key is not held back by k1's: the third socket of this address.
    const other = await connect('k2');
    expect(other.outcome).toBe('connection_ack');
    expect((await connect('k2')).outcome).toBe('http 429');
    // A closed socket leaves room for another, of its key and of its address.
    const gone = new Promise((resolve) => first.socket.once('close', resolve));
    first.socket.close();
    await gone;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await connect('k1');
    expect(again.outcome).toBe('connection_ack');
    for (const { socket } of [second, other, again]) socket.close();
  });
});
