// The backfill after READY, as users run it (see support.ts) on a fleet of 400 devices (43 tasks, 23 groups: a
// backfill of a few minutes rather than the default fleet's ten): it completes, after which every task's subtasks and
// every group's members are answered without a platform call; and the mirror never held more than its share of any
// budget window, nor after READY more than its steady part of it, at an even pace rather than in bursts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE } from '../harness/routes.js';
import { BUDGET_WINDOW_MS, budgetedCalls, busiestWindow, eventually, MIRROR_SHARE_CALLS, startAsUsersRunIt, type Json, type StartedStack } from './support.js';

let started: StartedStack;
let readyAt: number;
const query = (text: string): Promise<Json> => started.stack.gateway.query(text);

beforeAll(async () => {
  started = await startAsUsersRunIt(400, { LOG_LEVEL: 'info' });
  await eventually(() => query('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 30_000);
  readyAt = performance.now();
  const { gateway } = started.stack;
  await eventually(async () => gateway.log.records().some((r) => r.msg === 'mirror backfill complete'), Boolean, 240_000);
}, 300_000);
afterAll(async () => {
  await started?.stack.close();
});

describe('the backfill on a fleet of 400 devices, with the real budget and throttle', () => {
  it("completes: every task's subtasks and every group's members are then answered without a platform call", async () => {
    const calls = await started.stack.callsDuring(() =>
      query('{ operations(first: 100) { totalCount nodes { stats { total } subtasks(first: 1) { totalCount } } } deviceGroups(first: 100) { nodes { deviceCount devices(first: 1) { totalCount } } } }'),
    );
    const { data, errors } = calls.result;
    expect(errors).toBeUndefined();
    expect(data.operations.totalCount).toBe(data.operations.nodes.length);
    for (const task of data.operations.nodes) expect(task.subtasks.totalCount).toBe(task.stats.total);
    expect(data.deviceGroups.nodes).toHaveLength(23);
    for (const group of data.deviceGroups.nodes) expect(group.devices.totalCount).toBe(group.deviceCount);
    expect(calls.byRoute[ROUTE.subOperations] ?? 0).toBe(0);
    expect(calls.byRoute[ROUTE.deviceGroupMembers] ?? 0).toBe(0);
  });

  it('never held more than its share of a window, after READY no more than 40 calls of one, at an even pace', async () => {
    const calls = budgetedCalls(started.stack);
    const afterReady = calls.filter((call) => call.startedAt > readyAt);
    expect(busiestWindow(calls, BUDGET_WINDOW_MS)).toBeLessThanOrEqual(MIRROR_SHARE_CALLS);
    expect(busiestWindow(afterReady, BUDGET_WINDOW_MS)).toBeLessThanOrEqual(40);
    // One call every 2 s on average (30 a minute): a task's pages go together, then wait their turns; a poll of the
    // newest tasks may fall in between.
    expect(busiestWindow(afterReady, 10_000)).toBeLessThanOrEqual(10);
    expect((await started.stack.platform.stats()).throttled).toBe(0);
  });
});
