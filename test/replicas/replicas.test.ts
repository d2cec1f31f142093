// Three gateway processes on one PostgreSQL database behave as one client of the platform (issue 14): the standalone
// emulator counts one login however the load spreads, no call answered 1010005 and none throttled at ten times the
// budget offered; one idempotency key sent to all three at once makes one task; a subscriber on one replica hears of
// a change another replica learned; and a rollout whose orchestrator's replica is killed goes on from another one.
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, mirrorReady, TEST_API_KEY, type GatewayProcess } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The platform's throttle, calls a minute; the gateways' budget is 15 calls every 5 s (180 a minute, under it): short
 * windows, short waits, and a quick mirror sync of the small fleet below.
 */
const THROTTLE = 200;
const BUDGET = { calls: 15, windowSeconds: 5 };
const LOGIN = ROUTE.login;
const CREATE = ROUTE.createFirmwareUpgrade;

/** The emulator as its own process (apart from this file's event loop), the gateways' database, the gateways. */
let stack: Stack;
/** Every process started, in order, as soon as it runs. */
const gateways: GatewayProcess[] = [];
/** A firmware package, and online devices it fits that do not run it yet. */
let f: { firmware: string; devices: string[] };

const control = (path: string, body?: unknown): Promise<Json> => stack.platform.control(path, body);
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  // The platform pushes to one URL for all replicas (a load balancer's); here it is replica B's.
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const env = {
    NORTHBOUND_RATE_LIMIT: `${BUDGET.calls}/${BUDGET.windowSeconds}s`,
    MIRROR_BUDGET_SHARE: '0.5',
    MIRROR_POLL_SECONDS: '2',
    GATEWAY_PUBLIC_URL: `http://127.0.0.1:${ports[1]}`,
    GATEWAY_REQUEST_DEADLINE_MS: '1500',
    GATEWAY_CACHE_TTL_SECONDS: '0',
  };
  // 150 devices: enough products with six online devices to upgrade, and a mirror sync of some 60 calls.
  stack = await startStack({ platform: { process: true, devices: 150, throttlePerMinute: THROTTLE }, store: 'postgres', env, gateway: 'none' });
  // Its throttle's minute passes as the gateways' does.
  stack.platform.followWallClock();
  const start = (port: number | undefined) => stack.startGateway({ process: true, env: { PORT: String(port) } });
  // A first, alone: it takes the mirror's sync and the rollout orchestrator; B and C start together.
  gateways.push(await start(ports[0]));
  await Promise.all(ports.slice(1).map(async (port) => gateways.push(await start(port))));
  // B and C in the order of their ports: B is the one the platform pushes to.
  gateways.sort((x, y) => ports.indexOf(Number(new URL(x.url).port)) - ports.indexOf(Number(new URL(y.url).port)));
  const a = gateways[0] as GatewayProcess;
  await Promise.all(gateways.map((g) => mirrorReady(g, 60_000)));
  f = await fixtures(a);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

/** From the mirror (no platform call): the budget is small here. */
async function fixtures(gateway: GatewayProcess): Promise<{ firmware: string; devices: string[] }> {
  const packages = (await gateway.query('{ upgradePackages(first: 100) { nodes { id type deviceType model manufacturerName version } } }')).data.upgradePackages.nodes as Json[];
  for (const p of packages.filter((p) => p.type === 'FIRMWARE')) {
    const filter = { deviceType: p.deviceType, model: p.model, manufacturerName: p.manufacturerName, fwVersionNot: p.version, status: ['ONLINE'] };
    const devices = (await gateway.query('query($filter: DeviceFilter) { fleet(filter: $filter, first: 6) { nodes { id } } }', { filter })).data.fleet.nodes as Json[];
    if (devices.length === 6) return { firmware: p.id as string, devices: devices.map((d) => d.id as string) };
  }
  throw new Error('fixtures: no firmware package with six online devices to install it on');
}

describe('three replicas on one PostgreSQL database', () => {
  it('log in once between them, and under ten times the budget offered never meet 1010005 or the throttle', async () => {
    // Each read is one platform call (batch tasks are always read from the platform), spread over the replicas: for
    // two budget windows, ten times what the budget allows in that time, in even steps (no request waits past its deadline for a
    // gateway busy with the others).
    const seconds = 2 * BUDGET.windowSeconds;
    const offered = 10 * 2 * BUDGET.calls;
    const replies: Json[] = [];
    for (let second = 0; second < seconds; second++) {
      const started = Date.now();
      const batch = Array.from({ length: offered / seconds }, (_, i) => gateways[i % 3]!.query('query($id: ID!) { batchTask(id: $id) { id } }', { id: randomBytes(12).toString('hex') }));
      replies.push(...(await Promise.all(batch)));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
    }
    const codes = new Set(replies.flatMap((r) => (r.errors ?? []).map((e: Json) => e.extensions?.code)));
    // Refused for want of a slot, or granted one too close to the deadline to wait for the platform: never an auth
    // failure, never the platform's throttle.
    expect([...codes].filter((c) => c !== 'RATE_LIMITED' && c !== 'UPSTREAM_TIMEOUT')).toEqual([]);
    const served = replies.filter((r) => r.errors === undefined).length;
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(2 * BUDGET.calls);
    const stats = await control('stats');
    expect(stats.byRoute[LOGIN]).toBe(1);
    expect(stats.tokenRejected).toBe(0);
    expect(stats.throttled).toBe(0);
  });

  it('make one task of one idempotency key sent to all three at once', async () => {
    // The load spent the window: a create must not wait for a slot until its deadline has no time left for the platform.
    await new Promise((resolve) => setTimeout(resolve, (BUDGET.windowSeconds + 1) * 1000));
    const before = (await control('stats')).byRoute[CREATE] ?? 0;
    const key = randomUUID();
    const input = { fileId: f.firmware, targets: { deviceIds: [f.devices[0]] }, idempotencyKey: key };
    const mutation = 'mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }';
    // The budget may still be spent by the load before: wait for a slot rather than be refused.
    const replies = await Promise.all(gateways.map((g) => until('a create answered', 70_000, async () => {
      const reply = await g.query(mutation, { input });
      return reply.errors?.[0]?.extensions?.code === 'RATE_LIMITED' ? undefined : reply;
    })));
    const ids = replies.map((r) => r.data?.createFirmwareUpgradeTask?.operationId);
    expect(ids[0], JSON.stringify(replies)).toBeDefined();
    expect(new Set(ids).size).toBe(1);
    expect((await control('stats')).byRoute[CREATE]).toBe(before + 1);
  }, 90_000);

  it('tell a subscriber on replica A of a change replica B learned', async () => {
    const [a] = gateways as [GatewayProcess];
    const deviceId = f.devices[1] as string;
    const client = createClient({ url: a.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { 'x-api-key': TEST_API_KEY }, retryAttempts: 0 });
    try {
      const name = `renamed-${randomUUID().slice(0, 8)}`;
      const seen = new Promise<Json>((resolve, reject) => {
        client.subscribe({ query: 'subscription($id: ID!) { deviceUpdated(id: $id) { id name } }', variables: { id: deviceId } }, { next: (update) => resolve(update.data), error: reject, complete: () => undefined });
      });
      // Subscribed once the server has taken the operation; then the platform pushes the change to B's receiver.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await control(`devices/${deviceId}`, { name });
      const update = await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error('no update on replica A within 10 s')), 10_000))]);
      expect(update).toEqual({ deviceUpdated: { id: deviceId, name } });
    } finally {
      await client.dispose();
    }
  });

  it('tell subscribers on every replica that a watched batch task completed, with the data the polling replica read', async () => {
    const [a, b, c] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    const created = await c.query('mutation($input: CreateBatchTaskInput!) { createBatchTask(input: $input) { taskId } }', {
      input: { name: 'reboot', timeout: 10, target: { type: 'DEVICE_LIST', deviceIds: [f.devices[2]] }, command: { serviceId: 'Maintenance', method: 'REBOOT' } },
    });
    const id = created.data?.createBatchTask?.taskId as string;
    expect(id, JSON.stringify(created)).toBeDefined();
    // One replica polls the task for all (a lease per task); the other hears of each change through the store.
    const clients = [a, b].map((g) => createClient({ url: g.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { 'x-api-key': TEST_API_KEY }, retryAttempts: 0 }));
    try {
      const completed = clients.map(
        (client) =>
          new Promise<Json>((resolve, reject) => {
            client.subscribe(
              { query: 'subscription($id: ID!) { batchTaskUpdated(id: $id) { id status stats { total completed } } }', variables: { id } },
              { next: (update) => (update.data as Json)?.batchTaskUpdated?.status === 'COMPLETE' && resolve(update.data), error: reject, complete: () => undefined },
            );
          }),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const clock = setInterval(() => void control('clock', { advanceSeconds: 30 }).catch(() => undefined), 500);
      const updates = await Promise.race([
        Promise.all(completed),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a replica\'s subscriber did not hear of COMPLETE within 20 s')), 20_000)),
      ]).finally(() => clearInterval(clock));
      for (const update of updates) expect(update).toEqual({ batchTaskUpdated: { id, status: 'COMPLETE', stats: { total: 1, completed: 1 } } });
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  }, 40_000);

  it('go on with a rollout within 30 s when the replica running its orchestrator is killed, creating no task twice', async () => {
    const [a, b, c] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    const leaseHolder = async () => {
      const client = new pg.Client({ connectionString: stack.store?.env.DATABASE_URL });
      await client.connect();
      try {
        return (await client.query<{ holder: string }>("select holder from store_leases where name = 'rollout-orchestrator'")).rows[0]?.holder;
      } finally {
        await client.end();
      }
    };
    const creates = async () => ((await control('stats')).byRoute[CREATE] ?? 0) as number;
    const before = await creates();
    const created = await b.query('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rollout { id } } }', {
      input: { fileId: f.firmware, targets: { deviceIds: f.devices.slice(2, 6) }, waves: [{ count: 2 }, { count: 2 }] },
    });
    const id = created.data?.createRollout?.rollout?.id as string;
    expect(id, JSON.stringify(created)).toBeDefined();
    const waves = async (g: GatewayProcess) => (await g.query('query($id: ID!) { rollout(id: $id) { state waves { state operations { id } } } }', { id })).data?.rollout as Json;
    await until('the first wave created', 30_000, async () => ((await waves(c))?.waves[0].operations.length === 1 ? true : undefined)).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await waves(c))}`);
    });
    // A started first and holds the orchestrator's lease (and the mirror's sync).
    const holder = await leaseHolder();
    await a.stop('SIGKILL');
    const killedAt = Date.now();
    // The first wave's task ends on the platform (an upgrade takes at most 330 s; a jump past the tokens' hour would
    // void them); another replica must notice, and start the second wave.
    await control('clock', { advanceSeconds: 600 });
    await until('the second wave created by another replica', 30_000, async () => ((await waves(c))?.waves[1].operations.length === 1 ? true : undefined));
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(await leaseHolder()).not.toBe(holder);
    expect(await creates(), JSON.stringify(await waves(c))).toBe(before + 2);
    const stats = await control('stats');
    expect(stats.byRoute[LOGIN]).toBe(1);
    expect(stats.tokenRejected).toBe(0);
    expect(stats.throttled).toBe(0);
  }, 60_000);
});
