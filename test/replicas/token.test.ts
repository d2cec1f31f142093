// One token for three gateway processes on one PostgreSQL database: they log in once between them, and when the
// platform voids it (every replica then meets 1010005 at once) one of them logs in again, not each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { platformEnv, TEST_API_KEY } from '../gateway/helpers.js';
import { Api } from '../helpers/emulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.js';
import { testStoreLocation, type TestStoreLocation } from '../helpers/store.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const LOGIN = 'POST /iocm/app/sec/v1.1.0/login';

let emulator: RunningEmulator;
let store: TestStoreLocation;
const gateways: GatewayProcess[] = [];
let deviceIds: string[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: 7, devices: 400, clock: 'realtime', throttlePerMinute: null });
  const api = new Api(emulator.url, emulator.credentials.appId, emulator.credentials.secret);
  await api.login();
  deviceIds = ((await api.ok('/iocm/app/dm/v1.4.0/devices', { pageNo: 0, pageSize: 100 })).devices as Json[]).map((d) => d.deviceId as string);
  await control('reset', { seed: 7, devices: 400 });
  store = await testStoreLocation('postgres');
  // No cache: every read is a platform call.
  const env = { ...(platformEnv(emulator.url, emulator.credentials) as Record<string, string>), ...store.env, GATEWAY_CACHE_TTL_SECONDS: '0' };
  await Promise.all([0, 1, 2].map(async () => gateways.push(await startGatewayProcess(env))));
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
  await store?.drop();
  await emulator?.close();
});

async function control(path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return response.json();
}
/** `n` reads at once, spread over the replicas; every one must be answered. */
async function readAll(n: number): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const response = await fetch(gateways[i % gateways.length]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
        body: JSON.stringify({ query: 'query($id: ID!) { device(id: $id) { id } }', variables: { id: deviceIds[i % deviceIds.length] } }),
      });
      return (await response.json()) as Json;
    }),
  );
  for (const reply of replies) expect(reply.errors).toBeUndefined();
}

describe('the token three replicas share', () => {
  it('is got by one login, and renewed by one login when the platform voids it under all three at once', async () => {
    await readAll(30);
    expect((await control('stats')).byRoute[LOGIN]).toBe(1);

    await control('faults', { expireTokens: true });
    await readAll(30);
    const stats = await control('stats');
    expect(stats.byRoute[LOGIN]).toBe(2);
    // Each replica met the voided token at most once per call in flight, then took the new one from the store.
    expect(stats.tokenRejected).toBeGreaterThan(0);
    await readAll(30);
    expect((await control('stats')).byRoute[LOGIN]).toBe(2);
  }, 60_000);
});
