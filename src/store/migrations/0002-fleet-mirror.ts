import type { Kysely } from 'kysely';

// The fleet mirror: each object as the gateway's domain model (JSON in `data`), with the columns that queries
// filter, sort and count by. Times are epoch milliseconds.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mirror_devices')
    .addColumn('id', 'varchar(256)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(256)')
    .addColumn('name_lower', 'varchar(256)')
    .addColumn('gateway_id', 'varchar(256)')
    .addColumn('device_type', 'varchar(256)')
    .addColumn('model', 'varchar(256)')
    .addColumn('manufacturer_name', 'varchar(256)')
    .addColumn('protocol_type', 'varchar(64)')
    .addColumn('fw_version', 'varchar(256)')
    .addColumn('sw_version', 'varchar(256)')
    .addColumn('status', 'varchar(16)')
    .addColumn('created_at', 'bigint')
    .addColumn('last_modified_at', 'bigint')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'bigint', (c) => c.notNull())
    .addColumn('sync_round', 'bigint', (c) => c.notNull())
    .execute();
  for (const column of ['device_type', 'fw_version', 'sw_version', 'status', 'gateway_id', 'name_lower']) {
    await db.schema.createIndex(`mirror_devices_${column}`).on('mirror_devices').column(column).execute();
  }

  await db.schema
    .createTable('mirror_operations')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('device_type', 'varchar(256)')
    .addColumn('model', 'varchar(256)')
    .addColumn('manufacturer_name', 'varchar(256)')
    .addColumn('created_at', 'bigint')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'bigint', (c) => c.notNull())
    .addColumn('sync_round', 'bigint', (c) => c.notNull())
    // When its subtasks were last read whole; null: never (they are read from the platform until then).
    .addColumn('subtasks_synced_at', 'bigint')
    // The task's status when they were read: read once more after the task ends.
    .addColumn('subtasks_status', 'varchar(16)')
    // How many were read: a page of them needs no count.
    .addColumn('subtasks_total', 'integer')
    .execute();
  await db.schema.createIndex('mirror_operations_created').on('mirror_operations').columns(['created_at', 'id']).execute();
  await db.schema
    .createTable('mirror_operation_devices')
    .addColumn('operation_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(256)', (c) => c.notNull())
    .addPrimaryKeyConstraint('mirror_operation_devices_pk', ['operation_id', 'device_id'])
    .execute();
  await db.schema.createIndex('mirror_operation_devices_device').on('mirror_operation_devices').column('device_id').execute();

  await db.schema
    .createTable('mirror_subtasks')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('operation_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('device_id', 'varchar(256)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('step', 'varchar(16)')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mirror_subtasks_operation').on('mirror_subtasks').columns(['operation_id', 'position']).execute();
  await db.schema.createIndex('mirror_subtasks_device').on('mirror_subtasks').columns(['device_id', 'operation_id']).execute();

  await db.schema
    .createTable('mirror_packages')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('uploaded_at', 'bigint')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'bigint', (c) => c.notNull())
    .addColumn('sync_round', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mirror_groups')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'bigint', (c) => c.notNull())
    .addColumn('sync_round', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('mirror_group_members')
    .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('device_id', 'varchar(256)', (c) => c.notNull())
    .addPrimaryKeyConstraint('mirror_group_members_pk', ['group_id', 'device_id'])
    .execute();

  await db.schema
    .createTable('mirror_batch_tasks')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'bigint', (c) => c.notNull())
    .execute();

  // Sync progress and notification counters, so that a restart resumes where it stood.
  await db.schema
    .createTable('mirror_meta')
    .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['mirror_meta', 'mirror_batch_tasks', 'mirror_group_members', 'mirror_groups', 'mirror_packages', 'mirror_subtasks', 'mirror_operation_devices', 'mirror_operations', 'mirror_devices']) {
    await db.schema.dropTable(table).execute();
  }
}
