/**
 * Continuous rollouts: the group each follows and its wave rules, and every device it has taken. A device is taken
 * by inserting its claim (primary key: rollout and device), in the same transaction as the wave that holds it: a
 * restart, or two replicas racing, can never put one device into two waves of a rollout.
 */
import type { Selectable, Transaction } from 'kysely';
import type { ContinuousRollout } from '../domain/dynamic-groups.js';
import type { WaveSpec } from '../domain/rollouts.js';
import { chunks } from './mirrored.js';
import type { ContinuousRolloutTable, StoreDb, StoreSchema } from './schema.js';

/** The rollout states in which a rollout may still take devices (once resumed, for a paused or halted one). */
const ACTIVE = ['RUNNING', 'PAUSED', 'HALTED'];

export class ContinuousRolloutsRepository {
  constructor(private readonly db: StoreDb) {}

  /** Within the rollout's own insert: it follows `groupId`, and the devices of its first waves are taken. */
  async insert(tx: Transaction<StoreSchema>, rollout: ContinuousRollout, waves: readonly { deviceIds: string[] }[]): Promise<void> {
    await tx.insertInto('continuous_rollouts').values({ rollout_id: rollout.rolloutId, group_id: rollout.groupId, waves: JSON.stringify(rollout.waves), stopped_at: rollout.stoppedAt }).execute();
    const claims = waves.flatMap((wave, index) => wave.deviceIds.map((deviceId) => ({ rollout_id: rollout.rolloutId, device_id: deviceId, wave_index: index })));
    for (const chunk of chunks(claims, 1000)) await tx.insertInto('continuous_rollout_devices').values(chunk).execute();
  }

  async find(rolloutId: string): Promise<ContinuousRollout | undefined> {
    return (await this.findMany([rolloutId])).get(rolloutId);
  }

  async findMany(rolloutIds: readonly string[]): Promise<Map<string, ContinuousRollout>> {
    const found = new Map<string, ContinuousRollout>();
    if (rolloutIds.length === 0) return found;
    const rows = await this.db.selectFrom('continuous_rollouts').selectAll().where('rollout_id', 'in', [...rolloutIds]).execute();
    for (const row of rows) found.set(row.rollout_id, continuousOf(row));
    return found;
  }

  /** It takes no further device; false when it had been stopped already. */
  async stop(rolloutId: string, at: number): Promise<boolean> {
    const updated = await this.db.updateTable('continuous_rollouts').set({ stopped_at: at }).where('rollout_id', '=', rolloutId).where('stopped_at', 'is', null).executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /** The devices the rollout has taken. */
  async takenIds(rolloutId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('continuous_rollout_devices').select('device_id').where('rollout_id', '=', rolloutId).execute();
    return new Set(rows.map((r) => r.device_id));
  }

  /** Whether a rollout that has not ended still follows the group (it then cannot be deleted). */
  async followed(groupId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('continuous_rollouts')
      .innerJoin('rollouts', 'rollouts.id', 'continuous_rollouts.rollout_id')
      .select('rollout_id')
      .where('group_id', '=', groupId)
      .where('stopped_at', 'is', null)
      .where('rollouts.state', 'in', ACTIVE)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Appends waves (from index `firstIndex`) of devices not taken before, in one transaction; a device another process
   * took meanwhile is left out, and a wave index already written (that process appended first) writes nothing.
   * Returns how many devices were taken.
   */
  async appendWaves(rolloutId: string, firstIndex: number, waves: readonly string[][], at: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const exists = await tx.selectFrom('rollout_waves').select('wave_index').where('rollout_id', '=', rolloutId).where('wave_index', '>=', firstIndex).executeTakeFirst();
      if (exists) return 0;
      let index = firstIndex;
      let taken = 0;
      for (const wave of waves) {
        const claimedIds = new Set<string>();
        for (const chunk of chunks(wave, 1000)) {
          const claimed = await tx
            .insertInto('continuous_rollout_devices')
            .values(chunk.map((deviceId) => ({ rollout_id: rolloutId, device_id: deviceId, wave_index: index })))
            .onConflict((oc) => oc.columns(['rollout_id', 'device_id']).doNothing())
            .returning('device_id')
            .execute();
          for (const row of claimed) claimedIds.add(row.device_id);
        }
        const deviceIds = wave.filter((id) => claimedIds.has(id));
        if (deviceIds.length === 0) continue;
        await tx
          .insertInto('rollout_waves')
          .values({ rollout_id: rolloutId, wave_index: index, state: 'PENDING', device_ids: JSON.stringify(deviceIds), size: deviceIds.length, started_at: null, finished_at: null, soak_until: null })
          .execute();
        index++;
        taken += deviceIds.length;
      }
      if (taken > 0) await tx.updateTable('rollouts').set((eb) => ({ total: eb('total', '+', taken), updated_at: at })).where('id', '=', rolloutId).execute();
      return taken;
    });
  }
}

function continuousOf(row: Selectable<ContinuousRolloutTable>): ContinuousRollout {
  return { rolloutId: row.rollout_id, groupId: row.group_id, waves: JSON.parse(row.waves) as WaveSpec[], stoppedAt: row.stopped_at === null ? null : Number(row.stopped_at) };
}
