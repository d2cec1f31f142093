/**
 * The fleet mirror's tables: what the platform told the gateway, by a read or a notification, kept as the gateway's
 * domain objects. Writes keep the newest state (by when it was learned); reads answer the same windows and filters
 * as the platform's lists, plus the fleet queries the platform cannot answer.
 */
import { sql, type ExpressionBuilder } from 'kysely';
import type { UpgradeStep, Operation, OperationFilter, Subtask, SubtaskStatus } from '../domain/upgrade-tasks.js';
import type { Page, ListWindow } from '../domain/values.js';
import type { UpgradePackage, UpgradePackageFilter, DeviceGroup } from '../domain/packages.js';
import type { BatchTask } from '../domain/batch-tasks.js';
import type { Device, DeviceFilter, DeviceOrder, DeviceStatus, FleetSummary } from '../domain/devices.js';
import type { MirrorCounts } from '../domain/mirror.js';
import type { StoreDb, StoreSchema } from './schema.js';

/** An object as the mirror holds it: the domain object and when the gateway learned its state. */
export type Mirrored<T> = T & { syncedAt: string };

export type SubtaskPage = Page<Mirrored<Subtask> & { step: UpgradeStep | null }>;


const time = (iso: string | undefined): number | null => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
};
/** Rows learned together share their time: a page of them formats it once. */
let lastTime = { ms: NaN, iso: '' };
const iso = (ms: number): string => {
  if (ms !== lastTime.ms) lastTime = { ms, iso: new Date(ms).toISOString() };
  return lastTime.iso;
};
function revive<T>(row: { data: string; synced_at: number }): Mirrored<T> {
  const object = JSON.parse(row.data) as Mirrored<T>;
  object.syncedAt = iso(row.synced_at);
  return object;
}
const ENDED_SUBTASK: readonly string[] = ['SUCCESS', 'FAILED', 'STOPPED', 'TIMEOUT'];
/** Waiting, running, ended: a subtask's state only moves up this scale. */
const subtaskRank = (status: string) => (ENDED_SUBTASK.includes(status) ? 2 : status === 'PROCESSING' ? 1 : 0);

export class MirrorRepository {
  constructor(private readonly db: StoreDb) {}

  // ---- devices ----

  /** Devices as read by a sync or a lookup; an older state never replaces a newer one. */
  async putDevices(devices: readonly Device[], syncedAt: number, round: number): Promise<void> {
    if (devices.length === 0) return;
    const rows = devices.map((d) => deviceRow(d, syncedAt, round));
    await this.db.transaction().execute(async (tx) => {
      for (const chunk of chunks(rows, 200)) {
        await tx
          .insertInto('mirror_devices')
          .values(chunk)
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) => ({
                name: eb.ref('excluded.name'),
                name_lower: eb.ref('excluded.name_lower'),
                gateway_id: eb.ref('excluded.gateway_id'),
                device_type: eb.ref('excluded.device_type'),
                model: eb.ref('excluded.model'),
                manufacturer_name: eb.ref('excluded.manufacturer_name'),
                protocol_type: eb.ref('excluded.protocol_type'),
                fw_version: eb.ref('excluded.fw_version'),
                sw_version: eb.ref('excluded.sw_version'),
                status: eb.ref('excluded.status'),
                created_at: eb.ref('excluded.created_at'),
                last_modified_at: eb.ref('excluded.last_modified_at'),
                data: eb.ref('excluded.data'),
                synced_at: eb.ref('excluded.synced_at'),
                sync_round: eb.ref('excluded.sync_round'),
              }))
              .where('mirror_devices.synced_at', '<=', (eb) => eb.ref('excluded.synced_at')),
          )
          .execute();
      }
    });
  }

  /** A device a notification reported: applied unless what the mirror holds was learned later. */
  async applyDevice(device: Device, at: number): Promise<boolean> {
    const existing = await this.db.selectFrom('mirror_devices').select(['synced_at', 'sync_round']).where('id', '=', device.id).executeTakeFirst();
    if (existing && existing.synced_at > at) return false;
    await this.putDevices([device], at, existing?.sync_round ?? 0);
    return true;
  }

  async deleteDevice(id: string): Promise<void> {
    await this.db.deleteFrom('mirror_devices').where('id', '=', id).execute();
    await this.db.deleteFrom('mirror_group_members').where('device_id', '=', id).execute();
  }

  /** After a complete pass over the platform's devices: those it no longer lists are gone. */
  async dropDevicesBefore(round: number, startedAt: number): Promise<number> {
    const dropped = await this.db.deleteFrom('mirror_devices').where('sync_round', '<', round).where('synced_at', '<', startedAt).executeTakeFirst();
    return Number(dropped.numDeletedRows);
  }

  async device(id: string): Promise<Mirrored<Device> | undefined> {
    const row = await this.db.selectFrom('mirror_devices').select(['data', 'synced_at']).where('id', '=', id).executeTakeFirst();
    return row && revive<Device>(row);
  }

  /** Many devices in one read (a dashboard's, say); those the mirror does not hold are missing from the map. */
  async devices(ids: readonly string[]): Promise<Map<string, Mirrored<Device>>> {
    const found = new Map<string, Mirrored<Device>>();
    for (const chunk of chunks([...new Set(ids)], 500)) {
      const rows = await this.db.selectFrom('mirror_devices').select(['id', 'data', 'synced_at']).where('id', 'in', chunk).execute();
      for (const row of rows) found.set(row.id, revive<Device>(row));
    }
    return found;
  }

  async fleet(filter: DeviceFilter, order: DeviceOrder, window: ListWindow): Promise<Page<Mirrored<Device>>> {
    const where = (eb: ExpressionBuilder<StoreSchema, 'mirror_devices'>) => deviceWhere(eb, filter);
    const [total, rows] = await Promise.all([
      this.db.selectFrom('mirror_devices').select((eb) => eb.fn.countAll<number | string>().as('n')).where(where).executeTakeFirstOrThrow(),
      this.db
        .selectFrom('mirror_devices')
        .select(['data', 'synced_at'])
        .where(where)
        .orderBy(order === 'NAME' ? 'name_lower' : order === 'CREATED_AT' ? 'created_at' : 'last_modified_at')
        .orderBy('id')
        .limit(window.count)
        .offset(window.start)
        .execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => revive<Device>(r)) };
  }

  /** The ids of the devices a filter matches, by name (at most `limit`). */
  async fleetIds(filter: DeviceFilter, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('mirror_devices').select('id').where((eb) => deviceWhere(eb, filter)).orderBy('name_lower').orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async fleetSummary(filter: DeviceFilter): Promise<FleetSummary> {
    const where = (eb: ExpressionBuilder<StoreSchema, 'mirror_devices'>) => deviceWhere(eb, filter);
    const online = sql<number | string>`sum(case when status = 'ONLINE' then 1 else 0 end)`;
    const countBy = (column: 'status' | 'fw_version' | 'sw_version' | 'device_type') =>
      this.db
        .selectFrom('mirror_devices')
        .select([sql<string | null>`${sql.ref(column)}`.as('key'), (eb) => eb.fn.countAll<number | string>().as('n'), online.as('online')])
        .where(where)
        .groupBy(column)
        .orderBy('n', 'desc')
        .orderBy(column)
        .execute();
    const [byStatus, byFw, bySw, byType] = await Promise.all([countBy('status'), countBy('fw_version'), countBy('sw_version'), countBy('device_type')]);
    const version = (rows: typeof byFw) => rows.map((r) => ({ version: r.key, count: Number(r.n), online: Number(r.online ?? 0) }));
    return {
      total: byStatus.reduce((sum, r) => sum + Number(r.n), 0),
      byStatus: byStatus.map((r) => ({ status: r.key as DeviceStatus | null, count: Number(r.n) })),
      byFwVersion: version(byFw),
      bySwVersion: version(bySw),
      byDeviceType: byType.map((r) => ({ key: r.key, count: Number(r.n) })),
    };
  }

  // ---- upgrade tasks and subtasks ----

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
   * A subtask's state from a notification. The state only moves forward (waiting, running, ended), so a late or
   * repeated notice never undoes a newer one. Returns the subtask as it now stands, when something changed.
   */
  async applySubtask(
    change: { operationId: string; subtaskId?: string; deviceId: string; status?: SubtaskStatus; step?: UpgradeStep; detail?: string },
    at: number,
  ): Promise<(Mirrored<Subtask> & { step: UpgradeStep | null }) | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('mirror_subtasks')
        .select(['id', 'status', 'step', 'data'])
        .where('operation_id', '=', change.operationId)
        .where((eb) => (change.subtaskId ? eb('id', '=', change.subtaskId) : eb('device_id', '=', change.deviceId)))
        .executeTakeFirst();
      if (!row) return undefined;
      let status = row.status;
      let step = row.step;
      if (change.status && subtaskRank(change.status) > subtaskRank(status)) status = change.status;
      if (change.step && subtaskRank(status) < 2 && STEPS.indexOf(change.step) >= STEPS.indexOf((step ?? 'IDLE') as UpgradeStep)) {
        step = change.step;
        if (subtaskRank(status) === 0 && change.step !== 'IDLE') status = 'PROCESSING';
      }
      if (subtaskRank(status) === 2) step = null;
      if (status === row.status && step === row.step) return undefined;
      const data: Subtask = { ...(JSON.parse(row.data) as Subtask), status: status as SubtaskStatus, ...(change.detail && status !== row.status ? { detail: change.detail } : {}) };
      await tx.updateTable('mirror_subtasks').set({ status, step, data: JSON.stringify(data), synced_at: at }).where('id', '=', row.id).execute();
      return { ...data, syncedAt: iso(at), step: step as UpgradeStep | null };
    });
  }

  /** Whether the mirror holds any of the task's subtasks (they have been read). */
  async holdsSubtasks(operationId: string): Promise<boolean> {
    return (await this.db.selectFrom('mirror_subtasks').select('id').where('operation_id', '=', operationId).limit(1).executeTakeFirst()) !== undefined;
  }

  /** Counts of a task's mirrored subtasks by status (its stats, as notifications move them). */
  async subtaskCounts(operationId: string): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('mirror_subtasks').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).where('operation_id', '=', operationId).groupBy('status').execute();
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }

  async putOperation(operation: Operation, at: number): Promise<void> {
    const round = (await this.db.selectFrom('mirror_operations').select('sync_round').where('id', '=', operation.id).executeTakeFirst())?.sync_round ?? 0;
    await this.putOperations([operation], at, round);
  }

  // ---- packages, groups, batch tasks ----

  async putPackages(packages: readonly UpgradePackage[], syncedAt: number, round: number): Promise<void> {
    if (packages.length === 0) return;
    await this.db
      .insertInto('mirror_packages')
      .values(packages.map((p) => ({ id: p.id, uploaded_at: time(p.uploadedAt), data: JSON.stringify(p), synced_at: syncedAt, sync_round: round })))
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ uploaded_at: eb.ref('excluded.uploaded_at'), data: eb.ref('excluded.data'), synced_at: eb.ref('excluded.synced_at'), sync_round: eb.ref('excluded.sync_round') })))
      .execute();
  }

  async dropPackagesBefore(round: number): Promise<void> {
    await this.db.deleteFrom('mirror_packages').where('sync_round', '<', round).execute();
  }

  async package(id: string): Promise<Mirrored<UpgradePackage> | undefined> {
    const row = await this.db.selectFrom('mirror_packages').select(['data', 'synced_at']).where('id', '=', id).executeTakeFirst();
    return row && revive<UpgradePackage>(row);
  }

  /** Newest first; filtered in memory (a few hundred packages at most). */
  async packages(filter: UpgradePackageFilter, window: ListWindow): Promise<Page<Mirrored<UpgradePackage>>> {
    const rows = await this.db.selectFrom('mirror_packages').select(['data', 'synced_at']).orderBy('uploaded_at', 'desc').orderBy('id', 'desc').execute();
    const matching = rows
      .map((r) => revive<UpgradePackage>(r))
      .filter(
        (p) =>
          (!filter.type || p.type === filter.type) &&
          (!filter.deviceType || p.deviceType === filter.deviceType) &&
          (!filter.model || p.model === filter.model) &&
          (!filter.manufacturerName || p.manufacturerName === filter.manufacturerName) &&
          (!filter.version || p.version === filter.version),
      );
    return { totalCount: matching.length, items: matching.slice(window.start, window.start + window.count) };
  }

  /** The groups as listed, with their members, replacing what was there. */
  /** One group as just read, with all its members (a sync holds one group's members at a time, not the fleet's). */
  async putGroup(group: DeviceGroup, position: number, memberIds: readonly string[], syncedAt: number, round: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('mirror_group_members').where('group_id', '=', group.id).execute();
      await tx
        .insertInto('mirror_groups')
        .values({ id: group.id, position, data: JSON.stringify(group), synced_at: syncedAt, sync_round: round })
        .onConflict((oc) => oc.column('id').doUpdateSet({ position, data: JSON.stringify(group), synced_at: syncedAt, sync_round: round }))
        .execute();
      const members = [...new Set(memberIds)];
      for (let start = 0; start < members.length; start += 500) {
        await tx
          .insertInto('mirror_group_members')
          .values(members.slice(start, start + 500).map((device_id, i) => ({ group_id: group.id, position: start + i, device_id })))
          .execute();
      }
    });
  }

  /** After a complete pass over the platform's groups: those it no longer lists are gone, with their members. */
  async dropGroupsBefore(round: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('mirror_group_members').where('group_id', 'in', tx.selectFrom('mirror_groups').select('id').where('sync_round', '<', round)).execute();
      await tx.deleteFrom('mirror_groups').where('sync_round', '<', round).execute();
    });
  }

  async groups(window: ListWindow): Promise<Page<Mirrored<DeviceGroup>>> {
    const [total, rows] = await Promise.all([
      this.db.selectFrom('mirror_groups').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      this.db.selectFrom('mirror_groups').select(['data', 'synced_at']).orderBy('position').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => revive<DeviceGroup>(r)) };
  }

  async groupMemberIds(groupId: string, window: ListWindow): Promise<Page<string> | undefined> {
    const group = await this.db.selectFrom('mirror_groups').select('id').where('id', '=', groupId).executeTakeFirst();
    if (!group) return undefined;
    const base = this.db.selectFrom('mirror_group_members').where('group_id', '=', groupId);
    const [total, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      base.select('device_id').orderBy('position').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => r.device_id) };
  }

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

  // ---- bookkeeping ----

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

const STEPS: readonly UpgradeStep[] = ['IDLE', 'DOWNLOADING', 'DOWNLOADED', 'UPDATING'];

function deviceRow(d: Device, syncedAt: number, round: number) {
  return {
    id: d.id,
    name: d.name ?? null,
    name_lower: d.name?.toLowerCase() ?? null,
    gateway_id: d.gatewayId ?? null,
    device_type: d.deviceType ?? null,
    model: d.model ?? null,
    manufacturer_name: d.manufacturerName ?? null,
    protocol_type: d.protocolType ?? null,
    fw_version: d.fwVersion ?? null,
    sw_version: d.swVersion ?? null,
    status: d.status ?? null,
    created_at: time(d.createdAt),
    last_modified_at: time(d.lastModifiedAt),
    data: JSON.stringify(d),
    synced_at: syncedAt,
    sync_round: round,
  };
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

function deviceWhere(eb: ExpressionBuilder<StoreSchema, 'mirror_devices'>, f: DeviceFilter) {
  const conditions = [];
  if (f.deviceType !== undefined) conditions.push(eb('device_type', '=', f.deviceType));
  if (f.model !== undefined) conditions.push(eb('model', '=', f.model));
  if (f.manufacturerName !== undefined) conditions.push(eb('manufacturer_name', '=', f.manufacturerName));
  if (f.protocolType !== undefined) conditions.push(eb('protocol_type', '=', f.protocolType));
  if (f.fwVersion !== undefined) conditions.push(eb('fw_version', '=', f.fwVersion));
  if (f.swVersion !== undefined) conditions.push(eb('sw_version', '=', f.swVersion));
  // "Not this version" includes devices that report none: they still have to be reached.
  if (f.fwVersionNot !== undefined) conditions.push(eb.or([eb('fw_version', '!=', f.fwVersionNot), eb('fw_version', 'is', null)]));
  if (f.swVersionNot !== undefined) conditions.push(eb.or([eb('sw_version', '!=', f.swVersionNot), eb('sw_version', 'is', null)]));
  if (f.status !== undefined) conditions.push(f.status.length === 0 ? sql<boolean>`1 = 0` : eb('status', 'in', f.status));
  if (f.gatewayId !== undefined) conditions.push(eb('gateway_id', '=', f.gatewayId));
  if (f.groupId !== undefined) conditions.push(eb('id', 'in', eb.selectFrom('mirror_group_members').select('device_id').where('group_id', '=', f.groupId)));
  if (f.nameContains !== undefined) {
    // A literal part of the name: LIKE's wildcards in it are escaped, with the escape character named for SQLite.
    const pattern = `%${f.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql<boolean>`${sql.ref('name_lower')} like ${pattern} escape '\\'`);
  }
  return eb.and(conditions);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
