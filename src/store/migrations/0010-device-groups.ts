import type { Kysely } from 'kysely';

// Dynamic groups (saved device filters) and the continuous rollouts that follow one. A group keeps its filter as
// JSON (the DeviceFilter input as given), evaluated over the mirror each time it is asked; names are unique
// regardless of case (name_key). A continuous rollout's devices are claimed once each: the primary key is what makes
// "exactly once per device" hold across restarts and replicas.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dynamic_groups')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('name_key', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('continuous_rollouts')
    .addColumn('rollout_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
    // The wave rules ([{ count } | { percent }]) each set of newly matching devices is split by.
    .addColumn('waves', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'bigint')
    .execute();
  await db.schema.createIndex('continuous_rollouts_group').on('continuous_rollouts').column('group_id').execute();

  await db.schema
    .createTable('continuous_rollout_devices')
    .addColumn('rollout_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(256)', (c) => c.notNull())
    .addColumn('wave_index', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('continuous_rollout_devices_pk', ['rollout_id', 'device_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['continuous_rollout_devices', 'continuous_rollouts', 'dynamic_groups']) await db.schema.dropTable(table).execute();
}
