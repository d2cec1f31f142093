import type { Kysely } from 'kysely';

// The platform's access token, shared by the replicas of one application: a login voids every earlier token, so
// they must hold one token between them. `sealed` is the token encrypted (AES-256-GCM) with a key derived from the
// application's secret, which the store never sees.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('platform_tokens')
    .addColumn('app', 'varchar(256)', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('platform_tokens').execute();
}
