import type { Kysely } from 'kysely';

// Rollouts: a package brought to many devices in waves. The orchestrator's whole state lives here, so a restart or
// another replica continues every rollout where it stood. Times are epoch milliseconds; id lists are JSON arrays.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rollouts')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('client', 'varchar(128)', (c) => c.notNull())
    .addColumn('name', 'varchar(256)')
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('file_id', 'varchar(256)', (c) => c.notNull())
    .addColumn('target_version', 'varchar(256)')
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('halt_reason', 'text')
    .addColumn('soak_minutes', 'integer', (c) => c.notNull())
    .addColumn('threshold_percent', 'double precision')
    .addColumn('threshold_min_finished', 'integer')
    // The failed and finished counts when an operator last resumed a halted rollout: the threshold judges what
    // finished after that decision, not the figures that halted it.
    .addColumn('threshold_base_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('threshold_base_finished', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    // retryFailedDevices: the task whose failed devices this rollout retries.
    .addColumn('source_operation_id', 'varchar(64)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rollouts_created').on('rollouts').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('rollouts_state').on('rollouts').column('state').execute();

  await db.schema
    .createTable('rollout_waves')
    .addColumn('rollout_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('wave_index', 'integer', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('device_ids', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('soak_until', 'bigint')
    .addPrimaryKeyConstraint('rollout_waves_pk', ['rollout_id', 'wave_index'])
    .execute();

  // A wave's platform tasks, at most 256 devices each; operation_id is null until the platform has answered.
  await db.schema
    .createTable('rollout_tasks')
    .addColumn('rollout_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('wave_index', 'integer', (c) => c.notNull())
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('device_ids', 'text', (c) => c.notNull())
    .addColumn('operation_id', 'varchar(64)')
    .addColumn('created_at', 'bigint')
    .addPrimaryKeyConstraint('rollout_tasks_pk', ['rollout_id', 'wave_index', 'part'])
    .execute();

  // Work that one process of many does at a time (the rollout orchestrator): its holder renews the lease while alive.
  await db.schema
    .createTable('store_leases')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['store_leases', 'rollout_tasks', 'rollout_waves', 'rollouts']) await db.schema.dropTable(table).execute();
}
