// The call budget's queue on its own, over the store's real ledger (SQLite in memory): each active client's reservation is its own; a background client's share is
// a hard cap of every window, waiting or not; an ordinary client's stays soft. A window of 1 s (2 s with the arrival
// margin) keeps the waits short.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateBudget, RateLimitedError, type BudgetSlot } from '../../src/datasources/platform/rate-budget.js';
import { openStore, type Store } from '../../src/store/index.js';

const CALLS = 10;
/** The window as the budget counts it: 1 s, and the platform's arrival margin of 1 s. */
const WINDOW_MS = 2_000;

let store: Store;
let budget: RateBudget;
beforeEach(async () => {
  store = await openStore({ engine: 'sqlite', dataDir: ':memory:' });
  budget = new RateBudget({ calls: CALLS, windowSeconds: 1, key: 'unit', ledger: store.budget, clientShare: 0.5, sharesOf: { mirror: 0.3 }, background: ['mirror'] });
});
afterEach(async () => {
  budget.close();
  await store.close();
});

/** Asks for `n` slots at once; each records when it was granted. */
function ask(n: number, client: string, share?: number): { granted: number[]; all: Promise<BudgetSlot[]> } {
  const started = Date.now();
  const granted: number[] = [];
  const all = Promise.all(
    Array.from({ length: n }, () =>
      budget.acquire('query', started + 10_000, client, share).then((slot) => {
        granted.push(Date.now() - started);
        return slot;
      }),
    ),
  );
  // A test that fails early leaves calls waiting, which closing the budget refuses.
  all.catch(() => undefined);
  return { granted, all };
}
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a background client (the mirror)', () => {
  it('never holds more than its share of a window, even with nobody else waiting', async () => {
    const mirror = ask(6, 'mirror');
    await settle();
    expect(mirror.granted).toHaveLength(3);
    // The rest goes once the first calls leave the window, not before.
    await mirror.all;
    expect(mirror.granted.slice(3).every((ms) => ms >= WINDOW_MS - 50)).toBe(true);
  });

  it('leaves the rest of the window to a client that comes later in it, who is served at once', async () => {
    const mirror = ask(6, 'mirror');
    await settle();
    const client = ask(5, 'dashboard');
    await settle(100);
    expect(client.granted).toHaveLength(5);
    expect(client.granted.every((ms) => ms < 100)).toBe(true);
    expect(mirror.granted).toHaveLength(3);
    await Promise.all([mirror.all, client.all]);
  });

  it('held at its cap, it does not hold back an ordinary client going beyond its own share', async () => {
    const mirror = ask(6, 'mirror');
    await settle();
    // 7 slots left: the client's share (5), and beyond it all but the headroom (1 of 10).
    const client = ask(7, 'dashboard');
    await settle();
    expect(mirror.granted).toHaveLength(3);
    expect(client.granted).toHaveLength(6);
    await Promise.all([mirror.all, client.all]);
  });

  it('asks for less with a share of its own: the call goes only while the client holds less of the window', async () => {
    const steady = ask(4, 'mirror', 0.2);
    await settle();
    expect(steady.granted).toHaveLength(2);
    // Its full share (3) is still there for calls that ask for it.
    const burst = ask(3, 'mirror');
    await settle();
    expect(burst.granted).toHaveLength(1);
    await Promise.all([steady.all, burst.all]);
    expect(steady.granted.slice(2).every((ms) => ms >= WINDOW_MS - 50)).toBe(true);
  });

  it('fails at once a call whose deadline comes before its share frees', async () => {
    await ask(3, 'mirror').all;
    const started = Date.now();
    await expect(budget.acquire('query', started + 500, 'mirror')).rejects.toBeInstanceOf(RateLimitedError);
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe('an ordinary client', () => {
  it('alone, still goes beyond its share, but never into the headroom', async () => {
    const client = ask(12, 'dashboard');
    await settle();
    expect(client.granted).toHaveLength(CALLS - 1);
    await client.all;
  });
});

describe('a reservation', () => {
  it("holds a client's part of the window for it while it asks: another's flood takes only what nobody reserved", async () => {
    await ask(1, 'steady').all;
    // Two active clients: 5 reserved for each; beyond its 5 the flood would need what the steady client still has reserved.
    const flood = ask(20, 'flood');
    await settle();
    expect(flood.granted).toHaveLength(5);
    const steady = ask(4, 'steady');
    await settle(100);
    expect(steady.granted).toHaveLength(4);
    expect(steady.granted.every((ms) => ms < 100)).toBe(true);
  });

  it('lapses a window after its client last asked: the flood may then go beyond its own', async () => {
    await ask(1, 'steady').all;
    await settle(WINDOW_MS + 100);
    const flood = ask(12, 'flood');
    await settle();
    expect(flood.granted).toHaveLength(CALLS - 1);
  });
});
