import { sql, type Kysely } from 'kysely';

// A group's members are read after the mirror is READY (or on demand), apart from the group itself: when they were
// last read, null until then. Groups already mirrored were read with their members.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mirror_groups').addColumn('members_synced_at', 'bigint').execute();
  await sql`update mirror_groups set members_synced_at = synced_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mirror_groups').dropColumn('members_synced_at').execute();
}
