// One token for three gateway processes on one PostgreSQL database: they log in once between them, and when the
// platform voids it (every replica then meets 1010005 at once) one of them logs in again, not each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../harness/emulator.js';
import type { TestGateway } from '../harness/gateway.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const LOGIN = ROUTE.login;

let stack: Stack;
const gateways: TestGateway[] = [];
let deviceIds: string[];

beforeAll(async () => {
  // No cache: every read is a platform call; the budget is not what this test is about (its slots leased ahead for
  // an outage and the mirror's sync would leave less than the 90 reads here).
  const env = { GATEWAY_CACHE_TTL_SECONDS: '0', NORTHBOUND_RATE_LIMIT: '1000/60s' };
  stack = await startStack({ platform: { clock: 'realtime', startTime: undefined, throttlePerMinute: null }, store: 'postgres', env, gateway: 'none' });
  const { platform } = stack;
  const api = new Api(platform.url, platform.credentials.appId, platform.credentials.secret);
  await api.login();
  deviceIds = ((await api.ok(PATH.devices, { pageNo: 0, pageSize: 100 })).devices as Json[]).map((d) => d.deviceId as string);
  await platform.reset();
  await Promise.all([0, 1, 2].map(async () => gateways.push(await stack.startGateway({ process: true }))));
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

const control = (path: string, body?: unknown): Promise<Json> => stack.platform.control(path, body);
/** `n` reads at once, spread over the replicas; every one must be answered. */
async function readAll(n: number): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: n }, (_, i) => gateways[i % gateways.length]!.query('query($id: ID!) { device(id: $id) { id } }', { id: deviceIds[i % deviceIds.length] })),
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
