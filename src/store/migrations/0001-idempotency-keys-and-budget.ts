import type { Kysely } from 'kysely';

// Migrations see the database as it was then, not as the code's current schema types describe it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('client', 'varchar(64)', (c) => c.notNull())
    .addColumn('key', 'varchar(256)', (c) => c.notNull())
    .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('result', 'varchar(256)')
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['client', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_result').unique().on('idempotency_keys').column('result').execute(); // NULLs never collide
  await db.schema.createIndex('idempotency_keys_expires').on('idempotency_keys').column('expires_at').execute();

  await db.schema
    .createTable('budget_calls')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('app', 'varchar(256)', (c) => c.notNull())
    .addColumn('client', 'varchar(64)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('budget_calls_app_at').on('budget_calls').columns(['app', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('budget_calls').execute();
  await db.schema.dropTable('idempotency_keys').execute();
}
