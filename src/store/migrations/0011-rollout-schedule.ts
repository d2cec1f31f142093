import type { Kysely } from 'kysely';

// Rollouts' schedules: a start time and recurring maintenance windows (a JSON array). A wave's task created inside a
// window keeps the window it was given (window_start, window_end: the platform's clock); a task the window's end cut
// is continued, once, by a new task of its unfinished devices (continues_part) and counts them in cut_devices
// (null: not judged yet). One column a statement: SQLite adds no more at once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('rollouts').addColumn('start_at', 'bigint').execute();
  await db.schema.alterTable('rollouts').addColumn('maintenance_windows', 'text').execute();
  await db.schema.alterTable('rollout_tasks').addColumn('window_start', 'bigint').execute();
  await db.schema.alterTable('rollout_tasks').addColumn('window_end', 'bigint').execute();
  await db.schema.alterTable('rollout_tasks').addColumn('cut_devices', 'integer').execute();
  await db.schema.alterTable('rollout_tasks').addColumn('continues_part', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['continues_part', 'cut_devices', 'window_end', 'window_start']) await db.schema.alterTable('rollout_tasks').dropColumn(column).execute();
  for (const column of ['maintenance_windows', 'start_at']) await db.schema.alterTable('rollouts').dropColumn(column).execute();
}
