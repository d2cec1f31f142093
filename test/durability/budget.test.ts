// The call budget lives in the store: a gateway restarted under load still knows the calls its predecessor spent,
// and two gateway processes on one PostgreSQL database share one budget. Either way the platform (the emulator's
// real sliding-window throttle, on the wall clock) never has to say 1010009.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { platformEnv, TEST_API_KEY } from '../gateway/helpers.js';
import { Api } from '../helpers/emulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.js';
import { testStoreLocation, type TestStoreLocation } from '../helpers/store.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const BUDGET = 30;
const EMULATOR = { port: 0, seed: 7, devices: 400, clock: 'realtime' as const, throttlePerMinute: BUDGET };

let emulator: RunningEmulator;
let deviceIds: string[];
const processes: GatewayProcess[] = [];
const stores: TestStoreLocation[] = [];

beforeAll(async () => {
  emulator = await startEmulator(EMULATOR);
  const api = new Api(emulator.url, emulator.credentials.appId, emulator.credentials.secret);
  await api.login();
  const page = await api.ok('/iocm/app/dm/v1.4.0/devices', { pageNo: 0, pageSize: 100 });
  deviceIds = (page.devices as Json[]).map((d) => d.deviceId as string);
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(stores.splice(0).map((s) => s.drop()));
});
afterAll(async () => {
  await emulator?.close();
});

async function freshPlatform(): Promise<void> {
  // Same data; counters and the throttle's window start from zero.
  const { port: _port, ...options } = EMULATOR;
  const response = await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options) });
  expect(response.status).toBe(200);
}
async function stats(): Promise<{ total: number; throttled: number }> {
  return (await fetch(`${emulator.url}/_emulator/stats`)).json() as Promise<{ total: number; throttled: number }>;
}
async function gatewayOn(store: TestStoreLocation): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    ...(platformEnv(emulator.url, emulator.credentials, BUDGET) as Record<string, string>),
    ...store.env,
    // One client drives the load here; refusals come fast.
    GATEWAY_CLIENT_BUDGET_SHARE: '1',
    GATEWAY_REQUEST_DEADLINE_MS: '1500',
  });
  processes.push(gateway);
  return gateway;
}
/** Reads each device once through the gateways in turn; how many came back (the others must be RATE_LIMITED). */
async function readDevices(gateways: GatewayProcess[], ids: string[], refusals = ['RATE_LIMITED']): Promise<number> {
  const replies = await Promise.all(
    ids.map(async (id, i) => {
      const response = await fetch(gateways[i % gateways.length]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
        body: JSON.stringify({ query: 'query($id: ID!) { device(id: $id) { id } }', variables: { id } }),
      });
      return (await response.json()) as Json;
    }),
  );
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
    const { total, throttled, byRoute } = (await stats()) as { total: number; throttled: number; byRoute: Record<string, number> };
    expect(byRoute['POST /iocm/app/sec/v1.1.0/login']).toBe(1);
    const budgeted = total - (byRoute['POST /iocm/app/sec/v1.1.0/login'] ?? 0) - (byRoute['POST /iocm/app/sec/v1.1.0/refreshToken'] ?? 0);
    expect(budgeted).toBeGreaterThan(BUDGET / 2);
    expect(budgeted).toBeLessThanOrEqual(BUDGET);
    expect(throttled).toBe(0);
  });
});
