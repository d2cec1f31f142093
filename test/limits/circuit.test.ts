// The circuit breaker: when the platform is down the gateway stops calling it and fails fast with
// UPSTREAM_UNAVAILABLE (upstream.code CIRCUIT_OPEN); once the platform is back, one probe closes the circuit.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LimitsDeviceDocument } from '../generated/graphql.js';
import type { GraphQLReply as Reply } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { readFleet, sleep, startLimitsStack, type LimitsStack } from './support.js';

/** How long the circuit stays open before one call probes the platform again. */
const RESET_MS = 1000;

let stack: LimitsStack;
let unread: string[];

beforeAll(async () => {
  stack = await startLimitsStack({ env: { NORTHBOUND_CIRCUIT_RESET_MS: String(RESET_MS) }, deferGateway: true });
  unread = (await readFleet(stack.api)).devices.map((d) => d.deviceId as string);
});
beforeEach(async () => {
  await stack.platform.clearFaults();
  await stack.useGateway();
});
afterAll(async () => {
  await stack?.close();
});

const nextDevices = (n: number): string[] => {
  const ids = unread.splice(0, n);
  if (ids.length < n) throw new Error('out of devices');
  return ids;
};
const read = (ids: string[]) => Promise.all(ids.map((id) => stack.gateway.run(LimitsDeviceDocument, { id })));
const upstreamCode = (reply: Reply<unknown>) => (reply.errors?.[0]?.extensions?.upstream as { code?: string } | undefined)?.code;

function expectCircuitOpen(replies: Reply<{ device?: unknown }>[]): void {
  for (const reply of replies) {
    expect(reply.data?.device ?? null).toBeNull();
    expect(reply.errors).toHaveLength(1);
    expect(reply.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { code: 'CIRCUIT_OPEN' } });
  }
}

/**
 * An outage: `fault` on every route, then concurrent reads until the circuit opens. Returns when the circuit
 * was seen open (the time of the first read that came back CIRCUIT_OPEN without a platform call).
 */
async function outage(fault: Record<string, unknown>): Promise<{ failures: Reply<{ device?: unknown }>[] }> {
  // The gateway holds a token before the outage, so no login is involved.
  const health = await stack.callsDuring(async () => undefined);
  expect(health.total).toBe(0);
  await stack.platform.fault(fault);
  const failures = await read(nextDevices(10));
  for (const reply of failures) expect(reply.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  // The failures opened the circuit: the retries of the reads that failed first were already held back.
  expect(failures.some((r) => upstreamCode(r) === 'CIRCUIT_OPEN')).toBe(true);
  return { failures };
}

describe.each([
  ['503 on every route', { errorStatus: 503 }],
  ['every connection reset', { dropConnections: true }],
])('a platform outage (%s)', (_, fault) => {
  it('opens the circuit: further reads fail at once with CIRCUIT_OPEN and the platform sees no call', async () => {
    await outage(fault);
    const { result, total } = await stack.callsDuring(() => read(nextDevices(5)), { warm: false });
    expectCircuitOpen(result);
    expect(total).toBe(0);
  });

  it('after NORTHBOUND_CIRCUIT_RESET_MS one probe goes out; while the platform is still down it opens again', async () => {
    await outage(fault);
    await sleep(RESET_MS + 100);
    // Half open: the next read is the probe; it fails (after its own retries, which the reopened circuit holds).
    const probe = await stack.callsDuring(() => read(nextDevices(1)), { warm: false });
    expect(probe.total).toBe(1);
    expect(probe.result[0]?.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    const after = await stack.callsDuring(() => read(nextDevices(3)), { warm: false });
    expectCircuitOpen(after.result);
    expect(after.total).toBe(0);
  });

  it('closes again when the platform is back: one probe, then every read succeeds', async () => {
    await outage(fault);
    await stack.platform.clearFaults();
    // Still open until the reset time has passed, fault or not.
    const early = await stack.callsDuring(() => read(nextDevices(2)), { warm: false });
    expectCircuitOpen(early.result);
    expect(early.total).toBe(0);
    await sleep(RESET_MS + 100);
    const probe = await stack.callsDuring(() => read(nextDevices(1)), { warm: false });
    expect(probe.result[0]?.errors).toBeUndefined();
    expect(probe.result[0]?.data?.device).toBeTruthy();
    expect(probe.byRoute).toEqual({ [ROUTE.device]: 1 });
    const ids = nextDevices(8);
    const afterwards = await stack.callsDuring(() => read(ids), { warm: false });
    afterwards.result.forEach((reply, i) => {
      expect(reply.errors).toBeUndefined();
      expect(reply.data?.device?.id).toBe(ids[i]);
    });
    expect(afterwards.byRoute).toEqual({ [ROUTE.device]: ids.length });
  });
});

describe('the budget during an outage', () => {
  it('reads the open circuit holds back do not spend the call budget (the platform saw none of them)', async () => {
    // A budget of 40 calls a minute; the outage's failed calls (10 and a health check) take some of it. The circuit
    // stays open 3 s: time for the reads below on a busy machine, before a probe may go out.
    const resetMs = 3000;
    await stack.useGateway({ env: { NORTHBOUND_RATE_LIMIT: '40/60s', GATEWAY_REQUEST_DEADLINE_MS: '2000', NORTHBOUND_CIRCUIT_RESET_MS: String(resetMs) } });
    const before = await stack.platform.stats();
    await outage({ errorStatus: 503 });
    // Clients keep asking while the circuit is open: 40 reads, none of which reaches the platform.
    const held = await stack.callsDuring(() => read(nextDevices(40)), { warm: false });
    expect(held.total).toBe(0);
    await stack.platform.clearFaults();
    await sleep(resetMs + 100);
    // The platform is back and has seen far fewer than 40 calls this minute: a read must get through.
    const seen = (await stack.platform.stats()).total - before.total;
    expect(seen).toBeLessThan(20);
    const [reply] = await read(nextDevices(1));
    expect(reply?.errors?.[0]?.extensions?.code).toBeUndefined();
    expect(reply?.data?.device).toBeTruthy();
  });
});
