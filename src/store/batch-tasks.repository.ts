import type { BatchTask } from '../domain/batch-tasks.js';
import type { ListWindow, Page } from '../domain/values.js';
import { revive, type Mirrored } from './mirrored.js';
import type { StoreDb } from './schema.js';

/** Batch tasks the gateway created or read (the platform cannot list them). */
export class BatchTasksRepository {
  constructor(private readonly db: StoreDb) {}

  async putBatchTask(task: BatchTask, syncedAt: number): Promise<void> {
    await this.db
      .insertInto('mirror_batch_tasks')
      .values({ id: task.id, first_seen_at: syncedAt, data: JSON.stringify(task), synced_at: syncedAt })
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ data: eb.ref('excluded.data'), synced_at: eb.ref('excluded.synced_at') })).where('mirror_batch_tasks.synced_at', '<=', (eb) => eb.ref('excluded.synced_at')))
      .execute();
  }

  async batchTask(id: string): Promise<Mirrored<BatchTask> | undefined> {
    const row = await this.db.selectFrom('mirror_batch_tasks').select(['data', 'synced_at']).where('id', '=', id).executeTakeFirst();
    return row && revive<BatchTask>(row);
  }

  /** Those the gateway created or read, newest first. */
  async batchTasks(window: ListWindow): Promise<Page<Mirrored<BatchTask>>> {
    const [total, rows] = await Promise.all([
      this.db.selectFrom('mirror_batch_tasks').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      this.db.selectFrom('mirror_batch_tasks').select(['data', 'synced_at']).orderBy('first_seen_at', 'desc').orderBy('id', 'desc').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => revive<BatchTask>(r)) };
  }
}
