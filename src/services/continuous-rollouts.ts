/**
 * What makes a rollout continuous: once its waves have all finished, the devices that have come to match its dynamic
 * group since (new devices, devices changed to match, devices back online when the filter asks for ONLINE) are taken
 * in new waves by the rollout's own wave rules; its threshold goes on judging them all. Each device is taken once:
 * its claim and its wave are written in one transaction, keyed by rollout and device, so neither a restart nor
 * another replica takes it again, and each wave's tasks are created through the one exactly-once path (the
 * orchestrator's keys name the wave).
 */
import { followUpWaveSizes } from '../domain/dynamic-groups.js';
import { productMismatch } from '../domain/packages.js';
import { splitIntoWaves, type Rollout } from '../domain/rollouts.js';
import type { Device } from '../domain/devices.js';
import type { ContinuousRolloutsRepository } from '../store/continuous-rollouts.repository.js';
import type { DynamicGroupsRepository } from '../store/dynamic-groups.repository.js';
import type { Mirror } from '../sync/mirror.js';

/** The most devices one look considers (a rollout takes at most as many). */
const MAX_MATCHING = 100_000;

/** What became of a look: new waves appended, nothing new (the rollout waits on), or it follows no more (it may end). */
export type Followed = 'extended' | 'following' | 'ended';

export class ContinuousRollouts {
  /** The store's data version at each rollout's last look that found nothing new: until it moves, nothing can be. */
  readonly #lookedAt = new Map<string, string>();

  constructor(
    private readonly repo: ContinuousRolloutsRepository,
    private readonly groups: DynamicGroupsRepository,
    private readonly mirror: Mirror,
    /** The store's data version (undefined while another writer's commits cannot be known). */
    private readonly dataVersion: () => string | undefined,
  ) {}

  /** One look at a rollout whose waves have all finished. */
  async follow(rollout: Rollout): Promise<Followed> {
    const version = this.dataVersion();
    if (version !== undefined && this.#lookedAt.get(rollout.id) === version) return 'following';
    const followed = await this.look(rollout);
    if (followed === 'following' && version !== undefined) this.#lookedAt.set(rollout.id, version);
    else this.#lookedAt.delete(rollout.id);
    return followed;
  }

  private async look(rollout: Rollout): Promise<Followed> {
    const continuous = await this.repo.find(rollout.id);
    if (!continuous || continuous.stoppedAt !== null) return 'ended';
    const group = await this.groups.find(continuous.groupId);
    if (!group) return 'ended';
    // Before the mirror's first sync, "no device matches" would only mean "not read yet".
    if (!(await this.mirror.readyBy(Date.now()))) return 'following';
    const taken = await this.repo.takenIds(rollout.id);
    const fresh = (await this.mirror.repo.devices.fleetIds(group.filter, MAX_MATCHING)).filter((id) => !taken.has(id));
    if (fresh.length === 0) return 'following';
    const [pkg, devices] = await Promise.all([this.mirror.repo.packages.package(rollout.fileId), this.mirror.repo.devices.devices(fresh)]);
    // Left for a later look, not taken: a device of another product (the platform would refuse the task), or one that
    // already runs the package's version.
    const fit = fresh.filter((id) => {
      const device = devices.get(id);
      return device !== undefined && (!pkg || productMismatch(pkg, device).length === 0) && !runsTarget(rollout, device);
    });
    if (fit.length === 0) return 'following';
    const waves = splitIntoWaves(fit, followUpWaveSizes(fit.length, continuous.waves));
    return (await this.repo.appendWaves(rollout.id, rollout.waves.length, waves, Date.now())) > 0 ? 'extended' : 'following';
  }
}

function runsTarget(rollout: Rollout, device: Device): boolean {
  if (rollout.targetVersion === null) return false;
  return (rollout.type === 'FIRMWARE_UPGRADE' ? device.fwVersion : device.swVersion) === rollout.targetVersion;
}
