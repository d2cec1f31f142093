import type { Kysely } from 'kysely';

// The audit trail: one row per mutation call, and the ids each touched in a table of their own so that a filter on
// one id is an index read. Both are indexed by time: the retention sweep deletes a range of old rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('client', 'varchar(128)', (c) => c.notNull())
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('operation', 'varchar(128)', (c) => c.notNull())
    .addColumn('input_digest', 'varchar(64)', (c) => c.notNull())
    .addColumn('target_ids', 'text', (c) => c.notNull())
    .addColumn('outcome', 'varchar(8)', (c) => c.notNull())
    .addColumn('error_code', 'varchar(64)')
    .addColumn('replayed', 'integer', (c) => c.notNull())
    .addColumn('request_id', 'varchar(64)')
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();
  await db.schema.createIndex('audit_log_client_at').on('audit_log').columns(['client', 'at']).execute();
  await db.schema.createIndex('audit_log_operation_at').on('audit_log').columns(['operation', 'at']).execute();
  await db.schema
    .createTable('audit_targets')
    .addColumn('target_id', 'varchar(256)', (c) => c.notNull())
    .addColumn('audit_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_targets_pk', ['target_id', 'audit_id'])
    .execute();
  await db.schema.createIndex('audit_targets_at').on('audit_targets').columns(['at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_targets').execute();
  await db.schema.dropTable('audit_log').execute();
}
