/**
 * A scheduled rollout's tasks: the CUSTOM window each is given before its create (kept, so a retry of the create
 * sends the same input), and the judgement of a task its window's end cut: how many devices it left unfinished, and
 * the one task that continues them in a later window.
 */
import type { StoreDb } from './schema.js';

export class RolloutScheduleRepository {
  constructor(private readonly db: StoreDb) {}

  /** Gives a task not created yet its window (or takes it back: null), unless it has been created meanwhile. */
  async setTaskWindow(id: string, index: number, part: number, window: { start: number; end: number } | null): Promise<boolean> {
    const updated = await this.db
      .updateTable('rollout_tasks')
      .set({ window_start: window?.start ?? null, window_end: window?.end ?? null })
      .where('rollout_id', '=', id)
      .where('wave_index', '=', index)
      .where('part', '=', part)
      .where('operation_id', 'is', null)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /**
   * Records the devices the task's window cut and plans, in the same transaction, the task that continues them
   * (the wave's next part): once per task, whoever judges it first (a judged task is not judged again).
   */
  async judgeCut(id: string, index: number, part: number, cutDeviceIds: readonly string[], at: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const judged = await tx
        .updateTable('rollout_tasks')
        .set({ cut_devices: cutDeviceIds.length })
        .where('rollout_id', '=', id)
        .where('wave_index', '=', index)
        .where('part', '=', part)
        .where('cut_devices', 'is', null)
        .executeTakeFirst();
      if (Number(judged.numUpdatedRows) !== 1) return false;
      if (cutDeviceIds.length > 0) {
        const last = await tx.selectFrom('rollout_tasks').select((eb) => eb.fn.max('part').as('p')).where('rollout_id', '=', id).where('wave_index', '=', index).executeTakeFirstOrThrow();
        await tx
          .insertInto('rollout_tasks')
          .values({
            rollout_id: id,
            wave_index: index,
            part: Number(last.p) + 1,
            device_ids: JSON.stringify(cutDeviceIds),
            operation_id: null,
            created_at: null,
            window_start: null,
            window_end: null,
            cut_devices: null,
            continues_part: part,
          })
          .execute();
      }
      await tx.updateTable('rollouts').set({ updated_at: at }).where('id', '=', id).execute();
      return true;
    });
  }
}
