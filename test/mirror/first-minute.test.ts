// The first minute of a gateway on the default fleet (2,000 devices), as users run it (see support.ts): the README's
// dashboard sent the moment it listens is answered, complete, once the mirror is READY (within 15 s); the gateway
// spends at most 50 platform calls in that minute, none throttled; and its background work never holds more than the
// mirror's share of any budget window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD } from '../ops/support.js';
import { BUDGET_WINDOW_MS, budgetedCalls, busiestWindow, eventually, MIRROR_SHARE_CALLS, sleepUntil, startAsUsersRunIt, type Json, type StartedStack } from './support.js';

let started: StartedStack;
let stateBefore: string;
let dashboard: Json;
let readyAt: number;

beforeAll(async () => {
  started = await startAsUsersRunIt(2000);
  const { gateway } = started.stack;
  stateBefore = (await gateway.query('{ mirror { state } }')).data.mirror.state;
  dashboard = await gateway.query(DASHBOARD);
  await eventually(() => gateway.query('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 30_000);
  readyAt = performance.now();
}, 60_000);
afterAll(async () => {
  await started?.stack.close();
});

describe('the first minute on the default fleet, with the real budget and throttle', () => {
  it('answers the dashboard sent before the mirror is READY, complete and without an error', () => {
    expect(stateBefore).not.toBe('READY');
    expect(dashboard.errors).toBeUndefined();
    expect(dashboard.data.operations.nodes).toHaveLength(20);
    for (const operation of dashboard.data.operations.nodes) {
      expect(operation.subtasks.nodes.length).toBe(Math.min(10, operation.stats.total));
      for (const subtask of operation.subtasks.nodes) expect(subtask.device).not.toBeNull();
    }
  });

  it('is READY within 15 s of the start', () => {
    expect(readyAt - started.startedAt).toBeLessThan(15_000);
  });

  it('spends at most 50 platform calls in the first 60 s, none throttled, and at most its share in any window', async () => {
    const { stack, startedAt } = started;
    await sleepUntil(startedAt + 60_000);
    const firstMinute = stack.proxy.calls.filter((call) => call.startedAt <= startedAt + 60_000);
    expect(firstMinute.length).toBeLessThanOrEqual(50);
    expect((await stack.platform.stats()).throttled).toBe(0);
    // A little more, for the calls that wait for the first ones to leave the window.
    await sleepUntil(startedAt + 80_000);
    console.log('DEBUG', (readyAt - startedAt).toFixed(0), started.listeningAt - startedAt, JSON.stringify(stack.proxy.calls.map((c) => [Math.round(c.startedAt - startedAt), c.method, c.path.replace(/[0-9a-f-]{20,}/g, ':id'), c.query.toString().slice(0, 60)])));
    expect(busiestWindow(budgetedCalls(stack), BUDGET_WINDOW_MS)).toBeLessThanOrEqual(MIRROR_SHARE_CALLS);
    expect((await stack.platform.stats()).throttled).toBe(0);
  }, 90_000);
});
