import { sql, type Kysely } from 'kysely';

// The call ledger counts calls per client and bucket (a 61st of the window: a second) instead of one row a call, each
// bucket counted until its latest call leaves the window: a take reads a few rows per client however many calls the
// window holds (a raised budget held tens of thousands). The calls in the window are kept.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('budget_buckets')
    .addColumn('app', 'varchar(256)', (c) => c.notNull())
    .addColumn('client', 'varchar(64)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addColumn('last', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('budget_buckets_pk', ['app', 'client', 'at'])
    .execute();
  await db.schema.createIndex('budget_buckets_app_last').on('budget_buckets').columns(['app', 'last']).execute();
  await sql`insert into budget_buckets (app, client, at, calls, last) select app, client, at / 1000 * 1000, count(*), max(at) from budget_calls group by app, client, at / 1000 * 1000`.execute(db);
  await db.schema.dropTable('budget_calls').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('budget_calls')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('app', 'varchar(256)', (c) => c.notNull())
    .addColumn('client', 'varchar(64)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('budget_calls_app_at').on('budget_calls').columns(['app', 'at']).execute();
  await db.schema.dropTable('budget_buckets').execute();
}
