// The full sync resumes where it stood: a gateway killed in the middle of it, started again on the same data dir,
// reads on from its cursor instead of starting over. A small budget window (20 calls / 5 s) makes the sync last.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { platformEnv, TEST_API_KEY } from '../gateway/helpers.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.js';
import { testStoreLocation, type TestStoreLocation } from '../helpers/store.js';

type Stats = { total: number; byRoute: Record<string, number> };
const DEVICES_ROUTE = 'GET /iocm/app/dm/v1.4.0/devices';
const PACKAGES_ROUTE = 'GET /iodm/northbound/v1.5.0/category';

let emulator: RunningEmulator;
let store: TestStoreLocation;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: 1, devices: 2000, clock: 'manual', startTime: '2026-03-01T00:00:00Z', throttlePerMinute: null });
  store = await testStoreLocation('sqlite');
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await emulator?.close();
  await store?.drop();
});

const stats = async (): Promise<Stats> => (await fetch(`${emulator.url}/_emulator/stats`)).json() as Promise<Stats>;
async function gateway(): Promise<GatewayProcess> {
  const started = await startGatewayProcess({
    ...(platformEnv(emulator.url, emulator.credentials, 20) as Record<string, string>),
    NORTHBOUND_RATE_LIMIT: '20/5s',
    MIRROR_BUDGET_SHARE: '0.5',
    ...store.env,
  });
  processes.push(started);
  return started;
}
async function mirrorState(url: string): Promise<{ state: string; devices: number }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY }, body: JSON.stringify({ query: '{ mirror { state devices } }' }) });
  return ((await response.json()) as { data: { mirror: { state: string; devices: number } } }).data.mirror;
}

describe('the full sync', () => {
  it('continues after a SIGKILL from the page it had reached, without reading the fleet again', async () => {
    const first = await gateway();
    // Wait until it is among the device pages (packages and groups done, some devices in).
    for (let i = 0; i < 200 && (await mirrorState(first.url)).devices === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await first.stop('SIGKILL');
    const before = await stats();
    const pagesBefore = before.byRoute[DEVICES_ROUTE] ?? 0;
    expect(pagesBefore).toBeGreaterThan(0);
    expect(pagesBefore).toBeLessThan(8);

    const second = await gateway();
    for (let i = 0; i < 600 && (await mirrorState(second.url)).state !== 'READY'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await mirrorState(second.url)).toEqual({ state: 'READY', devices: 2000 });
    const after = await stats();
    // 8 pages of 250 devices in all; at most the page in flight at the kill was read twice.
    expect(after.byRoute[DEVICES_ROUTE]).toBeGreaterThanOrEqual(8);
    expect(after.byRoute[DEVICES_ROUTE]).toBeLessThanOrEqual(9);
    // The packages (the first step) were not listed again.
    expect(after.byRoute[PACKAGES_ROUTE]).toBe(before.byRoute[PACKAGES_ROUTE]);
  });
});
