/**
 * Dynamic groups: the gateway's own saved filters (not mirrored: the platform knows nothing of them). A name is
 * unique regardless of case; the store's unique key decides between two callers racing for one.
 */
import type { Selectable } from 'kysely';
import type { DeviceFilter } from '../domain/devices.js';
import { nameKeyOf, type DynamicGroup } from '../domain/dynamic-groups.js';
import type { ListWindow, Page } from '../domain/values.js';
import { isUniqueViolation } from './idempotency.repository.js';
import type { DynamicGroupTable, StoreDb } from './schema.js';

export class DynamicGroupsRepository {
  constructor(private readonly db: StoreDb) {}

  /** False when another group has the name already. */
  async insert(group: DynamicGroup): Promise<boolean> {
    return nameFree(() =>
      this.db
        .insertInto('dynamic_groups')
        .values({ id: group.id, name: group.name, name_key: nameKeyOf(group.name), filter: JSON.stringify(group.filter), created_at: group.createdAt, updated_at: group.updatedAt })
        .execute(),
    );
  }

  /** The group as renamed; undefined when there is none, 'taken' when another group has the name. */
  async rename(id: string, name: string, at: number): Promise<DynamicGroup | 'taken' | undefined> {
    let row: Selectable<DynamicGroupTable> | undefined;
    const free = await nameFree(async () => {
      row = await this.db.updateTable('dynamic_groups').set({ name, name_key: nameKeyOf(name), updated_at: at }).where('id', '=', id).returningAll().executeTakeFirst();
    });
    if (!free) return 'taken';
    return row && groupOf(row);
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('dynamic_groups').where('id', '=', id).executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1;
  }

  async find(id: string): Promise<DynamicGroup | undefined> {
    const row = await this.db.selectFrom('dynamic_groups').selectAll().where('id', '=', id).executeTakeFirst();
    return row && groupOf(row);
  }

  /** By name, regardless of case. */
  async list(window: ListWindow): Promise<Page<DynamicGroup>> {
    const [total, rows] = await Promise.all([
      this.db.selectFrom('dynamic_groups').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      this.db.selectFrom('dynamic_groups').selectAll().orderBy('name_key').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map(groupOf) };
  }
}

/** Runs a write that may break the name's unique key: false when it did. */
async function nameFree(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

function groupOf(row: Selectable<DynamicGroupTable>): DynamicGroup {
  return { id: row.id, name: row.name, filter: JSON.parse(row.filter) as DeviceFilter, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}
