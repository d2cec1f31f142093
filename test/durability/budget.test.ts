// The call budget lives in the store: a gateway restarted under load still knows the calls its predecessor spent,
// and two gateway processes on one PostgreSQL database share one budget. Either way the platform (the emulator's
// real sliding-window throttle, on the wall clock) never has to say 1010009.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../harness/emulator.js';
import type { GatewayProcess } from '../harness/gateway.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { testStoreLocation, type TestStoreLocation } from '../harness/store.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const BUDGET = 30;

let stack: Stack;
let deviceIds: string[];
const processes: GatewayProcess[] = [];
const stores: TestStoreLocation[] = [];

beforeAll(async () => {
  stack = await startStack({
    platform: { clock: 'realtime', startTime: undefined, throttlePerMinute: BUDGET },
    // One client drives the load here; refusals come fast.
    env: { GATEWAY_CLIENT_BUDGET_SHARE: '1', GATEWAY_REQUEST_DEADLINE_MS: '1500' },
    gateway: 'none',
  });
  const { platform } = stack;
  const api = new Api(platform.url, platform.credentials.appId, platform.credentials.secret);
  await api.login();
  const page = await api.ok(PATH.devices, { pageNo: 0, pageSize: 100 });
  deviceIds = (page.devices as Json[]).map((d) => d.deviceId as string);
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(stores.splice(0).map((s) => s.drop()));
});
afterAll(async () => {
  await stack?.close();
});

/** Same data; counters and the throttle's window start from zero. */
const freshPlatform = () => stack.platform.reset();
const stats = () => stack.platform.stats();
async function gatewayOn(store: TestStoreLocation): Promise<GatewayProcess> {
  const gateway = await stack.startGateway({ process: true, env: store.env });
  processes.push(gateway);
  return gateway;
}
/** Reads each device once through the gateways in turn; how many came back (the others must be RATE_LIMITED). */
async function readDevices(gateways: GatewayProcess[], ids: string[], refusals = ['RATE_LIMITED']): Promise<number> {
  const replies: Json[] = await Promise.all(ids.map((id, i) => gateways[i % gateways.length]!.query('query($id: ID!) { device(id: $id) { id } }', { id })));
  for (const reply of replies) if (!reply.data?.device) expect(refusals).toContain(reply.errors?.[0]?.extensions?.code);
  return replies.filter((r) => r.data?.device).length;
}

describe('the call budget kept in the store', () => {
  it('is still spent after a restart under load: the new process waits instead of provoking the throttle', async () => {
    await freshPlatform();
    const store = await testStoreLocation('sqlite');
    stores.push(store);
    const before = await gatewayOn(store);
    const served = await readDevices([before], deviceIds.slice(0, 45));
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(BUDGET);
    await before.stop('SIGKILL');

    const after = await gatewayOn(store);
    const servedAfter = await readDevices([after], deviceIds.slice(45, 75));
    expect(served + servedAfter).toBeLessThanOrEqual(BUDGET);
    expect((await stats()).throttled).toBe(0);
  });

  it('is shared by two gateway processes on one PostgreSQL database: together they stay within it', async () => {
    await freshPlatform();
    const store = await testStoreLocation('postgres');
    stores.push(store);
    const gateways = [await gatewayOn(store), await gatewayOn(store)];
    // They share one token too: one login between them, so no read fails on auth.
    const served = await readDevices(gateways, deviceIds.slice(0, 80));
    expect(served).toBeLessThanOrEqual(BUDGET);
    const { total, throttled, byRoute } = await stats();
    expect(byRoute[ROUTE.login]).toBe(1);
    const budgeted = total - (byRoute[ROUTE.login] ?? 0) - (byRoute[ROUTE.refresh] ?? 0);
    expect(budgeted).toBeGreaterThan(BUDGET / 2);
    expect(budgeted).toBeLessThanOrEqual(BUDGET);
    expect(throttled).toBe(0);
  });
});
