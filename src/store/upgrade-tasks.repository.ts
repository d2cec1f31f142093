import { sql } from 'kysely';
import type { ListWindow, Page } from '../domain/values.js';
import type { Operation, OperationFilter, Subtask, SubtaskNotice, SubtaskStatus, UpgradeStep } from '../domain/upgrade-tasks.js';
import { chunks, iso, revive, time, type Mirrored } from './mirrored.js';
import type { StoreDb, StoreSchema } from './schema.js';
import type { ExpressionBuilder } from 'kysely';

export type MirroredSubtask = Mirrored<Subtask> & { step: UpgradeStep | null };
export type SubtaskPage = Page<MirroredSubtask>;

const ENDED_SUBTASK: readonly string[] = ['SUCCESS', 'FAILED', 'STOPPED', 'TIMEOUT'];
/** Waiting, running, ended: a subtask's state only moves up this scale. */
const subtaskRank = (status: string) => (ENDED_SUBTASK.includes(status) ? 2 : status === 'PROCESSING' ? 1 : 0);
const STEPS: readonly UpgradeStep[] = ['IDLE', 'DOWNLOADING', 'DOWNLOADED', 'UPDATING'];

/**
 * The mirrored upgrade tasks and their subtasks. Writes keep the newest state (by when it was learned); a subtask's
 * state only moves forward, so a late or repeated notice never undoes a newer one.
 */
export class UpgradeTasksRepository {
  constructor(private readonly db: StoreDb) {}

  async putOperations(operations: readonly Operation[], syncedAt: number, round: number): Promise<void> {
    if (operations.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const chunk of chunks([...operations], 200)) {
        await tx
          .insertInto('mirror_operations')
          .values(chunk.map((o) => operationRow(o, syncedAt, round)))
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) => ({
                type: eb.ref('excluded.type'),
                status: eb.ref('excluded.status'),
                device_type: eb.ref('excluded.device_type'),
                model: eb.ref('excluded.model'),
                manufacturer_name: eb.ref('excluded.manufacturer_name'),
                created_at: eb.ref('excluded.created_at'),
                data: eb.ref('excluded.data'),
                synced_at: eb.ref('excluded.synced_at'),
                sync_round: eb.ref('excluded.sync_round'),
              }))
              .where('mirror_operations.synced_at', '<=', (eb) => eb.ref('excluded.synced_at')),
          )
          .execute();
        const targets = chunk.flatMap((o) => [...new Set(o.targets.deviceIds)].map((device_id) => ({ operation_id: o.id, device_id })));
        for (const part of chunks(targets, 500)) {
          await tx.insertInto('mirror_operation_devices').values(part).onConflict((oc) => oc.columns(['operation_id', 'device_id']).doNothing()).execute();
        }
      }
    });
  }

  async putOperation(operation: Operation, at: number): Promise<void> {
    const round = (await this.db.selectFrom('mirror_operations').select('sync_round').where('id', '=', operation.id).executeTakeFirst())?.sync_round ?? 0;
    await this.putOperations([operation], at, round);
  }

  /** After a complete pass over the platform's tasks: those it no longer lists are gone, with their subtasks. */
  async dropOperationsBefore(round: number, startedAt: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const gone = (eb: ExpressionBuilder<StoreSchema, 'mirror_operations'>) => eb.and([eb('sync_round', '<', round), eb('synced_at', '<', startedAt)]);
      const ids = tx.selectFrom('mirror_operations').select('id').where(gone);
      await tx.deleteFrom('mirror_subtasks').where('operation_id', 'in', ids).execute();
      await tx.deleteFrom('mirror_operation_devices').where('operation_id', 'in', ids).execute();
      const dropped = await tx.deleteFrom('mirror_operations').where(gone).executeTakeFirst();
      return Number(dropped.numDeletedRows);
    });
  }

  async operation(id: string): Promise<Mirrored<Operation> | undefined> {
    const row = await this.db.selectFrom('mirror_operations').select(['data', 'synced_at']).where('id', '=', id).executeTakeFirst();
    return row && revive<Operation>(row);
  }

  /** Many tasks in one read; those the mirror does not hold are missing from the map. */
  async operationsById(ids: readonly string[]): Promise<Map<string, Mirrored<Operation>>> {
    const found = new Map<string, Mirrored<Operation>>();
    for (const chunk of chunks([...new Set(ids)], 500)) {
      const rows = await this.db.selectFrom('mirror_operations').select(['id', 'data', 'synced_at']).where('id', 'in', chunk).execute();
      for (const row of rows) found.set(row.id, revive<Operation>(row));
    }
    return found;
  }

  /** Newest first, as the platform lists them. */
  async operations(filter: OperationFilter, window: ListWindow): Promise<Page<Mirrored<Operation>>> {
    const where = (eb: ExpressionBuilder<StoreSchema, 'mirror_operations'>) => {
      const conditions = [];
      if (filter.type) conditions.push(eb('type', '=', filter.type));
      if (filter.status) conditions.push(eb('status', '=', filter.status));
      if (filter.deviceType) conditions.push(eb('device_type', '=', filter.deviceType));
      if (filter.model) conditions.push(eb('model', '=', filter.model));
      if (filter.manufacturerName) conditions.push(eb('manufacturer_name', '=', filter.manufacturerName));
      if (filter.deviceId) {
        conditions.push(eb('id', 'in', eb.selectFrom('mirror_operation_devices').select('operation_id').where('device_id', '=', filter.deviceId)));
      }
      return eb.and(conditions);
    };
    const [total, rows] = await Promise.all([
      this.db.selectFrom('mirror_operations').select((eb) => eb.fn.countAll<number | string>().as('n')).where(where).executeTakeFirstOrThrow(),
      this.db.selectFrom('mirror_operations').select(['data', 'synced_at']).where(where).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => revive<Operation>(r)) };
  }

  /**
   * Tasks whose subtasks must be read (again), newest first: never read, ended since they were read, and with
   * `runningReadBefore`, tasks still running whose subtasks were read before then.
   */
  async operationsToFollow(limit: number, runningReadBefore?: number): Promise<{ id: string; status: string; subtasksSyncedAt: number | null }[]> {
    const RUNNING = ['WAIT', 'PROCESSING'];
    const rows = await this.db
      .selectFrom('mirror_operations')
      .select(['id', 'status', 'subtasks_synced_at'])
      .where((eb) =>
        eb.or([
          eb('subtasks_synced_at', 'is', null),
          eb.and([eb('subtasks_status', 'in', RUNNING), eb('status', 'not in', RUNNING)]),
          ...(runningReadBefore === undefined ? [] : [eb.and([eb('status', 'in', RUNNING), eb('subtasks_synced_at', '<', runningReadBefore)])]),
        ]),
      )
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, status: r.status, subtasksSyncedAt: r.subtasks_synced_at }));
  }

  /**
   * The whole list of a task's subtasks, as read by a call sent at `sentAt`. A subtask that a notification moved
   * further after the call was sent keeps what the notification said: the read may have been answered before.
   */
  async putSubtasks(operationId: string, subtasks: readonly Subtask[], sentAt: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const known = new Map((await tx.selectFrom('mirror_subtasks').select(['id', 'status', 'step', 'data', 'synced_at']).where('operation_id', '=', operationId).execute()).map((r) => [r.id, r]));
      await tx.deleteFrom('mirror_subtasks').where('operation_id', '=', operationId).execute();
      const rows = subtasks.map((s, position) => {
        const row = { id: s.id, operation_id: operationId, position, device_id: s.deviceId };
        const before = known.get(s.id);
        // Further along by a notice taken after the read was sent; a read's ended status stands (it tells a
        // timeout from a failure, which a result notice does not).
        if (before && Number(before.synced_at) > sentAt && subtaskRank(before.status) > subtaskRank(s.status)) return { ...row, status: before.status, step: before.step, data: before.data, synced_at: before.synced_at };
        return { ...row, status: s.status, step: ENDED_SUBTASK.includes(s.status) ? null : (before?.step ?? null), data: JSON.stringify(s), synced_at: sentAt };
      });
      for (const chunk of chunks(rows, 200)) await tx.insertInto('mirror_subtasks').values(chunk).execute();
      await tx
        .updateTable('mirror_operations')
        .set((eb) => ({ subtasks_synced_at: sentAt, subtasks_status: eb.ref('status'), subtasks_total: subtasks.length }))
        .where('id', '=', operationId)
        .execute();
    });
  }

  /** A task's subtasks in the platform's order; undefined while the mirror has not read them. */
  async subtasks(operationId: string, status: SubtaskStatus | undefined, window: ListWindow): Promise<SubtaskPage | undefined> {
    return (await this.subtaskPages([operationId], status, window)).get(operationId);
  }

  /**
   * The same window of many tasks' subtasks in two statements (a dashboard's twenty tasks, say); tasks whose
   * subtasks the mirror has not read are missing from the map.
   */
  async subtaskPages(operationIds: readonly string[], status: SubtaskStatus | undefined, window: ListWindow): Promise<Map<string, SubtaskPage>> {
    const pages = new Map<string, SubtaskPage>();
    if (operationIds.length === 0) return pages;
    const read = await this.db.selectFrom('mirror_operations').select(['id', 'subtasks_total']).where('id', 'in', [...operationIds]).where('subtasks_synced_at', 'is not', null).execute();
    const synced = read.map((r) => r.id);
    if (synced.length === 0) return pages;
    if (status !== undefined) {
      // A status filter leaves gaps in the positions: each task on its own.
      for (const id of synced) pages.set(id, await this.filteredSubtasks(id, status, window));
      return pages;
    }
    // Positions run 0..n-1 in the platform's order, so a window is a range of them.
    const rows = await this.db
      .selectFrom('mirror_subtasks')
      .select(['operation_id', 'data', 'synced_at', 'step'])
      .where('operation_id', 'in', synced)
      .where('position', '>=', window.start)
      .where('position', '<', window.start + window.count)
      .orderBy('operation_id')
      .orderBy('position')
      .execute();
    for (const { id, subtasks_total } of read) pages.set(id, { totalCount: Number(subtasks_total ?? 0), items: [] });
    for (const row of rows) pages.get(row.operation_id)?.items.push({ ...revive<Subtask>(row), step: row.step as UpgradeStep | null });
    return pages;
  }

  /** One subtask as the mirror has it (another replica's change, read again). */
  async subtask(operationId: string, subtaskId: string): Promise<(Mirrored<Subtask> & { step: UpgradeStep | null }) | undefined> {
    const row = await this.db.selectFrom('mirror_subtasks').select(['data', 'synced_at', 'step']).where('operation_id', '=', operationId).where('id', '=', subtaskId).executeTakeFirst();
    return row && { ...revive<Subtask>(row), step: row.step as UpgradeStep | null };
  }

  private async filteredSubtasks(operationId: string, status: SubtaskStatus, window: ListWindow): Promise<SubtaskPage> {
    const base = this.db.selectFrom('mirror_subtasks').where('operation_id', '=', operationId).where('status', '=', status);
    // The page and the count in one statement; a page past the end has no row to carry the count.
    const rows = await base
      .select(['data', 'synced_at', 'step', sql<number | string>`count(*) over ()`.as('total')])
      .orderBy('position')
      .limit(window.count)
      .offset(window.start)
      .execute();
    const total = rows[0] ? Number(rows[0].total) : Number((await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
    return { totalCount: total, items: rows.map((r) => ({ ...revive<Subtask>(r), step: r.step as UpgradeStep | null })) };
  }

  /**
   * A subtask's status or step from a notification, applied from the notice alone: a subtask the mirror does not hold
   * yet is stored from it (and one held under its device, before its id was known, takes the id). A state only moves
   * forward (waiting, running, ended; steps in order), so a late or repeated notice changes nothing. Returns the
   * subtask when something changed, and whether it is new to the mirror.
   */
  async applySubtask(change: SubtaskNotice, at: number): Promise<{ subtask: MirroredSubtask; added: boolean } | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('mirror_subtasks')
        .select(['id', 'status', 'step', 'data'])
        .where('operation_id', '=', change.operationId)
        .where((eb) => eb.or([eb('id', '=', change.subtaskId), eb('device_id', '=', change.deviceId)]))
        .orderBy(sql`case when id = ${change.subtaskId} then 0 else 1 end`)
        .executeTakeFirst();
      const before = row ?? { id: change.subtaskId, status: 'WAIT', step: null, data: JSON.stringify(noticedSubtask(change)) };
      const { status, step } = advanced(before, change);
      const renamed = before.id !== change.subtaskId;
      if (row && !renamed && status === row.status && step === row.step) return undefined;
      const data: Subtask = {
        ...(JSON.parse(before.data) as Subtask),
        id: change.subtaskId,
        status: status as SubtaskStatus,
        ...(change.detail && status !== before.status ? { detail: change.detail } : {}),
      };
      const values = { id: change.subtaskId, status, step, data: JSON.stringify(data), synced_at: at };
      if (row) {
        await tx.updateTable('mirror_subtasks').set(values).where('id', '=', row.id).execute();
      } else {
        const last = await tx.selectFrom('mirror_subtasks').select((eb) => eb.fn.max('position').as('p')).where('operation_id', '=', change.operationId).executeTakeFirst();
        const position = last?.p === null || last?.p === undefined ? 0 : Number(last.p) + 1;
        await tx.insertInto('mirror_subtasks').values({ ...values, operation_id: change.operationId, position, device_id: change.deviceId }).execute();
      }
      return { subtask: { ...data, syncedAt: iso(at), step: step as UpgradeStep | null }, added: !row };
    });
  }

  /**
   * A task the gateway has just created, before any read: stored with a waiting subtask per target device (its id
   * comes with the device's first notice, or a read), so that its notifications apply from the first one. What a
   * poll or a notice stored first is kept; the task's subtasks are then held as they are.
   */
  async putCreated(operation: Operation, at: number): Promise<void> {
    const devices = [...new Set(operation.targets.deviceIds)];
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('mirror_operations').values(operationRow(operation, at, 0)).onConflict((oc) => oc.column('id').doNothing()).execute();
      for (const part of chunks(devices.map((device_id) => ({ operation_id: operation.id, device_id })), 500)) {
        await tx.insertInto('mirror_operation_devices').values(part).onConflict((oc) => oc.columns(['operation_id', 'device_id']).doNothing()).execute();
      }
      const held = await tx.selectFrom('mirror_operations').select('subtasks_synced_at').where('id', '=', operation.id).executeTakeFirstOrThrow();
      if (held.subtasks_synced_at !== null) return;
      const noticed = new Map((await tx.selectFrom('mirror_subtasks').select(['id', 'device_id']).where('operation_id', '=', operation.id).execute()).map((r) => [r.device_id, r.id]));
      const placeholders = [];
      for (const [position, deviceId] of devices.entries()) {
        const id = noticed.get(deviceId);
        if (id !== undefined) {
          await tx.updateTable('mirror_subtasks').set({ position }).where('id', '=', id).execute();
          continue;
        }
        const subtask: Subtask = { id: `${operation.id}:${deviceId}`, operationId: operation.id, type: operation.type, status: 'WAIT', deviceId, createdAt: operation.createdAt };
        placeholders.push({ id: subtask.id, operation_id: operation.id, position, device_id: deviceId, status: 'WAIT', step: null, data: JSON.stringify(subtask), synced_at: at });
      }
      for (const chunk of chunks(placeholders, 200)) await tx.insertInto('mirror_subtasks').values(chunk).execute();
      await tx.updateTable('mirror_operations').set({ subtasks_synced_at: at, subtasks_status: 'WAIT', subtasks_total: devices.length }).where('id', '=', operation.id).execute();
    });
  }

  /**
   * Holds a task's subtasks once notifications have brought every one of them (as many as its stats count): lists
   * are then answered from the mirror with no read. True when they are held (now or before).
   */
  async holdIfComplete(operationId: string, at: number): Promise<boolean> {
    const operation = await this.db.selectFrom('mirror_operations').select(['data', 'status', 'subtasks_synced_at']).where('id', '=', operationId).executeTakeFirst();
    if (!operation) return false;
    if (operation.subtasks_synced_at !== null) return true;
    const total = (JSON.parse(operation.data) as Operation).stats.total;
    const held = await this.db.selectFrom('mirror_subtasks').select((eb) => eb.fn.countAll<number | string>().as('n')).where('operation_id', '=', operationId).executeTakeFirstOrThrow();
    if (total === 0 || Number(held.n) !== total) return false;
    await this.db.updateTable('mirror_operations').set({ subtasks_synced_at: at, subtasks_status: operation.status, subtasks_total: total }).where('id', '=', operationId).execute();
    return true;
  }

  /** Counts of a task's mirrored subtasks by status (its stats, as notifications move them). */
  async subtaskCounts(operationId: string): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('mirror_subtasks').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).where('operation_id', '=', operationId).groupBy('status').execute();
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }
}

function operationRow(o: Operation, syncedAt: number, round: number) {
  return {
    id: o.id,
    type: o.type,
    status: o.status,
    device_type: o.targets.deviceType ?? null,
    model: o.targets.model ?? null,
    manufacturer_name: o.targets.manufacturerName ?? null,
    created_at: time(o.createdAt),
    data: JSON.stringify(o),
    synced_at: syncedAt,
    sync_round: round,
    subtasks_synced_at: null,
    subtasks_status: null,
    subtasks_total: null,
  };
}

/** A subtask as its first notice tells of it. */
function noticedSubtask(change: SubtaskNotice): Subtask {
  return { id: change.subtaskId, operationId: change.operationId, type: change.type, status: 'WAIT', deviceId: change.deviceId };
}

/** Where a notice moves a subtask: forward only. */
function advanced(row: { status: string; step: string | null }, change: SubtaskNotice): { status: string; step: string | null } {
  let { status, step } = row;
  if (change.status && subtaskRank(change.status) > subtaskRank(status)) status = change.status;
  if (change.step && subtaskRank(status) < 2 && STEPS.indexOf(change.step) >= STEPS.indexOf((step ?? 'IDLE') as UpgradeStep)) {
    step = change.step;
    if (subtaskRank(status) === 0 && change.step !== 'IDLE') status = 'PROCESSING';
  }
  if (subtaskRank(status) === 2) step = null;
  return { status, step };
}
