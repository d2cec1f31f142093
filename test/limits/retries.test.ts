// Retries: a read that meets a brief failure (5xx, a reset connection, no answer in time) is tried again within
// the request's deadline and succeeds; a create is sent exactly once whatever happens to it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LimitsCreateFirmwareDocument, LimitsDeviceDocument } from '../generated/graphql.js';
import { ROUTE } from '../harness/routes.js';
import { readFleet, sleep, startLimitsStack, tasksCreatedFor, until, type Fleet, type LimitsStack } from './support.js';

/** One call of the platform: how long a call may take before it counts as unanswered. */
const TIMEOUT_MS = 400;

let stack: LimitsStack;
let fleet: Fleet;
/** Devices no test has read yet (nothing is served from the cache). */
let unread: string[];

beforeAll(async () => {
  stack = await startLimitsStack({ env: { NORTHBOUND_TIMEOUT_MS: String(TIMEOUT_MS) }, deferGateway: true });
  fleet = await readFleet(stack.api);
  unread = fleet.devices.map((d) => d.deviceId as string).filter((id) => !fleet.product.devices.includes(id));
});
beforeEach(async () => {
  await stack.platform.clearFaults();
  // A fresh gateway per test: its circuit breaker has seen none of the other tests' failures.
  await stack.useGateway();
});
afterAll(async () => {
  await stack?.close();
});

const nextDevice = (): string => {
  const id = unread.shift();
  if (!id) throw new Error('out of devices');
  return id;
};

/** Runs a read with a fault on the device route that is lifted once the platform has seen `failures` calls. */
async function readThrough(fault: Record<string, unknown>, failures: number) {
  const id = nextDevice();
  const truth = await stack.platform.state('devices', id);
  return stack.callsDuring(async () => {
    const base = (await stack.platform.stats()).byRoute[ROUTE.device] ?? 0;
    await stack.platform.fault({ ...fault, routes: [ROUTE.device] });
    const reply = stack.gateway.run(LimitsDeviceDocument, { id });
    // The backoff before a retry is at least 100 ms: time enough to lift the fault once the failures were seen.
    await until(async () => ((await stack.platform.stats()).byRoute[ROUTE.device] ?? 0) - base >= failures);
    await stack.platform.clearFaults();
    return { reply: await reply, truth, id };
  });
}

describe('reads are retried within the deadline', () => {
  it('a 5xx (twice) is retried: the read succeeds on the third call', async () => {
    const { result, byRoute } = await readThrough({ errorStatus: 500 }, 2);
    expect(result.reply.errors).toBeUndefined();
    expect(result.reply.data?.device).toMatchObject({ id: result.id, name: result.truth.deviceInfo.name, fwVersion: result.truth.deviceInfo.fwVersion });
    expect(byRoute).toEqual({ [ROUTE.device]: 3 });
  });

  it('a 503 from something in between (no platform body) is retried too', async () => {
    const { result, byRoute } = await readThrough({ errorStatus: 503 }, 1);
    expect(result.reply.errors).toBeUndefined();
    expect(result.reply.data?.device?.id).toBe(result.id);
    expect(byRoute).toEqual({ [ROUTE.device]: 2 });
  });

  it('a reset connection is retried', async () => {
    const { result, byRoute } = await readThrough({ dropConnections: true }, 1);
    expect(result.reply.errors).toBeUndefined();
    expect(result.reply.data?.device?.id).toBe(result.id);
    expect(byRoute).toEqual({ [ROUTE.device]: 2 });
  });

  it('a call left unanswered past NORTHBOUND_TIMEOUT_MS is retried', async () => {
    const { result, byRoute } = await readThrough({ latencyMs: TIMEOUT_MS * 4 }, 1);
    expect(result.reply.errors).toBeUndefined();
    expect(result.reply.data?.device?.id).toBe(result.id);
    expect(byRoute).toEqual({ [ROUTE.device]: 2 });
  });

  it('half the calls failing (errorRate 0.5): reads that meet a failure are retried and succeed', async () => {
    const ids = Array.from({ length: 10 }, nextDevice);
    await stack.useGateway();
    await stack.platform.fault({ errorStatus: 500, errorRate: 0.5, routes: [ROUTE.device] });
    // One read at a time, so each read's calls can be counted.
    const reads = [];
    for (const id of ids) {
      const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }), { warm: false });
      reads.push({ id, reply: result, calls: byRoute[ROUTE.device] ?? 0 });
    }
    for (const { id, reply, calls } of reads) {
      if (reply.data?.device) {
        expect(reply.data.device.id).toBe(id);
        expect(calls).toBeGreaterThanOrEqual(1);
        expect(calls).toBeLessThanOrEqual(3);
      } else {
        // Only when all three attempts failed (1 in 8), and then it says so.
        expect(reply.errors?.map((e) => e.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE']);
        expect(calls).toBe(3);
      }
    }
    // Some reads met a failure and were answered all the same, after more calls than they need.
    expect(reads.filter((r) => r.reply.data?.device && r.calls > 1).length).toBeGreaterThan(0);
    expect(reads.filter((r) => r.reply.data?.device).length).toBeGreaterThan(ids.length / 2);
  });

  it('a lasting 5xx: three attempts, then UPSTREAM_UNAVAILABLE with the platform code', async () => {
    const id = nextDevice();
    const { result, byRoute } = await stack.callsDuring(async () => {
      await stack.platform.fault({ errorStatus: 500, routes: [ROUTE.device] });
      return stack.gateway.run(LimitsDeviceDocument, { id });
    });
    expect(result.data?.device ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status: 500, code: '50252' } });
    expect(byRoute).toEqual({ [ROUTE.device]: 3 });
  });

  it('no retry the deadline cannot hold: with GATEWAY_REQUEST_DEADLINE_MS=100 a 5xx is final after one call', async () => {
    await stack.useGateway({ env: { GATEWAY_REQUEST_DEADLINE_MS: '100' } });
    const id = nextDevice();
    const { result, byRoute } = await stack.callsDuring(async () => {
      await stack.platform.fault({ errorStatus: 500, routes: [ROUTE.device] });
      const started = performance.now();
      const reply = await stack.gateway.run(LimitsDeviceDocument, { id });
      return { reply, elapsed: performance.now() - started };
    });
    expect(result.reply.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(byRoute).toEqual({ [ROUTE.device]: 1 });
    // The answer came without a backoff the deadline could not afford.
    expect(result.elapsed).toBeLessThan(100);
  });
});

describe('creates are never retried: exactly one POST', () => {
  const create = (device: string) =>
    stack.gateway.run(LimitsCreateFirmwareDocument, { input: { fileId: fleet.product.firmware, targets: { deviceIds: [device] }, idempotencyKey: randomUUID() } });
  const nextTarget = (() => {
    let next = 0;
    return () => fleet.product.devices[next++] as string;
  })();

  it('a 500 on the create: one POST, UPSTREAM_UNAVAILABLE, no task', async () => {
    const device = nextTarget();
    const since = (await stack.platform.control('clock')).compact as string;
    const { result, byRoute } = await stack.callsDuring(async () => {
      await stack.platform.fault({ errorStatus: 500, routes: [ROUTE.createFirmwareUpgrade] });
      return create(device);
    });
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { code: '50252' } });
    expect(byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
    await stack.platform.clearFaults();
    expect(await tasksCreatedFor(stack.api, device, since)).toHaveLength(0);
  });

  it('half the creates failing (errorRate 0.5): each create is at most one POST, and only the answered ones exist', async () => {
    const devices = Array.from({ length: 6 }, nextTarget);
    const since = (await stack.platform.control('clock')).compact as string;
    const { result, byRoute } = await stack.callsDuring(async () => {
      await stack.platform.fault({ errorStatus: 500, errorRate: 0.5, routes: [ROUTE.createFirmwareUpgrade] });
      const replies = [];
      for (const device of devices) replies.push(await create(device));
      return replies;
    });
    const upstream = (r: (typeof result)[number]) => (r.errors?.[0]?.extensions?.upstream as { code?: string } | undefined)?.code;
    // Failures may open the circuit (its threshold is 50 %): a create it holds back is not sent at all.
    const sent = result.filter((r) => upstream(r) !== 'CIRCUIT_OPEN');
    expect(byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: sent.length });
    // With the emulator's seeded draws some creates fail; each failure is final (a retry would be a second POST).
    expect(result.filter((r) => upstream(r) === '50252').length).toBeGreaterThan(0);
    for (const reply of result.filter((r) => r.errors)) expect(reply.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    await stack.platform.clearFaults();
    for (const [i, device] of devices.entries()) {
      const tasks = await tasksCreatedFor(stack.api, device, since);
      const id = result[i]?.data?.createFirmwareUpgradeTask.operationId;
      expect(tasks.map((t) => t.operationId)).toEqual(id === undefined ? [] : [id]);
    }
  });

  it('a reset connection on the create: one POST, the outcome reported unknown', async () => {
    const device = nextTarget();
    const since = (await stack.platform.control('clock')).compact as string;
    const { result, byRoute } = await stack.callsDuring(async () => {
      await stack.platform.fault({ dropConnections: true, routes: [ROUTE.createFirmwareUpgrade] });
      return create(device);
    });
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
    await stack.platform.clearFaults();
    // The emulator resets before handling: nothing was created.
    expect(await tasksCreatedFor(stack.api, device, since)).toHaveLength(0);
  });

  it('a create answered too late: one POST, the outcome reported unknown, and exactly one task on the platform', async () => {
    const device = nextTarget();
    const since = (await stack.platform.control('clock')).compact as string;
    const { result, byRoute } = await stack.callsDuring(async () => {
      await stack.platform.fault({ latencyMs: TIMEOUT_MS * 3, routes: [ROUTE.createFirmwareUpgrade] });
      const reply = await create(device);
      // Let the emulator send its late answer before counting.
      await sleep(TIMEOUT_MS * 3);
      return reply;
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
    await stack.platform.clearFaults();
    expect(await tasksCreatedFor(stack.api, device, since)).toHaveLength(1);
  });
});
