// Fair shares under the defaults (a budget of 100 calls a minute, the emulator's real throttle of 100, the mirror on):
// the platform-call estimate counts the device ids the mirror does not hold, and a client under its share is never
// refused while another floods, from the gateway's first second on.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady } from '../harness/gateway.js';
import { startLimitsStack, type Json, type LimitsStack } from './support.js';

const FLOODER = 'flooding-client-key';
const STEADY = 'steady-client-key';
const THROTTLE = 100;
const PLATFORM = { seed: 7, devices: 400, clock: 'realtime', throttlePerMinute: THROTTLE } as const;

let stack: LimitsStack;
beforeAll(async () => {
  stack = await startLimitsStack({
    platform: { ...PLATFORM, startTime: undefined },
    // The defaults, which the test harness turns off for the mirror.
    env: { GATEWAY_API_KEYS: `${FLOODER}:read,${STEADY}:read`, MIRROR_BUDGET_SHARE: '0.5' },
  });
});
afterAll(async () => {
  await stack?.close();
});

async function send(apiKey: string, query: string, variables: Record<string, unknown> = {}): Promise<Json> {
  const started = Date.now();
  const response = await fetch(stack.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ms: Date.now() - started, ...((await response.json()) as Json) };
}

const DEVICES = 'query($ids: [ID!]!) { devices(ids: $ids) { id } }';
/** Well-formed ids the platform has never heard of, never asked for before (so no cache answers them). */
const unknownIds = (n: number) => Array.from({ length: n }, () => randomUUID());
const codes = (reply: Json): string[] => (reply.errors ?? []).map((e: Json) => e.extensions?.code);

describe('the platform-call estimate with the mirror READY', () => {
  let known: string[];
  beforeAll(async () => {
    await mirrorReady(stack.gateway, 90_000);
    const fleet = await send(STEADY, '{ fleet(first: 100) { nodes { id } } }');
    known = fleet.data.fleet.nodes.map((d: Json) => d.id);
    expect(known).toHaveLength(100);
  }, 120_000);

  it('counts a call for each id the mirror does not hold: 500 unknown ids are refused before any call', async () => {
    const { result, total } = await stack.callsDuring(() => send(FLOODER, DEVICES, { ids: unknownIds(500) }));
    expect(result.status).toBe(429);
    expect(result.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', estimatedPlatformCalls: 500, maxPlatformCalls: 50 });
    expect(total).toBe(0);
  });

  it('counts the ids of a literal list, and of variables inside it, alike', async () => {
    const literal = unknownIds(51).map((id) => JSON.stringify(id));
    const refused = await send(FLOODER, `query($last: ID!) { devices(ids: [${literal.join(',')}, $last]) { id } }`, { last: unknownIds(1)[0] });
    expect(refused.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', estimatedPlatformCalls: 52 });
    const one = await send(FLOODER, `query($id: ID!) { device(id: $id) { id } again: devices(ids: ["${known[0]}", $id]) { id } }`, { id: unknownIds(1)[0] });
    expect(one.errors).toBeUndefined();
  });

  it('serves 500 ids the mirror holds with no call, and 480 held + 20 unknown with exactly 20', async () => {
    const held = [...known, ...known, ...known, ...known, ...known];
    const all = await stack.callsDuring(() => send(FLOODER, DEVICES, { ids: held }));
    expect(all.result.errors).toBeUndefined();
    expect(all.result.data.devices).toHaveLength(500);
    expect(all.total).toBe(0);
    const unknown = unknownIds(20);
    const mixed = await stack.callsDuring(() => send(FLOODER, DEVICES, { ids: [...held.slice(0, 480), ...unknown] }));
    expect(mixed.result.errors).toBeUndefined();
    expect(mixed.result.data.devices.slice(480)).toEqual(unknown.map(() => null));
    expect(mixed.total).toBe(20);
  });
});

describe('a client under its share while another floods, from start-up on (NORTHBOUND_RATE_LIMIT 100/60s)', () => {
  it('is refused 0 of 60 times; the flooder is refused with RATE_LIMITED; the platform throttles nothing', async () => {
    // A platform whose last minute is empty, and a gateway (and mirror) starting on it now.
    await stack.platform.control('reset', PLATFORM);
    await stack.useGateway();
    const flooder = { sent: 0, served: 0, refused: 0, other: [] as string[] };
    let flooding = true;
    const flood = async (worker: number) => {
      const asks = [
        () => send(FLOODER, DEVICES, { ids: unknownIds(500) }),
        () => send(FLOODER, DEVICES, { ids: unknownIds(40) }),
        () => send(FLOODER, '{ operations(first: 4) { nodes { id subtasks(first: 10) { nodes { device { id } } } } } }'),
      ];
      for (let i = worker; flooding; i++) {
        const reply = await (asks[i % asks.length] as () => Promise<Json>)();
        flooder.sent += 1;
        if (codes(reply).includes('RATE_LIMITED')) flooder.refused += 1;
        else if (reply.errors) flooder.other.push(...codes(reply));
        else flooder.served += 1;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    // Two workers ask for far more than the budget (each 40-id lookup is 40 calls); more would only load this
    // 2-core machine, whose stalls under the whole suite have tripped the circuit breaker (UPSTREAM_UNAVAILABLE).
    const workers = [0, 1].map(flood);

    // One call every 2 s: a device nobody holds, so each costs exactly one platform call, READY or not.
    const steady: Json[] = [];
    for (let i = 0; i < 60; i++) {
      steady.push(send(STEADY, 'query($id: ID!) { device(id: $id) { id } }', { id: unknownIds(1)[0] }));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    const replies = await Promise.all(steady);
    flooding = false;
    await Promise.all(workers);

    const refused = replies.filter((r) => r.errors);
    const stats = await stack.platform.stats();
    console.log(
      `steady client: ${replies.length - refused.length} of ${replies.length} served, slowest ${Math.max(...replies.map((r) => r.ms))} ms; ` +
        `flooder: ${flooder.sent} sent, ${flooder.served} served, ${flooder.refused} RATE_LIMITED, other ${JSON.stringify(flooder.other)}; ` +
        `platform: ${stats.total} calls, ${stats.throttled} throttled`,
    );
    expect(refused.map(codes)).toEqual([]);
    expect(replies.every((r) => r.data.device === null)).toBe(true);
    expect(flooder.refused).toBeGreaterThan(0);
    expect(flooder.other).toEqual([]);
    expect(stats.throttled).toBe(0);
  }, 240_000);
});
