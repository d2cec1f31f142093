import type { MirrorCounts } from '../domain/health.js';
import type { StoreDb } from './schema.js';

/** Where the mirror's sync stands (cursor, rounds, the receiver's secret) and what the mirror holds. */
export class SyncStateRepository {
  constructor(private readonly db: StoreDb) {}

  async counts(): Promise<MirrorCounts> {
    const count = async (table: 'mirror_devices' | 'mirror_operations' | 'mirror_subtasks') =>
      Number((await this.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
    const [devices, operations, subtasks] = await Promise.all([count('mirror_devices'), count('mirror_operations'), count('mirror_subtasks')]);
    return { devices, operations, subtasks };
  }

  async meta(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('mirror_meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.insertInto('mirror_meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }

  /** The value kept under `key`, or `value` kept there now when there was none (replicas starting together agree). */
  async metaOrSet(key: string, value: string): Promise<string> {
    await this.db.insertInto('mirror_meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.meta(key)) ?? value;
  }

  async deleteMeta(key: string): Promise<void> {
    await this.db.deleteFrom('mirror_meta').where('key', '=', key).execute();
  }
}
