// The shared caches: what the platform said is not asked again while it cannot have changed. Devices for
// GATEWAY_CACHE_TTL_SECONDS; ended tasks and their subtask pages for good; running tasks never (the same read in
// flight for several requests is sent once); errors and "does not exist" never.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LimitsDeviceDocument, LimitsGroupMembersDocument, LimitsOperationDocument } from '../generated/graphql.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { readFleet, sleep, startLimitsStack, type Json, type LimitsStack } from './support.js';

const UNKNOWN_DEVICE = '00000000-0000-4000-8000-000000000000';

let stack: LimitsStack;
let unread: string[];
let ended: Json;
let running: Json;

beforeAll(async () => {
  stack = await startLimitsStack({ deferGateway: true });
  unread = (await readFleet(stack.api)).devices.map((d) => d.deviceId as string);
  const recent: Json[] = (await stack.api.ok(PATH.operations, { pageNo: 0, pageSize: 100 })).data;
  ended = recent.find((o) => o.status === 'success' && o.staResult.total > 1);
  // Run now (not when devices come online, which a dark device never does): it ends within hours.
  running = recent.find((o) => (o.status === 'processing' || o.status === 'wait') && o.policy?.executeType === 'now' && o.staResult.total > 1);
  if (!ended || !running) throw new Error('fixtures: no ended and running task among the 100 newest');
});
beforeEach(async () => {
  await stack.platform.clearFaults();
});
afterAll(async () => {
  await stack?.close();
});

const nextDevice = (): string => {
  const id = unread.shift();
  if (!id) throw new Error('out of devices');
  return id;
};

describe('with the default cache (60 s)', () => {
  beforeAll(async () => {
    await stack.useGateway();
  });

  it('a second device(id) within the TTL makes no call, and answers the same', async () => {
    const id = nextDevice();
    const first = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }));
    expect(first.byRoute).toEqual({ [ROUTE.device]: 1 });
    expect(first.result.data?.device?.id).toBe(id);
    const second = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }));
    expect(second.total).toBe(0);
    expect(second.result.data).toEqual(first.result.data);
  });

  it('a group\'s members are read once within the TTL; only the group list is asked again', async () => {
    const first = await stack.callsDuring(() => stack.gateway.run(LimitsGroupMembersDocument));
    const members = first.result.data?.deviceGroups?.nodes[0]?.devices?.nodes ?? [];
    expect(members.length).toBeGreaterThan(0);
    expect(first.byRoute[ROUTE.deviceGroupMembers]).toBe(1);
    const second = await stack.callsDuring(() => stack.gateway.run(LimitsGroupMembersDocument));
    expect(second.byRoute).toEqual({ [ROUTE.deviceGroups]: 1 });
    expect(second.result.data).toEqual(first.result.data);
  });

  it('an ended task and its subtasks make no call the second time', async () => {
    const first = await stack.callsDuring(() => stack.gateway.run(LimitsOperationDocument, { id: ended.operationId }));
    expect(first.result.data?.operation?.status).toBe('SUCCESS');
    expect(first.result.data?.operation?.subtasks?.nodes.length).toBe(Math.min(20, ended.staResult.total));
    expect(first.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1 });
    const second = await stack.callsDuring(() => stack.gateway.run(LimitsOperationDocument, { id: ended.operationId }));
    expect(second.total).toBe(0);
    expect(second.result.data).toEqual(first.result.data);
  });

  it('a running task is read again each time', async () => {
    const first = await stack.callsDuring(() => stack.gateway.run(LimitsOperationDocument, { id: running.operationId }));
    expect(['WAIT', 'PROCESSING']).toContain(first.result.data?.operation?.status);
    expect(first.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1 });
    const second = await stack.callsDuring(() => stack.gateway.run(LimitsOperationDocument, { id: running.operationId }));
    expect(second.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1 });
  });

  it('reads of a running task in flight together are sent once, and every request gets the answer; the next read is sent again', async () => {
    // A platform that takes 300 ms to answer: the five requests all come while the first one's reads are on their way.
    await stack.platform.fault({ latencyMs: 300, routes: [ROUTE.operation, ROUTE.subOperations] });
    const together = await stack.callsDuring(() => Promise.all(Array.from({ length: 5 }, () => stack.gateway.run(LimitsOperationDocument, { id: running.operationId }))));
    expect(together.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1 });
    const [first, ...others] = together.result;
    expect(first?.errors).toBeUndefined();
    expect(['WAIT', 'PROCESSING']).toContain(first?.data?.operation?.status);
    for (const other of others) expect(other?.data).toEqual(first?.data);
    const after = await stack.callsDuring(() => stack.gateway.run(LimitsOperationDocument, { id: running.operationId }));
    expect(after.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1 });
  });

  it('a running task that has since ended is seen ended (no stale answer), and only then kept', async () => {
    // Let the emulator's time run until the task has ended.
    await stack.platform.control('clock', { advanceSeconds: 6 * 3600 });
    const state = await stack.platform.state('operations', running.operationId);
    expect(['success', 'failed']).toContain(state.status);
    const first = await stack.callsDuring(() => stack.gateway.run(LimitsOperationDocument, { id: running.operationId }));
    expect(first.result.data?.operation?.status).toBe(state.status === 'success' ? 'SUCCESS' : 'FAILED');
    expect(first.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1 });
    const second = await stack.callsDuring(() => stack.gateway.run(LimitsOperationDocument, { id: running.operationId }));
    expect(second.total).toBe(0);
  });

  it('a failed lookup is not kept: after the platform recovers, the next read calls again and gets the device', async () => {
    const id = nextDevice();
    const failing = await stack.callsDuring(async () => {
      await stack.platform.fault({ errorStatus: 500, routes: [ROUTE.device] });
      return stack.gateway.run(LimitsDeviceDocument, { id });
    });
    expect(failing.result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(failing.byRoute[ROUTE.device]).toBeGreaterThanOrEqual(1);
    await stack.platform.clearFaults();
    const healthy = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }));
    expect(healthy.result.errors).toBeUndefined();
    expect(healthy.result.data?.device?.id).toBe(id);
    expect(healthy.byRoute).toEqual({ [ROUTE.device]: 1 });
  });

  it('"does not exist" is not kept either: an unknown device is asked about each time', async () => {
    for (let i = 0; i < 2; i++) {
      const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id: UNKNOWN_DEVICE }));
      expect(result.errors).toBeUndefined();
      expect(result.data?.device).toBeNull();
      expect(byRoute).toEqual({ [ROUTE.device]: 1 });
    }
  });
});

describe('configured caches', () => {
  it('GATEWAY_CACHE_TTL_SECONDS=0 turns device caching off', async () => {
    await stack.useGateway({ env: { GATEWAY_CACHE_TTL_SECONDS: '0' } });
    const id = nextDevice();
    for (let i = 0; i < 2; i++) {
      const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }));
      expect(result.data?.device?.id).toBe(id);
      expect(byRoute).toEqual({ [ROUTE.device]: 1 });
    }
  });

  it('a device is read again once its TTL has passed (GATEWAY_CACHE_TTL_SECONDS=1)', async () => {
    await stack.useGateway({ env: { GATEWAY_CACHE_TTL_SECONDS: '1' } });
    const id = nextDevice();
    const first = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }));
    const soon = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }));
    await sleep(1100);
    const later = await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }));
    expect(first.byRoute).toEqual({ [ROUTE.device]: 1 });
    expect(soon.total).toBe(0);
    expect(later.byRoute).toEqual({ [ROUTE.device]: 1 });
  });

  it('GATEWAY_CACHE_MAX_ENTRIES bounds the cache: the least recently used device goes first', async () => {
    await stack.useGateway({ env: { GATEWAY_CACHE_MAX_ENTRIES: '2' } });
    const [a, b, c] = [nextDevice(), nextDevice(), nextDevice()] as const;
    const calls = async (id: string) => (await stack.callsDuring(() => stack.gateway.run(LimitsDeviceDocument, { id }))).byRoute[ROUTE.device] ?? 0;
    expect(await calls(a)).toBe(1);
    expect(await calls(b)).toBe(1);
    expect(await calls(a)).toBe(0); // a is now the most recently used
    expect(await calls(c)).toBe(1); // evicts b
    expect(await calls(a)).toBe(0);
    expect(await calls(b)).toBe(1);
  });
});
