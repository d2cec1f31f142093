import type { Kysely } from 'kysely';

// When a create left, on the platform's clock (the earliest it can have read then): a reconcile compares it with the
// platform's createTime. Null for keys written before (a reconcile of one leaves its outcome unknown).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('platform_sent_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('platform_sent_at').execute();
}
