// Replicas while their PostgreSQL database cannot be reached (a proxy in front of it is cut): unable to count the
// shared call budget, each takes its window as full but for the slot it leased ahead, until it sees slots free
// (test/unit/rate-budget-outage.test.ts follows it on), so the platform's throttle is never met; a keyed create is refused before it is sent, since its
// record is what keeps it from being sent twice; readiness says the replica cannot serve.
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../harness/emulator.js';
import type { GatewayProcess } from '../harness/gateway.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const BUDGET = 20;
const REPLICAS = 2;

let stack: Stack;
let proxy: Server;
const sockets = new Set<Socket>();
const gateways: GatewayProcess[] = [];
let deviceIds: string[];

/** A TCP proxy to the database: cut, it drops every connection and refuses new ones. */
async function startProxy(target: URL): Promise<number> {
  const [port, host] = [Number(target.port || 5432), target.hostname];
  proxy = createServer((client) => {
    const server = connect(port, host);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return (proxy.address() as { port: number }).port;
}
async function cut(): Promise<void> {
  const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  await closed;
}

beforeAll(async () => {
  stack = await startStack({ platform: { clock: 'realtime', startTime: undefined, throttlePerMinute: BUDGET }, store: 'postgres', gateway: 'none' });
  const { platform } = stack;
  const api = new Api(platform.url, platform.credentials.appId, platform.credentials.secret);
  await api.login();
  deviceIds = ((await api.ok(PATH.devices, { pageNo: 0, pageSize: 100 })).devices as Json[]).map((d) => d.deviceId as string);
  // The emulator's counters and throttle from zero; the login above is forgotten.
  await platform.reset();
  const database = new URL(stack.store?.env.DATABASE_URL as string);
  database.port = String(await startProxy(database));
  database.hostname = '127.0.0.1';
  const env = {
    DATABASE_URL: database.toString(),
    GATEWAY_REPLICAS: String(REPLICAS),
    GATEWAY_CLIENT_BUDGET_SHARE: '1',
    GATEWAY_REQUEST_DEADLINE_MS: '1500',
  };
  for (let i = 0; i < REPLICAS; i++) gateways.push(await stack.startGateway({ process: true, env }));
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
  proxy?.close();
  await stack?.close();
});

const readDevice = (i: number) => gateways[i % REPLICAS]!.query('query($id: ID!) { device(id: $id) { id fwVersion } }', { id: deviceIds[i] });
const stats = () => stack.platform.stats();

describe('replicas whose PostgreSQL database is down', () => {
  it('take the shared window as full (they cannot count it), refuse keyed creates before sending them, and are not ready', async () => {
    // Both replicas hold the shared token before the database goes.
    for (let i = 0; i < REPLICAS; i++) expect((await readDevice(i)).data.device.id).toBe(deviceIds[i]);
    await cut();

    // For one window nobody knows what the others spent: nothing is sent but in the slot each leased ahead (a budget
    // of 20 leaves each of two replicas one) and in slots seen freeing (none yet here).
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => readDevice(REPLICAS + i)));
    const refused = replies.filter((reply) => !reply.data?.device);
    expect(replies.length - refused.length).toBe(REPLICAS);
    for (const reply of refused) {
      expect(reply.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(reply.errors[0].extensions.retryAfterSeconds).toBeLessThanOrEqual(61);
    }
    expect((await stats()).throttled).toBe(0);

    const created = await gateways[0]!.query('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
      input: { fileId: 'a'.repeat(24), targets: { deviceIds: [deviceIds[0]] }, idempotencyKey: randomUUID() },
    });
    expect(created.data?.createFirmwareUpgradeTask ?? null).toBeNull();
    expect(created.errors?.[0]?.extensions?.code).toBe('STORE_UNAVAILABLE');
    expect(created.errors?.[0]?.message).toMatch(/^Nothing was sent/);
    expect((await stats()).byRoute[ROUTE.createFirmwareUpgrade] ?? 0).toBe(0);

    const ready = await gateways[1]!.request('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json.checks.store).toEqual({ ok: false, error: 'STORE_UNAVAILABLE' });
  }, 60_000);
});
