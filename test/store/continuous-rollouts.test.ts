// A continuous rollout's devices on both engines: each is taken once, even when two processes on one store (a
// restarted gateway and the one before it, or two replicas) append waves for the same devices at the same moment.
import { afterEach, describe, expect, it } from 'vitest';
import type { NewRollout } from '../../src/domain/rollouts.js';
import { openStore, type Store } from '../../src/store/index.js';
import { ENGINES, testStoreLocation, type TestStoreLocation } from '../harness/store.js';

const opened: Store[] = [];
const locations: TestStoreLocation[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await Promise.all(locations.splice(0).map((l) => l.drop()));
});

const rollout = (id: string, waves: string[][]): NewRollout => ({
  id,
  client: 'test',
  name: null,
  startAt: null,
  maintenanceWindows: [],
  type: 'FIRMWARE_UPGRADE',
  fileId: 'pkg',
  targetVersion: 'V2',
  soakMinutes: 0,
  threshold: null,
  policy: { executeType: 'NOW', retry: false },
  total: waves.flat().length,
  sourceOperationId: null,
  createdAt: 1_000,
  waves: waves.map((deviceIds) => ({ deviceIds })),
});

describe.each(ENGINES)('continuous rollouts on %s', (engine) => {
  it('takes each device once: two processes appending at once write one set of waves, and a device taken is never taken again', async () => {
    const location = await testStoreLocation(engine);
    locations.push(location);
    const [one, two] = [await openStore(location.location), await openStore(location.location)];
    opened.push(one, two);
    const created = rollout('r1', [['a'], ['b']]);
    await one.rollouts.insert(created, (tx) => one.continuousRollouts.insert(tx, { rolloutId: 'r1', groupId: 'g1', waves: [{ count: 1 }, { percent: 100 }], stoppedAt: null }, created.waves));

    const racing = await Promise.allSettled([
      one.continuousRollouts.appendWaves('r1', 2, [['c'], ['d', 'a']], 2_000),
      two.continuousRollouts.appendWaves('r1', 2, [['c'], ['d', 'a']], 2_000),
    ]);
    const taken = racing.map((r) => (r.status === 'fulfilled' ? r.value : 0));
    expect(taken.sort()).toEqual([0, 2]);
    const after = await one.rollouts.find('r1');
    expect(after?.waves.map((w) => w.deviceIds)).toEqual([['a'], ['b'], ['c'], ['d']]);
    expect(after?.total).toBe(4);
    expect([...(await two.continuousRollouts.takenIds('r1'))].sort()).toEqual(['a', 'b', 'c', 'd']);

    // Later: only what was not taken before makes a wave.
    expect(await two.continuousRollouts.appendWaves('r1', 4, [['b', 'e']], 3_000)).toBe(1);
    expect((await one.rollouts.find('r1'))?.waves.map((w) => w.deviceIds)).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(await one.continuousRollouts.appendWaves('r1', 5, [['a', 'e']], 4_000)).toBe(0);
    expect((await one.rollouts.find('r1'))?.total).toBe(5);
  });

  it('stops once, and a followed group is known until the rollout stops following it', async () => {
    const location = await testStoreLocation(engine);
    locations.push(location);
    const store = await openStore(location.location);
    opened.push(store);
    const created = rollout('r2', [['a']]);
    await store.rollouts.insert(created, (tx) => store.continuousRollouts.insert(tx, { rolloutId: 'r2', groupId: 'g2', waves: [{ percent: 100 }], stoppedAt: null }, created.waves));
    expect(await store.continuousRollouts.followed('g2')).toBe(true);
    expect(await store.continuousRollouts.stop('r2', 5_000)).toBe(true);
    expect(await store.continuousRollouts.stop('r2', 6_000)).toBe(false);
    expect(await store.continuousRollouts.find('r2')).toMatchObject({ groupId: 'g2', stoppedAt: 5_000 });
    expect(await store.continuousRollouts.followed('g2')).toBe(false);
  });
});
