// Migration 0009 on both engines: devices mirrored before it get the new columns (text fields and versions' sort
// keys) from their JSON, so that fleet filters on them match at once, without waiting for the next full sync.
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import * as m0009 from '../../src/store/migrations/0009-fleet-query.js';
import * as m0010 from '../../src/store/migrations/0010-device-groups.js';
import * as m0011 from '../../src/store/migrations/0011-rollout-schedule.js';
import * as m0012 from '../../src/store/migrations/0012-audit-log.js';
import { ENGINES, testStoreLocation, type TestStoreLocation } from '../harness/store.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const device = (id: string, fwVersion: string) => ({
  id, name: `meter-${id}`, deviceType: 'WaterMeter', model: 'WM100', manufacturerId: 'acme', manufacturerName: 'AcmeMetering', nodeType: 'ENDPOINT',
  fwVersion, swVersion: 'S1.0.0', hwVersion: 'H2.1', serialNumber: `WM100-${id}`, mac: '0A:0B:0C:0D:0E:0F', location: 'Harbor',
});

describe.each(ENGINES)('migration 0009-fleet-query on %s', (engine) => {
  it('fills the new columns of devices mirrored before it', async () => {
    const location: TestStoreLocation = await testStoreLocation(engine);
    cleanups.push(() => location.drop());
    const opened = async (): Promise<Store> => {
      const store = await openStore(location.location);
      cleanups.push(() => store.close());
      return store;
    };
    // The store as 0008 left it, with devices in it (the migrations after it undone, the last first).
    const before = await opened();
    const db = before.db as unknown as Kysely<unknown>;
    for (const migration of [m0012, m0011, m0010, m0009]) await migration.down(db);
    await sql`delete from kysely_migration where name > '0008-budget-buckets'`.execute(db);
    for (const [id, fw] of [['d1', 'V1.2.9'], ['d2', 'V1.2.10'], ['d3', '1.2-rc1']] as const) {
      await sql`insert into mirror_devices (id, name, name_lower, device_type, model, fw_version, data, synced_at, sync_round)
        values (${id}, ${`meter-${id}`}, ${`meter-${id}`}, 'WaterMeter', 'WM100', ${fw}, ${JSON.stringify(device(id, fw))}, 1, 1)`.execute(db);
    }
    await before.close();
    cleanups.pop();

    const after = await opened();
    const rows = await after.db.selectFrom('mirror_devices').select(['id', 'node_type', 'manufacturer_id', 'hw_version', 'serial_number', 'mac', 'location', 'fw_version_key', 'sw_version_key', 'hw_version_key']).orderBy('id').execute();
    expect(rows.map((r) => [r.id, r.node_type, r.manufacturer_id, r.hw_version, r.serial_number, r.location, r.sw_version_key, r.hw_version_key])).toEqual(
      ['d1', 'd2', 'd3'].map((id) => [id, 'ENDPOINT', 'acme', 'H2.1', `WM100-${id}`, 'Harbor', '000000001', '000000002000000001']),
    );
    expect(rows.map((r) => r.fw_version_key)).toEqual(['000000001000000002000000009', '000000001000000002000000010', null]);

    const page = await after.mirror.devices.fleet({ where: { fwVersion: { gt: '1.2.9' }, serialNumber: { prefix: 'WM100-' }, location: { eq: 'Harbor' } } }, 'NAME', { start: 0, count: 10 });
    expect(page.items.map((d) => d.id)).toEqual(['d2']);
  });
});
