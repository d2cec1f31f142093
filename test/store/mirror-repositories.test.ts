// The mirror's tables on both engines: the newest state wins, a subtask's state only moves forward, and the fleet
// queries filter, sort and count as the GraphQL contract says.
import { afterEach, describe, expect, it } from 'vitest';
import type { Device } from '../../src/domain/devices.js';
import type { Operation, Subtask } from '../../src/domain/upgrade-tasks.js';
import { openStore, type Store } from '../../src/store/index.js';
import { ENGINES, testStoreLocation, type TestStoreLocation } from '../harness/store.js';

const opened: Store[] = [];
const locations: TestStoreLocation[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await Promise.all(locations.splice(0).map((l) => l.drop()));
});
async function fresh(engine: (typeof ENGINES)[number]): Promise<Store> {
  const location = await testStoreLocation(engine);
  locations.push(location);
  const store = await openStore(location.location);
  opened.push(store);
  return store;
}

const device = (id: string, fields: Partial<Device> = {}): Device => ({ id, name: `Meter-${id}`, deviceType: 'WaterMeter', model: 'WM100', fwVersion: 'V1.0.0', status: 'ONLINE', ...fields });
const stats = { total: 2, wait: 2, processing: 0, success: 0, fail: 0, stop: 0, timeout: 0, completed: 0, progress: 0 };
const operation = (id: string, createdAt: string, deviceIds: string[]): Operation => ({
  id,
  type: 'FIRMWARE_UPGRADE',
  status: 'WAIT',
  createdAt,
  targets: { deviceIds, deviceGroups: [] },
  stats: { ...stats, total: deviceIds.length, wait: deviceIds.length },
});
const subtask = (id: string, operationId: string, deviceId: string): Subtask => ({ id, operationId, deviceId, type: 'FIRMWARE_UPGRADE', status: 'WAIT' });

describe.each(ENGINES)('the mirror repository on %s', (engine) => {
  it('keeps the newest state of a device: an older read or a late notification never moves it back', async () => {
    const { mirror } = await fresh(engine);
    await mirror.devices.putDevices([device('a', { fwVersion: 'V1.0.0' })], 1_000, 1);
    expect(await mirror.devices.applyDevice(device('a', { fwVersion: 'V2.0.0' }), 2_000)).toBe(true);
    expect(await mirror.devices.applyDevice(device('a', { fwVersion: 'V1.5.0' }), 1_500)).toBe(false);
    await mirror.devices.putDevices([device('a', { fwVersion: 'V1.0.0' })], 1_200, 2);
    expect(await mirror.devices.device('a')).toMatchObject({ fwVersion: 'V2.0.0', syncedAt: new Date(2_000).toISOString() });
  });

  it('applies a pushed device state once: the same push re-sent after a newer one is a replay and changes nothing', async () => {
    const { mirror } = await fresh(engine);
    await mirror.devices.putDevices([device('a', { fwVersion: 'V1.0.0' })], 1_000, 1);
    expect(await mirror.devices.applyPush(device('a', { fwVersion: 'V9.9.9' }), 'first', 2_000)).toBe('applied');
    expect(await mirror.devices.applyPush(device('a', { fwVersion: 'V9.9.10' }), 'second', 3_000)).toBe('applied');
    expect(await mirror.devices.applyPush(device('a', { fwVersion: 'V9.9.9' }), 'first', 4_000)).toBe('replayed');
    expect(await mirror.devices.applyPush(device('a', { fwVersion: 'V9.9.10' }), 'second', 5_000)).toBe('unchanged');
    expect(await mirror.devices.device('a')).toMatchObject({ fwVersion: 'V9.9.10', syncedAt: new Date(3_000).toISOString() });
    // A read sent after the push was taken knows better; a push long after the re-send window is new again.
    await mirror.devices.putDevices([device('a', { fwVersion: 'V3.0.0' })], 6_000, 1);
    expect(await mirror.devices.applyPush(device('a', { fwVersion: 'V2.0.0' }), 'third', 5_500)).toBe('stale');
    expect(await mirror.devices.applyPush(device('a', { fwVersion: 'V9.9.9' }), 'first', 3_000 + 16 * 60_000)).toBe('applied');
  });

  it('stores what a notification says of a subtask it has never read, and holds a task once every subtask is in', async () => {
    const { mirror } = await fresh(engine);
    await mirror.upgradeTasks.putOperations([operation('t', '2026-01-01T00:00:00Z', ['d1', 'd2'])], 1_000, 1);
    const step = await mirror.upgradeTasks.applySubtask({ operationId: 't', subtaskId: 's2', deviceId: 'd2', type: 'FIRMWARE_UPGRADE', step: 'DOWNLOADING' }, 2_000);
    expect(step).toMatchObject({ subtask: { id: 's2', operationId: 't', deviceId: 'd2', status: 'PROCESSING', step: 'DOWNLOADING' }, added: true });
    expect(await mirror.upgradeTasks.holdIfComplete('t', 2_000)).toBe(false);
    expect(await mirror.upgradeTasks.subtasks('t', undefined, { start: 0, count: 5 })).toBeUndefined();
    await mirror.upgradeTasks.applySubtask({ operationId: 't', subtaskId: 's1', deviceId: 'd1', type: 'FIRMWARE_UPGRADE', status: 'SUCCESS' }, 3_000);
    expect(await mirror.upgradeTasks.holdIfComplete('t', 3_000)).toBe(true);
    const page = await mirror.upgradeTasks.subtasks('t', undefined, { start: 0, count: 5 });
    expect(page?.totalCount).toBe(2);
    expect(page?.items.map((s) => [s.id, s.deviceId, s.status])).toEqual([
      ['s2', 'd2', 'PROCESSING'],
      ['s1', 'd1', 'SUCCESS'],
    ]);
  });

  it("holds a created task's subtasks at once, one waiting per device, and gives each its id from its first notice", async () => {
    const { mirror } = await fresh(engine);
    // A notice overtook the create's answer: it is kept, and placed where its device is in the targets.
    await mirror.upgradeTasks.applySubtask({ operationId: 'c', subtaskId: 's3', deviceId: 'd3', type: 'FIRMWARE_UPGRADE', step: 'DOWNLOADING' }, 1_500);
    await mirror.upgradeTasks.putCreated(operation('c', '2026-03-01T00:00:00Z', ['d1', 'd2', 'd3']), 2_000);
    const before = await mirror.upgradeTasks.subtasks('c', undefined, { start: 0, count: 5 });
    expect(before?.items.map((s) => [s.deviceId, s.status])).toEqual([
      ['d1', 'WAIT'],
      ['d2', 'WAIT'],
      ['d3', 'PROCESSING'],
    ]);
    const moved = await mirror.upgradeTasks.applySubtask({ operationId: 'c', subtaskId: 's1', deviceId: 'd1', type: 'FIRMWARE_UPGRADE', status: 'FAILED', detail: 'no space' }, 3_000);
    expect(moved).toMatchObject({ subtask: { id: 's1', status: 'FAILED', detail: 'no space' }, added: false });
    const after = await mirror.upgradeTasks.subtasks('c', undefined, { start: 0, count: 5 });
    expect(after?.items.map((s) => [s.id, s.deviceId, s.status])).toEqual([
      ['s1', 'd1', 'FAILED'],
      ['c:d2', 'd2', 'WAIT'],
      ['s3', 'd3', 'PROCESSING'],
    ]);
    expect(Object.fromEntries(await mirror.upgradeTasks.subtaskCounts('c'))).toEqual({ FAILED: 1, WAIT: 1, PROCESSING: 1 });
  });

  it('filters, sorts and counts the fleet as DeviceFilter and FleetSummary say', async () => {
    const { mirror } = await fresh(engine);
    await mirror.devices.putDevices(
      [
        device('1', { name: 'Beta', fwVersion: 'V1.0.0', status: 'ONLINE' }),
        device('2', { name: 'alpha', fwVersion: 'V2.0.0', status: 'OFFLINE' }),
        device('3', { name: 'Gamma_%', fwVersion: undefined, status: 'ONLINE' }),
        device('4', { name: 'delta', deviceType: 'SmokeDetector', fwVersion: 'V1.0.0', status: 'ONLINE' }),
      ],
      1_000,
      1,
    );
    await mirror.packages.putGroups([{ id: 'g1', name: 'G' }], 1_000, 1);
    // Listed, its members not read yet: the mirror cannot say who they are.
    expect(await mirror.packages.groupMemberIds('g1', { start: 0, count: 10 })).toBeUndefined();
    expect(await mirror.packages.groupsDueMembers(10)).toEqual([expect.objectContaining({ id: 'g1' })]);
    expect(await mirror.packages.putGroupMembers('g1', ['2', '3', '2'], 1_100)).toBe(true);
    expect(await mirror.packages.putGroupMembers('unknown', ['2'], 1_100)).toBe(false);
    expect(await mirror.packages.groupsDueMembers(10)).toEqual([]);
    expect(await mirror.packages.group('g1')).toMatchObject({ group: { id: 'g1' }, membersSyncedAt: 1_100 });
    const ids = async (filter: Parameters<typeof mirror.devices.fleet>[0]) => (await mirror.devices.fleet(filter, 'NAME', { start: 0, count: 10 })).items.map((d) => d.id);
    expect(await ids({})).toEqual(['2', '1', '4', '3']);
    expect(await ids({ deviceType: 'WaterMeter', fwVersionNot: 'V1.0.0' })).toEqual(['2', '3']);
    expect(await ids({ status: ['OFFLINE'] })).toEqual(['2']);
    expect(await ids({ status: [] })).toEqual([]);
    expect(await ids({ groupId: 'g1' })).toEqual(['2', '3']);
    // The next sync round lists g2 only: g1 and its members go.
    await mirror.packages.putGroups([{ id: 'g2', name: 'H' }], 2_000, 2);
    await mirror.packages.putGroupMembers('g2', ['4'], 2_100);
    await mirror.packages.dropGroupsBefore(2);
    expect(await mirror.packages.groupMemberIds('g1', { start: 0, count: 10 })).toBeUndefined();
    expect(await ids({ groupId: 'g1' })).toEqual([]);
    expect(await ids({ groupId: 'g2' })).toEqual(['4']);
    // Listed again by a later round: its members are due again, and meanwhile still answered.
    await mirror.packages.putGroups([{ id: 'g2', name: 'H' }], 3_000, 3);
    expect((await mirror.packages.groupsDueMembers(10)).map((g) => g.id)).toEqual(['g2']);
    expect(await ids({ groupId: 'g2' })).toEqual(['4']);
    expect(await ids({ nameContains: 'A_%' })).toEqual(['3']);
    expect(await ids({ nameContains: 'ALP' })).toEqual(['2']);
    expect((await mirror.devices.fleet({}, 'NAME', { start: 1, count: 2 })).totalCount).toBe(4);

    const summary = await mirror.devices.fleetSummary({ deviceType: 'WaterMeter' });
    expect(summary.total).toBe(3);
    expect(summary.byFwVersion).toEqual(
      expect.arrayContaining([
        { version: 'V1.0.0', count: 1, online: 1 },
        { version: 'V2.0.0', count: 1, online: 0 },
        { version: null, count: 1, online: 1 },
      ]),
    );
    expect(summary.byStatus).toEqual([
      { status: 'ONLINE', count: 2 },
      { status: 'OFFLINE', count: 1 },
    ]);
  });

  it('lists tasks newest first with the platform filters, and moves a subtask only forward', async () => {
    const { mirror } = await fresh(engine);
    await mirror.upgradeTasks.putOperations([operation('old', '2026-01-01T00:00:00Z', ['d1']), operation('new', '2026-02-01T00:00:00Z', ['d1', 'd2'])], 1_000, 1);
    expect((await mirror.upgradeTasks.operations({}, { start: 0, count: 5 })).items.map((o) => o.id)).toEqual(['new', 'old']);
    expect((await mirror.upgradeTasks.operations({ deviceId: 'd2' }, { start: 0, count: 5 })).items.map((o) => o.id)).toEqual(['new']);
    expect(await mirror.upgradeTasks.subtasks('new', undefined, { start: 0, count: 5 })).toBeUndefined();

    await mirror.upgradeTasks.putSubtasks('new', [subtask('s1', 'new', 'd1'), subtask('s2', 'new', 'd2')], 1_000);
    expect(await mirror.upgradeTasks.applySubtask({ operationId: 'new', subtaskId: 's1', deviceId: 'd1', type: 'FIRMWARE_UPGRADE', step: 'DOWNLOADING' }, 2_000)).toMatchObject({ subtask: { id: 's1', status: 'PROCESSING', step: 'DOWNLOADING' }, added: false });
    expect(await mirror.upgradeTasks.applySubtask({ operationId: 'new', subtaskId: 's1', deviceId: 'd1', type: 'FIRMWARE_UPGRADE', status: 'SUCCESS' }, 3_000)).toMatchObject({ subtask: { id: 's1', status: 'SUCCESS', step: null } });
    // Late: a step after the result, a repeat of the result.
    expect(await mirror.upgradeTasks.applySubtask({ operationId: 'new', subtaskId: 's1', deviceId: 'd1', type: 'FIRMWARE_UPGRADE', step: 'UPDATING' }, 3_500)).toBeUndefined();
    expect(await mirror.upgradeTasks.applySubtask({ operationId: 'new', subtaskId: 's1', deviceId: 'd1', type: 'FIRMWARE_UPGRADE', status: 'SUCCESS' }, 4_000)).toBeUndefined();
    const page = await mirror.upgradeTasks.subtasks('new', undefined, { start: 0, count: 5 });
    expect(page?.items.map((s) => [s.id, s.status, s.step])).toEqual([
      ['s1', 'SUCCESS', null],
      ['s2', 'WAIT', null],
    ]);
    expect(Object.fromEntries(await mirror.upgradeTasks.subtaskCounts('new'))).toEqual({ SUCCESS: 1, WAIT: 1 });

    // A read sent at 3,200 and written later: s1's result (pushed at 3,000) came before it and is what the read
    // says; s2's result pushed at 5,000, after the read was sent, is kept over the read's older WAIT.
    await mirror.upgradeTasks.applySubtask({ operationId: 'new', subtaskId: 's2', deviceId: 'd2', type: 'FIRMWARE_UPGRADE', status: 'FAILED' }, 5_000);
    await mirror.upgradeTasks.putSubtasks('new', [{ ...subtask('s1', 'new', 'd1'), status: 'SUCCESS' }, subtask('s2', 'new', 'd2')], 3_200);
    const reread = await mirror.upgradeTasks.subtasks('new', undefined, { start: 0, count: 5 });
    expect(reread?.items.map((s) => [s.id, s.status])).toEqual([
      ['s1', 'SUCCESS'],
      ['s2', 'FAILED'],
    ]);
    // A read that says how it ended stands: a result notice cannot tell a timeout from a failure.
    await mirror.upgradeTasks.putSubtasks('new', [{ ...subtask('s1', 'new', 'd1'), status: 'SUCCESS' }, { ...subtask('s2', 'new', 'd2'), status: 'TIMEOUT' }], 4_000);
    expect((await mirror.upgradeTasks.subtasks('new', undefined, { start: 0, count: 5 }))?.items.map((s) => s.status)).toEqual(['SUCCESS', 'TIMEOUT']);
  });

  it('drops, after a complete pass, the tasks the platform no longer lists, with their subtasks', async () => {
    const { mirror } = await fresh(engine);
    await mirror.upgradeTasks.putOperations([operation('kept', '2026-01-01T00:00:00Z', ['d1']), operation('gone', '2026-01-02T00:00:00Z', ['d2'])], 1_000, 1);
    await mirror.upgradeTasks.putSubtasks('gone', [subtask('g1', 'gone', 'd2')], 1_000);
    // The second pass starts at 2,000 and lists only one of them; a task learned after it started stays.
    await mirror.upgradeTasks.putOperations([operation('kept', '2026-01-01T00:00:00Z', ['d1'])], 2_500, 2);
    await mirror.upgradeTasks.putCreated(operation('new', '2026-01-03T00:00:00Z', ['d3']), 2_600);
    expect(await mirror.upgradeTasks.dropOperationsBefore(2, 2_000)).toBe(1);
    expect((await mirror.upgradeTasks.operations({}, { start: 0, count: 5 })).items.map((o) => o.id)).toEqual(['new', 'kept']);
    expect(await mirror.upgradeTasks.subtaskCounts('gone')).toEqual(new Map());
    expect((await mirror.upgradeTasks.operations({ deviceId: 'd2' }, { start: 0, count: 5 })).totalCount).toBe(0);
  });

  it('reads the same window of many tasks at once, with or without a status', async () => {
    const { mirror } = await fresh(engine);
    await mirror.upgradeTasks.putOperations([operation('a', '2026-01-01T00:00:00Z', ['d1', 'd2', 'd3']), operation('b', '2026-01-02T00:00:00Z', ['d4']), operation('c', '2026-01-03T00:00:00Z', ['d5'])], 1_000, 1);
    await mirror.upgradeTasks.putSubtasks('a', [subtask('a1', 'a', 'd1'), subtask('a2', 'a', 'd2'), subtask('a3', 'a', 'd3')], 1_000);
    await mirror.upgradeTasks.putSubtasks('b', [subtask('b1', 'b', 'd4')], 1_000);
    const window = { start: 1, count: 2 };
    const pages = await mirror.upgradeTasks.subtaskPages(['a', 'b', 'c'], undefined, window);
    expect([...pages.keys()].sort()).toEqual(['a', 'b']);
    expect(pages.get('a')?.totalCount).toBe(3);
    expect(pages.get('a')?.items.map((s) => s.id)).toEqual(['a2', 'a3']);
    expect(pages.get('b')).toMatchObject({ totalCount: 1, items: [] });
    // With a status: the positions have gaps, and the count is of the matching ones.
    await mirror.upgradeTasks.applySubtask({ operationId: 'a', subtaskId: 'a2', deviceId: 'd2', type: 'FIRMWARE_UPGRADE', status: 'SUCCESS' }, 2_000);
    const succeeded = await mirror.upgradeTasks.subtaskPages(['a', 'b'], 'SUCCESS', { start: 0, count: 5 });
    expect(succeeded.get('a')).toMatchObject({ totalCount: 1, items: [{ id: 'a2', status: 'SUCCESS' }] });
    expect(succeeded.get('b')).toMatchObject({ totalCount: 0, items: [] });
  });
});
