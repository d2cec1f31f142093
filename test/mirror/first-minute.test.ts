// The first minute of a gateway on the default fleet (2,000 devices), as users run it (see support.ts): the README's
// dashboard sent the moment it listens, over HTTP and over WebSocket, is answered complete once the mirror is READY
// (within 15 s), rather than refused for the calls it would cost without the mirror; the gateway
// spends at most 50 platform calls in that minute, none throttled; and its background work never holds more than the
// mirror's share of any budget window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD } from '../ops/support.js';
import { BUDGET_WINDOW_MS, budgetedCalls, busiestWindow, eventually, MIRROR_SHARE_CALLS, overWebSocket, sleepUntil, startAsUsersRunIt, type Json, type StartedStack } from './support.js';

let started: StartedStack;
let stateBefore: string;
let dashboards: { http: Json; ws: Json };
let summary: Json;
let readyAt: number;

beforeAll(async () => {
  started = await startAsUsersRunIt(2000);
  const { gateway } = started.stack;
  stateBefore = (await gateway.query('{ mirror { state } }')).data.mirror.state;
  const [http, ws, fleet] = await Promise.all([gateway.query(DASHBOARD), overWebSocket(gateway, DASHBOARD), gateway.query('{ fleetSummary { total } }')]);
  dashboards = { http, ws };
  summary = fleet;
  await eventually(() => gateway.query('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 30_000);
  readyAt = performance.now();
}, 60_000);
afterAll(async () => {
  await started?.stack.close();
});

describe('the first minute on the default fleet, with the real budget and throttle', () => {
  it.each(['http', 'ws'] as const)('answers the dashboard sent before the mirror is READY, complete and without an error (%s)', (transport) => {
    expect(stateBefore).not.toBe('READY');
    const dashboard = dashboards[transport];
    expect(dashboard.errors).toBeUndefined();
    expect(dashboard.data.operations.nodes).toHaveLength(20);
    for (const operation of dashboard.data.operations.nodes) {
      expect(operation.subtasks.nodes.length).toBe(Math.min(10, operation.stats.total));
      for (const subtask of operation.subtasks.nodes) expect(subtask.device).not.toBeNull();
    }
  });

  it('answers a fleet question sent before READY once it is, rather than MIRROR_UNAVAILABLE', () => {
    expect(summary.errors).toBeUndefined();
    expect(summary.data.fleetSummary.total).toBe(2000);
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
    await sleepUntil(startedAt + 70_000);
    expect(busiestWindow(budgetedCalls(stack), BUDGET_WINDOW_MS)).toBeLessThanOrEqual(MIRROR_SHARE_CALLS);
    expect((await stack.platform.stats()).throttled).toBe(0);
  }, 90_000);
});
