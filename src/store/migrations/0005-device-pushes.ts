import type { Kysely } from 'kysely';

// The notifications a device's mirrored state came from lately (digests and when they were taken): the platform
// re-sends a notification it got no answer for, and a push carries no time of its own, so a re-sent older one is
// told apart by having been applied before.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mirror_devices').addColumn('recent_pushes', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mirror_devices').dropColumn('recent_pushes').execute();
}
