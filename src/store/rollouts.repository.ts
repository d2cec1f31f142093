/**
 * Rollouts as the orchestrator keeps them: the rollout, its waves (with the devices each was given) and each wave's
 * platform tasks. State changes are conditional updates, so an operator's pause and the orchestrator's next step
 * never overwrite each other.
 */
import type { Selectable, Transaction } from 'kysely';
import type { ListWindow, Page } from '../domain/values.js';
import type { NewRollout, Rollout, RolloutState, RolloutTask, RolloutWave, WaveChange, WaveState } from '../domain/rollouts.js';
import type { OperationPolicy, OperationType } from '../domain/upgrade-tasks.js';
import type { MaintenanceWindow } from '../domain/maintenance-windows.js';
import type { RolloutTable, RolloutTaskTable, RolloutWaveTable, StoreDb, StoreSchema } from './schema.js';

const ids = (json: string): string[] => JSON.parse(json) as string[];

export class RolloutRepository {
  constructor(private readonly db: StoreDb) {}

  /** `also`: what else the rollout's creation writes, in the same transaction (a continuous rollout's group). */
  async insert(rollout: NewRollout, also?: (tx: Transaction<StoreSchema>) => Promise<void>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('rollouts')
        .values({
          id: rollout.id,
          client: rollout.client,
          name: rollout.name,
          type: rollout.type,
          file_id: rollout.fileId,
          target_version: rollout.targetVersion,
          state: 'RUNNING',
          halt_reason: null,
          soak_minutes: rollout.soakMinutes,
          threshold_percent: rollout.threshold?.percent ?? null,
          threshold_min_finished: rollout.threshold?.minFinished ?? null,
          policy: JSON.stringify(rollout.policy),
          total: rollout.total,
          source_operation_id: rollout.sourceOperationId,
          start_at: rollout.startAt,
          maintenance_windows: rollout.maintenanceWindows.length > 0 ? JSON.stringify(rollout.maintenanceWindows) : null,
          created_at: rollout.createdAt,
          updated_at: rollout.createdAt,
        })
        .execute();
      for (const [index, wave] of rollout.waves.entries()) {
        await tx
          .insertInto('rollout_waves')
          .values({ rollout_id: rollout.id, wave_index: index, state: 'PENDING', device_ids: JSON.stringify(wave.deviceIds), size: wave.deviceIds.length, started_at: null, finished_at: null, soak_until: null })
          .execute();
      }
      await also?.(tx);
    });
  }

  async find(id: string): Promise<Rollout | undefined> {
    return (await this.findMany([id])).get(id);
  }

  async findMany(rolloutIds: readonly string[]): Promise<Map<string, Rollout>> {
    const found = new Map<string, Rollout>();
    if (rolloutIds.length === 0) return found;
    const rows = await this.db.selectFrom('rollouts').selectAll().where('id', 'in', [...rolloutIds]).execute();
    const [waves, tasks] = await Promise.all([
      this.db.selectFrom('rollout_waves').selectAll().where('rollout_id', 'in', [...rolloutIds]).orderBy('rollout_id').orderBy('wave_index').execute(),
      this.db.selectFrom('rollout_tasks').selectAll().where('rollout_id', 'in', [...rolloutIds]).orderBy('rollout_id').orderBy('wave_index').orderBy('part').execute(),
    ]);
    for (const row of rows) found.set(row.id, rolloutOf(row));
    for (const wave of waves) found.get(wave.rollout_id)?.waves.push(waveOf(wave));
    for (const task of tasks) found.get(task.rollout_id)?.waves[task.wave_index]?.tasks.push(taskOf(task));
    return found;
  }

  /** Newest first. */
  async list(state: RolloutState | undefined, window: ListWindow): Promise<Page<Rollout>> {
    let base = this.db.selectFrom('rollouts');
    if (state) base = base.where('state', '=', state);
    const [total, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      base.select('id').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(window.count).offset(window.start).execute(),
    ]);
    const found = await this.findMany(rows.map((r) => r.id));
    return { totalCount: Number(total.n), items: rows.map((r) => found.get(r.id)).filter((r) => r !== undefined) };
  }

  /** Rollouts the orchestrator still has work for (a paused or halted one may have a wave to see to its end). */
  async unfinishedIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('rollouts').select('id').where('state', 'in', ['RUNNING', 'PAUSED', 'HALTED']).orderBy('created_at').execute();
    return rows.map((r) => r.id);
  }

  /**
   * Moves the rollout to `to` if it is in one of `from`, in one conditional update (of two racing callers exactly one
   * moves it): the rollout as this update left it (without its waves), or undefined when it was not in `from`.
   */
  async transition(id: string, from: readonly RolloutState[], to: RolloutState, at: number, change: { haltReason?: string | null; thresholdBase?: { failed: number; finished: number } } = {}): Promise<Rollout | undefined> {
    const row = await this.db
      .updateTable('rollouts')
      .set({
        state: to,
        updated_at: at,
        ...(change.haltReason !== undefined ? { halt_reason: change.haltReason } : {}),
        ...(change.thresholdBase ? { threshold_base_failed: change.thresholdBase.failed, threshold_base_finished: change.thresholdBase.finished } : {}),
      })
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .returningAll()
      .executeTakeFirst();
    return row && rolloutOf(row);
  }

  /** Changes a wave if it is in `from`; the rollout's updatedAt moves with it. */
  async changeWave(id: string, index: number, from: WaveState, change: WaveChange, at: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('rollout_waves')
        .set({
          ...(change.state ? { state: change.state } : {}),
          ...(change.startedAt !== undefined ? { started_at: change.startedAt } : {}),
          ...(change.finishedAt !== undefined ? { finished_at: change.finishedAt } : {}),
          ...(change.soakUntil !== undefined ? { soak_until: change.soakUntil } : {}),
        })
        .where('rollout_id', '=', id)
        .where('wave_index', '=', index)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await tx.updateTable('rollouts').set({ updated_at: at }).where('id', '=', id).execute();
      return true;
    });
  }

  /** The waves not started yet are skipped (a cancelled rollout). */
  async skipPendingWaves(id: string): Promise<void> {
    await this.db.updateTable('rollout_waves').set({ state: 'SKIPPED' }).where('rollout_id', '=', id).where('state', '=', 'PENDING').execute();
  }

  /** A wave's tasks as planned when it starts (kept: a restart creates exactly these, no others). */
  async planTasks(id: string, index: number, parts: readonly string[][]): Promise<void> {
    if (parts.length === 0) return;
    await this.db
      .insertInto('rollout_tasks')
      .values(parts.map((deviceIds, part) => ({ rollout_id: id, wave_index: index, part, device_ids: JSON.stringify(deviceIds), operation_id: null, created_at: null, window_start: null, window_end: null, cut_devices: null, continues_part: null })))
      .onConflict((oc) => oc.columns(['rollout_id', 'wave_index', 'part']).doNothing())
      .execute();
  }

  async taskCreated(id: string, index: number, part: number, operationId: string, at: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('rollout_tasks').set({ operation_id: operationId, created_at: at }).where('rollout_id', '=', id).where('wave_index', '=', index).where('part', '=', part).execute();
      await tx.updateTable('rollouts').set({ updated_at: at }).where('id', '=', id).execute();
    });
  }
}

function rolloutOf(row: Selectable<RolloutTable>): Rollout {
  return {
    id: row.id,
    client: row.client,
    name: row.name,
    type: row.type as OperationType,
    fileId: row.file_id,
    targetVersion: row.target_version,
    state: row.state as RolloutState,
    haltReason: row.halt_reason,
    soakMinutes: Number(row.soak_minutes),
    threshold: row.threshold_percent === null ? null : { percent: Number(row.threshold_percent), minFinished: Number(row.threshold_min_finished ?? 1) },
    thresholdBase: { failed: Number(row.threshold_base_failed), finished: Number(row.threshold_base_finished) },
    policy: JSON.parse(row.policy) as OperationPolicy,
    total: Number(row.total),
    sourceOperationId: row.source_operation_id,
    startAt: row.start_at === null ? null : Number(row.start_at),
    maintenanceWindows: row.maintenance_windows === null ? [] : (JSON.parse(row.maintenance_windows) as MaintenanceWindow[]),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    waves: [],
  };
}

function waveOf(row: Selectable<RolloutWaveTable>): RolloutWave {
  const time = (value: number | null) => (value === null ? null : Number(value));
  return {
    index: Number(row.wave_index),
    size: Number(row.size),
    state: row.state as WaveState,
    deviceIds: ids(row.device_ids),
    startedAt: time(row.started_at),
    finishedAt: time(row.finished_at),
    soakUntil: time(row.soak_until),
    tasks: [],
  };
}

function taskOf(row: Selectable<RolloutTaskTable>): RolloutTask {
  const num = (value: number | null) => (value === null ? null : Number(value));
  return {
    part: Number(row.part),
    deviceIds: ids(row.device_ids),
    operationId: row.operation_id,
    windowStart: num(row.window_start),
    windowEnd: num(row.window_end),
    cutDevices: num(row.cut_devices),
    continuesPart: num(row.continues_part),
  };
}
