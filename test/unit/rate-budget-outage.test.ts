// The call budget while its ledger (the store) cannot be reached, as a replica of two sees it: for one window the
// window counts as full but for the slots it saw free up since, of which it takes its part (half); then its part of
// each window; back with the ledger, the calls it made alone are counted there. The ledger is the store's real one
// (SQLite in memory), cut by failing its calls as an unreachable PostgreSQL does.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateBudget, RateLimitedError, type CallLedger } from '../../src/datasources/platform/rate-budget.js';
import { openStore, type Store } from '../../src/store/index.js';

const CALLS = 10;
/** Each of two replicas' part while the ledger is away. */
const PART = 5;
/** 1 s, and the platform's arrival margin of 1 s. */
const WINDOW_MS = 2_000;

let store: Store;
let budget: RateBudget;
let down = false;
let ledger: CallLedger;
const unreachable = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));

beforeEach(async () => {
  store = await openStore({ engine: 'sqlite', dataDir: ':memory:' });
  ledger = {
    take: (...args) => (down ? unreachable() : store.budget.take(...args)),
    touch: (...args) => (down ? unreachable() : store.budget.touch(...args)),
    record: (...args) => (down ? unreachable() : store.budget.record(...args)),
    lease: (...args) => (down ? unreachable() : store.budget.lease(...args)),
  };
  
  down = false;
  budget = new RateBudget({ calls: CALLS, windowSeconds: 1, key: 'unit', ledger, clientShare: 1, fallbackCalls: PART });
  // The budget's first look at the ledger, before a test cuts it.
  await until(Date.now() + 100);
});
afterEach(async () => {
  budget.close();
  await store.close();
});

/** How many of `n` calls asked now get a slot at once (the rest are refused at once: their deadline is now). */
async function granted(n: number): Promise<number> {
  let count = 0;
  for (let i = 0; i < n; i++) {
    try {
      await budget.acquire('query', Date.now() + 50, 'reader');
      count += 1;
    } catch (error) {
      expect(error).toBeInstanceOf(RateLimitedError);
    }
  }
  return count;
}
const until = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
/** The calls the ledger holds for the application now. */
async function ledgerTotal(): Promise<number> {
  let total = 0;
  await store.budget.take('unit', WINDOW_MS, Date.now(), (usage) => ((total = usage.total), undefined));
  return total;
}

describe('the call budget without its ledger', () => {
  it('takes the window as full, then its part of the slots it saw free, then its part of each window; and records its calls when back', async () => {
    const first = Date.now();
    expect(await granted(6)).toBe(6);
    await until(first + 600);
    const second = Date.now();
    expect(await granted(4)).toBe(4);

    await until(second + 500);
    down = true;
    const lost = Date.now();
    // Full: nothing it saw has left the window, and the others' calls since are unknown.
    expect(await granted(3)).toBe(0);

    // The first 6 calls left the window: half of those slots are this replica's.
    await until(first + WINDOW_MS + 100);
    expect(await granted(5)).toBe(3);
    // The other 4 too: half of 10 in all.
    await until(second + WINDOW_MS + 100);
    expect(await granted(5)).toBe(2);

    // A window after the loss nothing from before counts: its part of each window, its own calls counted.
    await until(lost + WINDOW_MS + 100);
    expect(await granted(5)).toBe(0);
    await until(first + 2 * WINDOW_MS + 200);
    expect(await granted(2)).toBe(2);

    // Back: the 4 calls it made alone within the last window are in the ledger, and the one it takes now.
    down = false;
    expect(await granted(1)).toBe(1);
    expect(await ledgerTotal()).toBe(5);
  });

  it('counts as full a window it never saw, for a window', async () => {
    down = true;
    const lost = Date.now();
    expect(await granted(3)).toBe(0);
    await until(lost + WINDOW_MS + 100);
    expect(await granted(PART + 2)).toBe(PART);
  });

  it('spends the slots it leased ahead through an outage, spread over their lease, when the others filled the window', async () => {
    budget.close();
    budget = new RateBudget({ calls: CALLS, windowSeconds: 1, key: 'unit', ledger, clientShare: 1, fallbackCalls: PART, outageReserve: 3 });
    await expect.poll(ledgerTotal, { interval: 20 }).toBe(3);
    // Another replica takes every slot left: the reserve is counted as taken.
    let others = 0;
    while ('granted' in (await store.budget.take('unit', WINDOW_MS, Date.now(), (usage) => (usage.total < CALLS ? 'other' : undefined)))) others += 1;
    expect(others).toBe(CALLS - 3);

    down = true;
    const lost = Date.now();
    const grants: number[] = [];
    while (Date.now() < lost + WINDOW_MS - 200) {
      if ((await granted(1)) === 1) grants.push(Date.now() - lost);
      await until(Date.now() + 50);
    }
    // All three, one at once and the others spread over the lease's remaining second or more, never a fourth.
    expect(grants.length).toBe(3);
    expect(grants[0]).toBeLessThan(100);
    expect(grants[2]! - grants[0]!).toBeGreaterThan(500);

    // Back: the spent slots stay counted in the ledger (nothing recorded twice) and the reserve is leased again.
    down = false;
    expect(await ledgerTotal()).toBe(CALLS);
  });
});
