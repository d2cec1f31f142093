// The call budget: however many clients ask at once, the gateway never provokes the platform's throttle (1010009).
// What does not fit the budget before the request's deadline is refused at once with RATE_LIMITED and a time to
// retry; creates are served before reads, and a create is never lost or made twice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitsCreateFirmwareDocument, LimitsDeviceDocument, LimitsDevicesDocument } from '../generated/graphql.js';
import type { GraphQLReply as Reply } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { expectRateLimited, readFleet, sleep, startLimitsStack, tasksCreatedFor, type Fleet, type LimitsStack } from './support.js';

describe('a storm of 10× the budget (the platform allows 30 calls a minute)', () => {
  /** The platform's (and so the gateway's) budget: calls per 60 s. */
  const BUDGET = 30;
  const DEADLINE_MS = 3000;
  const KEYS = 8;
  const IDS_PER_QUERY = 6;
  const QUERIES = 48;

  let stack: LimitsStack;
  let fleet: Fleet;

  beforeAll(async () => {
    // The throttle runs on the emulator's clock: a realtime one, so its window is the wall clock's 60 s.
    stack = await startLimitsStack({
      platform: { clock: 'realtime', throttlePerMinute: 1_000_000 },
      env: { NORTHBOUND_RATE_LIMIT: `${BUDGET}/60s`, GATEWAY_REQUEST_DEADLINE_MS: String(DEADLINE_MS) },
      deferGateway: true,
    });
    fleet = await readFleet(stack.api);
    // The same data again (same seed, start and size), with the throttle window empty and the throttle at BUDGET.
    await stack.platform.control('reset', { throttlePerMinute: BUDGET });
    await stack.useGateway();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('gets no call throttled, answers each client with data or RATE_LIMITED, and creates each keyed task exactly once', async () => {
    const { product } = fleet;
    const targets = product.devices.slice(0, KEYS);
    const readIds = fleet.devices.map((d) => d.deviceId as string).filter((id) => !targets.includes(id)).slice(0, QUERIES * IDS_PER_QUERY);
    expect(targets).toHaveLength(KEYS);
    expect(readIds).toHaveLength(QUERIES * IDS_PER_QUERY);
    // The offered load, in platform calls: one per create, one per distinct device read.
    expect(KEYS + readIds.length).toBeGreaterThanOrEqual(9.5 * BUDGET);
    const since = (await stack.platform.control('clock')).compact as string;
    const keys = targets.map((_, i) => `storm-${i}-${randomUUID()}`);
    const create = (i: number) =>
      stack.gateway.run(LimitsCreateFirmwareDocument, {
        input: { fileId: product.firmware, targets: { deviceIds: [targets[i] as string] }, idempotencyKey: keys[i] },
      });

    const started = performance.now();
    // Every key submitted twice (a client retrying at once): the creates first, the reads in the same tick.
    const creates = Promise.all([...keys.keys(), ...keys.keys()].map(async (i) => ({ i, reply: await create(i) })));
    const reads = Promise.all(
      Array.from({ length: QUERIES }, (_, q) => {
        const ids = readIds.slice(q * IDS_PER_QUERY, (q + 1) * IDS_PER_QUERY);
        return stack.gateway.run(LimitsDevicesDocument, { ids }).then((reply) => ({ ids, reply }));
      }),
    );
    const [created, read] = await Promise.all([creates, reads]);
    const elapsed = performance.now() - started;
    const stats = await stack.platform.stats();

    // The platform never throttled, and never saw more than the budget.
    expect(stats.throttled).toBe(0);
    const { [ROUTE.login]: logins = 0 } = stats.byRoute;
    const platformCalls = stats.total - logins;
    expect(platformCalls).toBeLessThanOrEqual(BUDGET);
    // Refusals come at once: nobody waited past the deadline for a slot that could not come in time.
    expect(elapsed).toBeLessThan(DEADLINE_MS + 1500);

    // Reads: each device is there, or null with a RATE_LIMITED error at its path; no other error code.
    let answered = 0;
    let refused = 0;
    for (const { ids, reply } of read) {
      expect(reply.status).toBe(200);
      const devices = reply.data?.devices;
      expect(devices, JSON.stringify(reply.errors?.[0])).toHaveLength(ids.length);
      for (const error of reply.errors ?? []) expectRateLimited(error, 60);
      const erroredAt = new Set((reply.errors ?? []).map((e) => e.path?.[1]));
      devices?.forEach((device, i) => {
        if (device) {
          expect(device.id).toBe(ids[i]);
          answered += 1;
        } else {
          expect(erroredAt.has(i), `devices[${i}] is null without an error`).toBe(true);
          refused += 1;
        }
      });
    }

    // Creates: per key, the same answer for both submissions: one id, or RATE_LIMITED for both.
    const byKey = new Map<number, Reply<{ createFirmwareUpgradeTask: { operationId: string } }>[]>();
    for (const { i, reply } of created) byKey.set(i, [...(byKey.get(i) ?? []), reply]);
    const createdIds = new Map<number, string>();
    for (const [i, replies] of byKey) {
      for (const reply of replies) {
        expect(reply.status).toBe(200);
        if (reply.data) {
          expect(reply.errors).toBeUndefined();
          const id = reply.data.createFirmwareUpgradeTask.operationId;
          expect(createdIds.get(i) ?? id).toBe(id);
          createdIds.set(i, id);
        } else {
          expect(reply.errors).toHaveLength(1);
          expectRateLimited(reply.errors?.[0] as never, 60);
        }
      }
    }
    // Creates go before reads: the budget was not spent on reads while a create waited.
    expect(createdIds.size).toBe(KEYS);
    // Every call the platform saw answered something: one per create made, one per device read.
    expect(answered + createdIds.size).toBe(platformCalls);
    expect(refused).toBe(readIds.length - answered);

    // The budget is spent for the next minute: creates with new keys are refused at once, and create nothing; a key
    // already answered is answered again from the gateway's memory, without a call.
    const late = product.devices.slice(KEYS, KEYS + 3);
    const lateReplies = await Promise.all(
      late.map((device) => stack.gateway.run(LimitsCreateFirmwareDocument, { input: { fileId: product.firmware, targets: { deviceIds: [device] }, idempotencyKey: randomUUID() } })),
    );
    for (const reply of lateReplies) {
      expect(reply.data ?? null).toBeNull();
      expect(reply.errors).toHaveLength(1);
      expectRateLimited(reply.errors?.[0] as never, 60);
    }
    const again = await create(0);
    expect(again.data?.createFirmwareUpgradeTask.operationId).toBe(createdIds.get(0));
    const afterwards = await stack.platform.stats();
    expect(afterwards.total - (afterwards.byRoute[ROUTE.login] ?? 0)).toBe(platformCalls);
    expect(afterwards.throttled).toBe(0);

    // The truth: let the platform answer freely now, and look for each key's task.
    await stack.platform.fault({ throttlePerMinute: 1_000_000 });
    for (const [i, device] of targets.entries()) {
      const tasks = await tasksCreatedFor(stack.api, device, since);
      const id = createdIds.get(i);
      if (id === undefined) expect(tasks, `key ${i} was refused, yet a task exists`).toHaveLength(0);
      else expect(tasks.map((t) => t.operationId)).toEqual([id]);
    }
    for (const device of late) expect(await tasksCreatedFor(stack.api, device, since), 'a refused create made a task').toHaveLength(0);
  });
});

describe('the order of the queue (5 calls per 2 s, a generous platform)', () => {
  let stack: LimitsStack;
  let fleet: Fleet;

  beforeAll(async () => {
    // One client here, allowed the whole budget (the shares between clients are tested in fairness.test.ts).
    stack = await startLimitsStack({ env: { NORTHBOUND_RATE_LIMIT: '5/2s', GATEWAY_REQUEST_DEADLINE_MS: '8000', GATEWAY_CLIENT_BUDGET_SHARE: '1' }, deferGateway: true });
    fleet = await readFleet(stack.api);
    await stack.useGateway();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves creates that arrive later before reads already waiting, and refuses what cannot be served before the deadline', async () => {
    const { product } = fleet;
    const targets = product.devices.slice(0, 2);
    const ids = fleet.devices.map((d) => d.deviceId as string).filter((id) => !targets.includes(id)).slice(0, 20);
    const since = (await stack.platform.control('clock')).compact as string;
    const before = await stack.platform.stats();
    const t0 = performance.now();
    // 20 reads: 5 go at once, 15 wait for the next windows (each 2 s, plus the gateway's 1 s arrival margin).
    const reads = ids.map((id) => stack.gateway.run(LimitsDeviceDocument, { id }).then((reply) => ({ reply, at: performance.now() - t0 })));
    await sleep(300);
    // Then 2 creates, behind 15 waiting reads.
    const creates = targets.map((device) =>
      stack.gateway
        .run(LimitsCreateFirmwareDocument, { input: { fileId: product.firmware, targets: { deviceIds: [device] }, idempotencyKey: randomUUID() } })
        .then((reply) => ({ reply, at: performance.now() - t0 })),
    );
    const [read, created] = await Promise.all([Promise.all(reads), Promise.all(creates)]);
    const after = await stack.platform.stats();

    for (const { reply } of created) expect(reply.data?.createFirmwareUpgradeTask.operationId, JSON.stringify(reply.errors)).toBeTruthy();
    const lastCreate = Math.max(...created.map((c) => c.at));
    const served = read.filter((r) => r.reply.data?.device);
    const refused = read.filter((r) => !r.reply.data?.device);
    // Windows at ~0 s, ~3 s and ~6 s before the 8 s deadline: 15 slots, the 2 creates among them.
    expect(served).toHaveLength(13);
    expect(refused).toHaveLength(7);
    // (Their error's shape is the storm test's business.)
    for (const { reply } of refused) expect(reply.errors).toHaveLength(1);
    // The creates took the second window's first slots: the third window's reads were all served after them.
    expect(served.filter((r) => r.at > lastCreate).length).toBeGreaterThanOrEqual(5);
    // No read waited in vain: the ones that could not be served before the deadline were told before it.
    for (const { at } of refused) expect(at).toBeLessThan(8000);
    const calls = after.total - before.total - ((after.byRoute[ROUTE.login] ?? 0) - (before.byRoute[ROUTE.login] ?? 0));
    expect(calls).toBe(15);
    for (const device of targets) expect(await tasksCreatedFor(stack.api, device, since)).toHaveLength(1);
  });

  it('retryAfterSeconds is honest: after waiting that long, the refused reads get through', async () => {
    await stack.useGateway({ env: { NORTHBOUND_RATE_LIMIT: '5/2s', GATEWAY_REQUEST_DEADLINE_MS: '500', GATEWAY_CLIENT_BUDGET_SHARE: '1' } });
    const ids = fleet.devices.map((d) => d.deviceId as string).slice(100, 110);
    const first = await Promise.all(ids.map((id) => stack.gateway.run(LimitsDeviceDocument, { id })));
    const refused = ids.filter((_, i) => !first[i]?.data?.device);
    expect(refused).toHaveLength(5);
    const waits = first.flatMap((reply) => reply.errors ?? []).map((error) => {
      expectRateLimited(error, 2);
      return error.extensions?.retryAfterSeconds as number;
    });
    expect(waits).toHaveLength(5);
    await sleep(Math.max(...waits) * 1000);
    const retried = await Promise.all(refused.map((id) => stack.gateway.run(LimitsDeviceDocument, { id })));
    retried.forEach((reply, i) => {
      expect(reply.errors).toBeUndefined();
      expect(reply.data?.device?.id).toBe(refused[i]);
    });
  });
});
