import { sql, type Kysely } from 'kysely';
import { versionKey } from '../../domain/device-filter.js';

/** Text fields the fleet filter and aggregation take that had no column yet. */
const TEXT_COLUMNS = { node_type: 'nodeType', manufacturer_id: 'manufacturerId', hw_version: 'hwVersion', serial_number: 'serialNumber', mac: 'mac', location: 'location' } as const;
/** Versions' sort keys (domain/device-filter.ts versionKey): ranges compare them as text, on both engines. */
const KEY_COLUMNS = { fw_version_key: 'fwVersion', sw_version_key: 'swVersion', hw_version_key: 'hwVersion' } as const;

// Fleet queries: every mirrored device field as a column, versions' sort keys, and indexes for the ranges and
// groupings people ask for (times, product, versions). Existing rows are filled from their JSON.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of Object.keys(TEXT_COLUMNS)) await db.schema.alterTable('mirror_devices').addColumn(column, 'varchar(256)').execute();
  for (const column of Object.keys(KEY_COLUMNS)) await db.schema.alterTable('mirror_devices').addColumn(column, 'varchar(80)').execute();
  await fill(db);
  const indexes: Record<string, string[]> = {
    // Every column a filter or a count reads, led by the product: compliance seeks it, and counts with any other
    // filter scan it instead of the table (rows a sixth as wide: no JSON). See store/device-filter.ts fleetSource.
    mirror_devices_fleet: [
      'model', 'fw_version', 'sw_version', 'status', 'device_type', 'manufacturer_name', 'last_modified_at', 'created_at', 'location',
      'hw_version', 'protocol_type', 'node_type', 'manufacturer_id', 'gateway_id', 'fw_version_key', 'sw_version_key', 'hw_version_key',
      'synced_at', 'name_lower', 'name', 'serial_number', 'mac', 'id',
    ],
    mirror_devices_created_at: ['created_at'],
    mirror_devices_last_modified_at: ['last_modified_at'],
    mirror_devices_fw_version_key: ['fw_version_key'],
    mirror_devices_serial_number: ['serial_number'],
    mirror_devices_mac: ['mac'],
  };
  for (const [name, columns] of Object.entries(indexes)) await db.schema.createIndex(name).on('mirror_devices').columns(columns).execute();
}

async function fill(db: Kysely<unknown>): Promise<void> {
  type Row = { id: string; data: string };
  for (let after = ''; ; ) {
    const { rows } = await sql<Row>`select id, data from mirror_devices where id > ${after} order by id limit 500`.execute(db);
    if (rows.length === 0) return;
    for (const row of rows) {
      const device = JSON.parse(row.data) as Record<string, string | undefined>;
      const values = [
        ...Object.entries(TEXT_COLUMNS).map(([column, field]) => sql`${sql.ref(column)} = ${device[field] ?? null}`),
        ...Object.entries(KEY_COLUMNS).map(([column, field]) => sql`${sql.ref(column)} = ${device[field] === undefined ? null : versionKey(device[field])}`),
      ];
      await sql`update mirror_devices set ${sql.join(values)} where id = ${row.id}`.execute(db);
    }
    after = (rows.at(-1) as Row).id;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['fleet', 'created_at', 'last_modified_at', 'fw_version_key', 'serial_number', 'mac']) {
    await db.schema.dropIndex(`mirror_devices_${name}`).execute();
  }
  for (const column of [...Object.keys(TEXT_COLUMNS), ...Object.keys(KEY_COLUMNS)]) await db.schema.alterTable('mirror_devices').dropColumn(column).execute();
}
