// One client cannot spend the application's budget for everyone: a query whose worst case exceeds a client's share
// is refused before any call, and a client that asked within the window keeps its reservation while another floods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from '../harness/gateway.js';
import { readFleet, startLimitsStack, type Fleet, type LimitsStack } from './support.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OTHER_KEY = 'another-client-key';
const BUDGET = 20;

let stack: LimitsStack;
let fleet: Fleet;
beforeAll(async () => {
  stack = await startLimitsStack({
    platform: { clock: 'realtime', startTime: undefined, throttlePerMinute: BUDGET },
    env: { GATEWAY_API_KEYS: `${TEST_API_KEY}:read,${OTHER_KEY}:read`, GATEWAY_REQUEST_DEADLINE_MS: '2000', GATEWAY_CACHE_TTL_SECONDS: '0' },
    deferGateway: true,
  });
  fleet = await readFleet(stack.api);
  await stack.platform.control('reset', { seed: 7, devices: 400, clock: 'realtime', throttlePerMinute: BUDGET });
  await stack.useGateway();
});
afterAll(async () => {
  await stack?.close();
});

async function devices(apiKey: string, ids: string[]): Promise<Json> {
  const response = await fetch(stack.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query: 'query($ids: [ID!]!) { devices(ids: $ids) { id } }', variables: { ids } }),
  });
  return { status: response.status, ...((await response.json()) as Json) };
}

describe('a client share of the budget (GATEWAY_CLIENT_BUDGET_SHARE 0.5 of 20 calls)', () => {
  it("refuses one key's 500-id query before any platform call, and serves another key's small query", async () => {
    const ids = fleet.devices.map((d) => d.deviceId as string);
    const before = await stack.platform.stats();
    const big = await devices(TEST_API_KEY, [...ids, ...ids].slice(0, 500));
    expect(big.status).toBe(429);
    expect(big.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', estimatedPlatformCalls: 500, maxPlatformCalls: 10 });
    expect((await stack.platform.stats()).total).toBe(before.total);

    const small = await devices(OTHER_KEY, ids.slice(0, 2));
    expect(small.errors).toBeUndefined();
    expect(small.data.devices.map((d: Json) => d.id)).toEqual(ids.slice(0, 2));
  });

  it("holds the other key's reservation while it asks: a flood takes its own 10 and no slot of the other's", async () => {
    const ids = fleet.devices.map((d) => d.deviceId as string).slice(10);
    // 3 × 8 devices at once: more than the 18 calls the window has left. The other key asked within the window: 10
    // are reserved for each key, and the 8 the other key has not spent are not the flood's.
    const heavy = await Promise.all([0, 1, 2].map((i) => devices(TEST_API_KEY, ids.slice(i * 8, i * 8 + 8))));
    const served = heavy.flatMap((r: Json) => r.data?.devices ?? []).filter(Boolean).length;
    const refused = heavy.flatMap((r: Json) => (r.errors ?? []).map((e: Json) => e.extensions.code));
    expect(served).toBeGreaterThan(5);
    expect(served).toBeLessThanOrEqual(BUDGET / 2);
    expect(new Set(refused)).toEqual(new Set(['RATE_LIMITED']));

    const newcomer = await devices(OTHER_KEY, ids.slice(40, 42));
    expect(newcomer.errors).toBeUndefined();
    expect(newcomer.data.devices.map((d: Json) => d.id)).toEqual(ids.slice(40, 42));
    expect((await stack.platform.stats()).throttled).toBe(0);
  });
});
