// The periodic full sync is background work too: as users run it (see support.ts) but with a re-sync every minute
// (MIRROR_FULL_SYNC_MINUTES=1, the least allowed) on a fleet of 20 devices, the second pass lists everything again at
// the backfill's pace (a call every 2 s, not a burst), then reads the groups' members again, and the mirror holds no
// more than its share of any window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATH } from '../harness/routes.js';
import { BUDGET_WINDOW_MS, budgetedCalls, busiestWindow, eventually, MIRROR_SHARE_CALLS, startAsUsersRunIt, type StartedStack } from './support.js';

let started: StartedStack;
/** When the second full sync completed (performance.now()). */
let resyncedAt: number;
const syncsCompleted = () => started.stack.gateway.log.records().filter((r) => r.msg === 'mirror full sync complete').length;
const listings: string[] = [PATH.packages, PATH.groups, PATH.devices, PATH.operations];

beforeAll(async () => {
  started = await startAsUsersRunIt(20, { MIRROR_FULL_SYNC_MINUTES: '1', LOG_LEVEL: 'info' });
  await eventually(async () => syncsCompleted(), (n) => n >= 2, 100_000);
  resyncedAt = performance.now();
  // A few of the groups' members read again after it.
  await eventually(async () => budgetedCalls(started.stack).filter((c) => c.path === PATH.members && c.startedAt > resyncedAt).length, (n) => n >= 3, 30_000);
}, 150_000);
afterAll(async () => {
  await started?.stack.close();
});

describe('the periodic full sync', () => {
  it('lists everything again at the backfill’s pace, then reads the groups’ members again, within the mirror’s share', async () => {
    const calls = budgetedCalls(started.stack);
    const firstListing = calls.find((c) => c.path === PATH.packages);
    const second = calls.filter((c) => listings.includes(c.path) && c.startedAt > (firstListing?.startedAt ?? 0) + 60_000 && c.startedAt <= resyncedAt);
    // Packages, groups, one page of devices, one of tasks; each waits its turn (the poll of the newest tasks aside).
    expect(new Set(second.map((c) => c.path))).toEqual(new Set(listings));
    const at = (path: string) => second.find((c) => c.path === path)?.startedAt ?? Number.NaN;
    expect(at(PATH.groups) - at(PATH.packages)).toBeGreaterThan(1_500);
    expect(at(PATH.devices) - at(PATH.groups)).toBeGreaterThan(1_500);
    expect(busiestWindow(calls, BUDGET_WINDOW_MS)).toBeLessThanOrEqual(MIRROR_SHARE_CALLS);
    expect((await started.stack.platform.stats()).throttled).toBe(0);
  });
});
