// The store on both engines: migrations, the exactly-once primitives of idempotency keys, and the call ledger,
// each checked with two store instances on one database where replicas would share it.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { StoreSchemaError } from '../../src/store/migrate.js';
import { ENGINES, testStoreLocation, type TestStoreLocation } from '../harness/store.js';

const opened: Store[] = [];
const locations: TestStoreLocation[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await Promise.all(locations.splice(0).map((l) => l.drop()));
});

async function fresh(engine: (typeof ENGINES)[number]): Promise<TestStoreLocation> {
  const location = await testStoreLocation(engine);
  locations.push(location);
  return location;
}
async function open(location: TestStoreLocation): Promise<Store> {
  const store = await openStore(location.location);
  opened.push(store);
  return store;
}

const HOUR = 3_600_000;
const keyRecord = (key: string, now: number, fingerprint = 'f1', client = 'key-a') => ({
  client,
  key,
  fingerprint,
  sent_at: now,
  lease_until: now + 30_000,
  expires_at: now + 24 * HOUR,
});

describe.each(ENGINES)('the store on %s', (engine) => {
  it('migrates once, opens again without change, and keeps what was written', async () => {
    const location = await fresh(engine);
    const first = await open(location);
    expect(await first.idempotency.reserve(keyRecord('k', Date.now()))).toBe(true);
    await first.close();
    opened.splice(opened.indexOf(first), 1);
    const second = await open(location);
    expect((await second.idempotency.find('key-a', 'k'))?.state).toBe('pending');
  });

  it('refuses to start on a schema newer than the code knows, and says so', async () => {
    const location = await fresh(engine);
    const store = await open(location);
    await store.db.insertInto('kysely_migration' as never).values({ name: '9999-from-the-future', timestamp: new Date().toISOString() } as never).execute();
    await expect(openStore(location.location)).rejects.toThrow(StoreSchemaError);
    await expect(openStore(location.location)).rejects.toThrow(/9999-from-the-future/);
  });

  it('gives a key to exactly one of many concurrent reservations, across two store instances', async () => {
    const location = await fresh(engine);
    const stores = engine === 'postgres' ? [await open(location), await open(location)] : [await open(location)];
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % stores.length]!.idempotency.reserve(keyRecord('same', now))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('scopes keys per client, frees an expired key, and lets no two keys hold one result', async () => {
    const store = await open(await fresh(engine));
    const now = Date.now();
    expect(await store.idempotency.reserve(keyRecord('k', now, 'f1', 'key-a'))).toBe(true);
    expect(await store.idempotency.reserve(keyRecord('k', now, 'f1', 'key-b'))).toBe(true);
    await store.idempotency.complete('key-a', 'k', 'task-1');
    expect(await store.idempotency.claim('key-b', 'k', 'task-1')).toBe(false);
    expect((await store.idempotency.find('key-b', 'k'))?.state).toBe('pending');
    expect(await store.idempotency.claimed(['task-1', 'task-2'])).toEqual(new Set(['task-1']));

    // A day later the key may be used again.
    expect(await store.idempotency.reserve({ ...keyRecord('k', now + 25 * HOUR), fingerprint: 'f2' })).toBe(true);
    expect((await store.idempotency.find('key-a', 'k'))?.fingerprint).toBe('f2');
  });

  it('hands a task back from a wrong claim to the key whose create made it', async () => {
    const store = await open(await fresh(engine));
    const now = Date.now();
    await store.idempotency.reserve(keyRecord('maker', now));
    await store.idempotency.reserve(keyRecord('claimer', now));
    await store.idempotency.markUnknown('key-a', 'claimer');
    expect(await store.idempotency.claim('key-a', 'claimer', 'task-9')).toBe(true);
    await store.idempotency.complete('key-a', 'maker', 'task-9');
    expect(await store.idempotency.find('key-a', 'maker')).toMatchObject({ state: 'done', result: 'task-9' });
    expect(await store.idempotency.find('key-a', 'claimer')).toMatchObject({ state: 'unknown', result: null });
  });

  it('counts calls per window and client, and never grants more than the limit across two instances', async () => {
    const location = await fresh(engine);
    const stores = engine === 'postgres' ? [await open(location), await open(location)] : [await open(location)];
    const app = randomUUID();
    const now = Date.now();
    const limit = 10;
    const take = (store: Store, client: string) => store.budget.take(app, 60_000, now, (usage) => (usage.total < limit ? client : undefined));
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => take(stores[i % stores.length]!, `c${i % 3}`)));
    expect(results.filter((r) => 'granted' in r)).toHaveLength(limit);
    const refused = results.find((r) => 'refused' in r);
    expect(refused && 'refused' in refused && refused.refused.total).toBe(limit);
    expect(refused && 'refused' in refused && refused.refused.oldestAt).toBe(now);

    // A window later the old calls are gone.
    const later = await stores[0]!.budget.take(app, 60_000, now + 60_001, (usage) => (usage.total === 0 ? 'c0' : undefined));
    expect('granted' in later).toBe(true);
  });

  it('gives a lease to one holder at a time across two instances, and to another once it runs out or is released', async () => {
    const location = await fresh(engine);
    const [a, b] = [await open(location), await open(location)] as [Store, Store];
    const now = Date.now();
    const won = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).leases.acquire('work', `holder-${i}`, now, 15_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const holder = `holder-${won.indexOf(true)}`;
    expect(await a.leases.acquire('work', holder, now + 5_000, 15_000)).toBe(true);
    expect(await b.leases.acquire('work', 'other', now + 19_000, 15_000)).toBe(false);
    // Renewed at +5 s, so it runs out at +20 s.
    expect(await b.leases.acquire('work', 'other', now + 20_001, 15_000)).toBe(true);
    await b.leases.release('work', 'other');
    expect(await a.leases.acquire('work', holder, now + 20_002, 15_000)).toBe(true);
  });
});
