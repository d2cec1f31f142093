/**
 * An operator's commands on rollouts: create (checked in full before anything is stored), pause, resume, cancel,
 * and retry a finished task's failed devices. The orchestrator does the rest.
 */
import { randomUUID } from 'node:crypto';
import { fingerprintOf, idSet, type Idempotency } from './exactly-once.js';
import { hasEnded, type OperationPolicy, type OperationType, type SubtaskStatus } from '../domain/upgrade-tasks.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { Mirror } from '../sync/mirror.js';
import { filterProblems, groupIdsOf } from '../domain/device-filter.js';
import type { DeviceFilter } from '../domain/devices.js';
import type { RolloutRepository } from '../store/rollouts.repository.js';
import { InvalidInputError, NotFoundError, StateConflictError, type Violation } from '../domain/errors.js';
import { readyMirror } from './mirror-access.js';
import type { RolloutOrchestrator } from './rollout-orchestrator.js';
import type { PackagesService } from './packages.service.js';
import type { UpgradeTasksService } from './upgrade-tasks.service.js';
import { mirrorOff } from '../domain/errors.js';
import { failureFigures, splitIntoWaves, waveSizes, type Rollout, type RolloutProgress, type RolloutState, type Threshold, type WaveSpec } from '../domain/rollouts.js';
import { productMismatch, productName } from '../domain/packages.js';
import type { ContinuousRolloutsRepository } from '../store/continuous-rollouts.repository.js';
import type { DynamicGroupsRepository } from '../store/dynamic-groups.repository.js';
import type { MaintenanceWindow } from '../domain/maintenance-windows.js';
import { scheduleViolations } from './rollout-schedule.js';

/** The most devices one rollout takes (a filter that matches more is refused: narrow it). */
export const MAX_ROLLOUT_DEVICES = 100_000;
export const MAX_SOAK_MINUTES = 7 * 24 * 60;
/** A rollout in one of these states holds its devices no more. */
const ENDED: readonly RolloutState[] = ['COMPLETED', 'CANCELLED'];
/** How many offending devices an error names. */
const NAMED = 5;
/** How often a command reads the rollout again when it moved between the read and the write. */
const MOVE_ATTEMPTS = 3;

type TransitionChange = NonNullable<Parameters<RolloutRepository['transition']>[4]>;

export interface CreateRolloutCommand {
  type: OperationType;
  fileId: string;
  name?: string;
  /** Exactly one; a dynamic group's filter is resolved like a filter, at creation. */
  targets: { deviceIds?: string[]; filter?: DeviceFilter; dynamicGroupId?: string };
  /** With a dynamic group: devices that come to match it later are taken in new waves, until the rollout is stopped. */
  continuous?: boolean;
  waves: WaveSpec[];
  soakMinutes: number;
  failureThreshold?: Threshold;
  policy: OperationPolicy;
  /** Nothing starts before it (epoch ms). */
  startAt?: number;
  maintenanceWindows?: MaintenanceWindow[];
  idempotencyKey?: string;
}

/** Who commands: the request's scope (its client and deadline) and its reads (they count against its share of the budget). */
export interface Caller {
  scope: { client: string; deadline: number };
  upgradeTasks: UpgradeTasksService;
  packages: PackagesService;
}

export class RolloutService {
  constructor(
    private readonly repo: RolloutRepository,
    private readonly mirror: Mirror,
    readonly orchestrator: RolloutOrchestrator,
    private readonly idempotency: Idempotency,
    /** Dynamic groups as targets, and continuous rollouts (their devices taken once each). */
    private readonly dynamic: { groups: DynamicGroupsRepository; continuous: ContinuousRolloutsRepository },
  ) {}

  async find(id: string): Promise<RolloutProgress | undefined> {
    const rollout = await this.repo.find(id);
    return rollout && this.orchestrator.view(rollout);
  }

  async list(state: RolloutState | undefined, window: ListWindow): Promise<Page<RolloutProgress>> {
    const page = await this.repo.list(state, window);
    return { totalCount: page.totalCount, items: await Promise.all(page.items.map((r) => this.orchestrator.view(r))) };
  }

  async create(command: CreateRolloutCommand, caller: Caller, sourceOperationId: string | null = null): Promise<string> {
    const { deviceIds: given, filter } = command.targets;
    const canonical = {
      ...command,
      idempotencyKey: undefined,
      targets: { deviceIds: idSet(given), filter },
      sourceOperationId,
    };
    return this.idempotency.run(
      { client: caller.scope.client, key: command.idempotencyKey, input: { mutation: 'createRollout', command: canonical }, deadline: caller.scope.deadline },
      {
        create: async () => {
          const rollout = await this.checked(command, caller, sourceOperationId);
          const groupId = command.targets.dynamicGroupId;
          // A rollout on a group records it; one that is not continuous follows it no further than its creation.
          const follows = { rolloutId: rollout.id, groupId: groupId as string, waves: command.waves, stoppedAt: command.continuous ? null : rollout.createdAt };
          await this.repo.insert(rollout, groupId === undefined ? undefined : (tx) => this.dynamic.continuous.insert(tx, follows, rollout.waves));
          await this.orchestrator.publish(rollout.id);
          this.orchestrator.wake();
          return rollout.id;
        },
        // Made in the store, not on the platform: a create is never in doubt.
        findCreated: async () => [],
      },
    );
  }

  /**
   * A one-wave rollout over the devices of an ended task whose subtasks ended in one of `statuses`. One per task and
   * set of devices while it has not ended: every other call (any client, any key or none, any replica) gets it.
   */
  async retryFailedDevices(operationId: string, statuses: readonly SubtaskStatus[], policy: OperationPolicy, idempotencyKey: string | undefined, caller: Caller): Promise<string> {
    const operation = await caller.upgradeTasks.find(operationId);
    if (!operation) throw new NotFoundError(`No upgrade task ${operationId}.`, { argument: 'operationId' });
    if (!hasEnded(operation)) {
      throw InvalidInputError.of([{ path: 'operationId', rule: 'taskEnded', message: `the task is still ${operation.status}: retry its failed devices once it has ended` }]);
    }
    if (statuses.length === 0) throw InvalidInputError.of([{ path: 'statuses', rule: 'notEmpty', message: 'give at least one subtask status' }]);
    const window = { start: 0, count: Math.max(1, operation.stats.total) };
    let subtasks = await caller.upgradeTasks.subtasks(operation, undefined, window);
    if (subtasks.items.length < operation.stats.total || !subtasks.items.every(hasEnded)) {
      // The mirror has not taken the task's last notices yet: the platform's own list decides.
      subtasks = await caller.upgradeTasks.subtasksOnPlatform(operation, window);
    }
    const deviceIds = [...new Set(subtasks.items.filter((s) => statuses.includes(s.status)).map((s) => s.deviceId))];
    if (deviceIds.length === 0) {
      throw InvalidInputError.of([{ path: 'statuses', rule: 'devicesMatch', message: `no device of task ${operationId} ended in ${statuses.join(' or ')}` }]);
    }
    const fileId = typeof operation.extendPara?.fileId === 'string' ? operation.extendPara.fileId : undefined;
    if (!fileId) throw InvalidInputError.of([{ path: 'operationId', rule: 'packageKnown', message: 'the platform does not say which package this task installed (extendPara.fileId)' }]);
    const command: CreateRolloutCommand = {
      type: operation.type,
      fileId,
      name: `Retry of ${operationId} (${statuses.join(', ')})`,
      targets: { deviceIds },
      waves: [{ percent: 100 }],
      soakMinutes: 0,
      policy,
      idempotencyKey,
    };
    const retryOfSet = `retry:${operationId}:${fingerprintOf(idSet(deviceIds))}`;
    return this.idempotency.exclusive(retryOfSet, caller.scope.deadline, () => this.create(command, caller, operationId), async (rolloutId) => {
      const rollout = await this.repo.find(rolloutId);
      return rollout !== undefined && !ENDED.includes(rollout.state);
    });
  }

  /**
   * The commands below take effect or fail: each answers the rollout as its own change left it (never a state another
   * caller set since), and a call that changed nothing fails with STATE_CONFLICT and the state it found.
   */
  async pause(id: string): Promise<RolloutProgress> {
    return this.move(id, ['RUNNING'], 'PAUSED', 'only a RUNNING rollout can be paused');
  }

  /** Continues a paused rollout, or a halted one as an operator's decision: the threshold then counts afresh. */
  async resume(id: string): Promise<RolloutProgress> {
    return this.move(id, ['PAUSED', 'HALTED'], 'RUNNING', 'only a PAUSED or HALTED rollout can be resumed', async (rollout) =>
      rollout.state === 'HALTED' ? { haltReason: null, thresholdBase: failureFigures((await this.orchestrator.view(rollout)).stats) } : { haltReason: null },
    );
  }

  /** No further task is created; tasks already on the platform run to their end (the platform cannot stop them). */
  async cancel(id: string): Promise<RolloutProgress> {
    return this.move(id, ['RUNNING', 'PAUSED', 'HALTED'], 'CANCELLED', 'the rollout has already ended', undefined, () => this.repo.skipPendingWaves(id));
  }

  /** A continuous rollout takes no further device: it completes once the waves it has taken have finished. */
  async stop(id: string): Promise<RolloutProgress> {
    const rollout = await this.existing(id);
    const continuous = await this.dynamic.continuous.find(id);
    const why = !continuous ? 'is not on a dynamic group' : ENDED.includes(rollout.state) ? `is ${rollout.state}` : 'takes no new devices (stopped, or not continuous)';
    if (!continuous || ENDED.includes(rollout.state) || continuous.stoppedAt !== null || !(await this.dynamic.continuous.stop(id, Date.now()))) {
      throw new StateConflictError(`Rollout ${id} ${why}: only a continuous rollout that has not ended can be stopped; this call changed nothing.`, { argument: 'id', state: rollout.state });
    }
    await this.orchestrator.publish(id);
    this.orchestrator.wake();
    return (await this.find(id)) as RolloutProgress;
  }

  /** The dynamic group a rollout was created on, and whether it still takes devices that come to match it. */
  async following(id: string): Promise<{ groupId: string; continuous: boolean } | undefined> {
    const found = await this.dynamic.continuous.find(id);
    return found && { groupId: found.groupId, continuous: found.stoppedAt === null };
  }

  private async existing(id: string): Promise<Rollout> {
    const rollout = await this.repo.find(id);
    if (!rollout) throw new NotFoundError(`No rollout ${id}.`, { argument: 'id' });
    return rollout;
  }

  /**
   * Moves the rollout from the state it was read in (one of `from`) to `to`, by compare-and-set in the store: of
   * callers racing, exactly one moves it. The change may depend on the state read, so a state that moved between the
   * read and the write (to another one of `from`) is read again.
   */
  private async move(
    id: string,
    from: RolloutState[],
    to: RolloutState,
    refusal: string,
    changeFor: (rollout: Rollout) => Promise<TransitionChange> = async () => ({}),
    after?: () => Promise<void>,
  ): Promise<RolloutProgress> {
    for (let attempt = 0; ; attempt++) {
      const found = await this.existing(id);
      if (!from.includes(found.state) || attempt === MOVE_ATTEMPTS) {
        const already = found.state === to ? `already ${to}` : found.state;
        throw new StateConflictError(`Rollout ${id} is ${already}: ${refusal}; this call changed nothing.`, { argument: 'id', state: found.state });
      }
      const moved = await this.repo.transition(id, [found.state], to, Date.now(), await changeFor(found));
      if (!moved) continue;
      await after?.();
      await this.orchestrator.publish(id);
      this.orchestrator.wake();
      // Its waves and figures as they are now; its state as this call left it.
      const view = (await this.find(id)) as RolloutProgress;
      return { ...view, state: moved.state, haltReason: moved.haltReason, updatedAt: moved.updatedAt };
    }
  }

  /** The rollout to store, or every problem with the command (BAD_USER_INPUT with field paths). */
  private async checked(command: CreateRolloutCommand, caller: Caller, sourceOperationId: string | null): Promise<Parameters<RolloutRepository['insert']>[0]> {
    // Rollouts choose and watch their devices through the mirror.
    await readyMirror(this.mirror, 'Rollouts', caller.scope.deadline);
    const violations: Violation[] = [];
    const add = (path: string, rule: string, message: string) => violations.push({ path, rule, message });
    const { deviceIds: given, dynamicGroupId } = command.targets;
    let { filter } = command.targets;
    if ([given, filter, dynamicGroupId].filter((t) => t !== undefined).length !== 1) add('input.targets', 'exactlyOne', 'give exactly one of deviceIds, filter and dynamicGroupId');
    if (command.continuous && dynamicGroupId === undefined) add('input.continuous', 'dynamicGroupTarget', 'only a rollout on a dynamic group can be continuous (targets.dynamicGroupId)');
    if (dynamicGroupId !== undefined && given === undefined && filter === undefined) {
      const group = await this.dynamic.groups.find(dynamicGroupId);
      if (!group) add('input.targets.dynamicGroupId', 'groupExists', `no dynamic group ${dynamicGroupId}`);
      filter = group?.filter;
    }
    let deviceIds: string[] = [];
    if (given !== undefined) {
      const seen = new Set<string>();
      given.forEach((id, i) => {
        if (seen.has(id)) add(`input.targets.deviceIds.${i}`, 'unique', `device ${id} is listed twice`);
        seen.add(id);
      });
      deviceIds = [...seen];
    } else if (filter !== undefined) {
      // A group's filter was checked when it was saved.
      const problems = dynamicGroupId === undefined ? filterProblems(filter, 'input.targets.filter') : [];
      violations.push(...problems);
      if (problems.length === 0) {
        for (const groupId of groupIdsOf(filter)) await caller.packages.membersHeld(groupId);
        deviceIds = await this.mirror.repo.devices.fleetIds(filter, MAX_ROLLOUT_DEVICES + 1);
        // A continuous rollout may start empty: its group's devices are still to come.
        if (deviceIds.length === 0 && !command.continuous) add(dynamicGroupId ? 'input.targets.dynamicGroupId' : 'input.targets.filter', 'matchesDevices', 'no device in the fleet matches this filter');
      }
    }
    if (deviceIds.length > MAX_ROLLOUT_DEVICES) add('input.targets', 'maxDevices', `a rollout takes at most ${MAX_ROLLOUT_DEVICES} devices`);
    if (!(Number.isInteger(command.soakMinutes) && command.soakMinutes >= 0 && command.soakMinutes <= MAX_SOAK_MINUTES)) {
      add('input.soakMinutes', 'range', `soakMinutes is a whole number from 0 to ${MAX_SOAK_MINUTES}`);
    }
    const threshold = command.failureThreshold;
    if (threshold) {
      if (!(threshold.percent > 0 && threshold.percent <= 100)) add('input.failureThreshold.percent', 'range', 'percent is more than 0 and at most 100');
      if (!(Number.isInteger(threshold.minFinished) && threshold.minFinished >= 1)) add('input.failureThreshold.minFinished', 'range', 'minFinished is a whole number, at least 1');
      else if (deviceIds.length > 0 && threshold.minFinished > deviceIds.length && !command.continuous) {
        add('input.failureThreshold.minFinished', 'reachable', `minFinished is more than the rollout's ${deviceIds.length} devices: the threshold could never apply`);
      }
    }
    violations.push(...scheduleViolations(command));
    const sizes = deviceIds.length > 0 ? waveSizes(deviceIds.length, command.waves) : [];
    if (!Array.isArray(sizes)) add(sizes.path, 'wavesAddUp', sizes.message);
    // A continuous rollout that starts empty: its rules are checked as for the most devices it could take.
    const rules = command.continuous && deviceIds.length === 0 ? waveSizes(MAX_ROLLOUT_DEVICES, command.waves) : [];
    if (!Array.isArray(rules)) add(rules.path, 'wavesAddUp', rules.message);

    const pkg = await caller.packages.find(command.fileId);
    if (!pkg) add('input.fileId', 'packageExists', `no upgrade package ${command.fileId}`);
    else if (pkg.type && pkg.type !== (command.type === 'FIRMWARE_UPGRADE' ? 'FIRMWARE' : 'SOFTWARE')) {
      add('input.fileId', 'packageType', `package ${command.fileId} is ${pkg.type}, not for a ${command.type}`);
    }
    if (deviceIds.length > 0 && deviceIds.length <= MAX_ROLLOUT_DEVICES) {
      const devices = await this.mirror.repo.devices.devices(deviceIds);
      const unknown = deviceIds.filter((id) => !devices.has(id));
      if (unknown.length > 0) add('input.targets.deviceIds', 'devicesExist', `${unknown.length} unknown device(s): ${named(unknown)}`);
      if (pkg) {
        const misfits = deviceIds.filter((id) => {
          const device = devices.get(id);
          return device && productMismatch(pkg, device).length > 0;
        });
        if (misfits.length > 0) {
          add(given ? 'input.targets.deviceIds' : dynamicGroupId ? 'input.targets.dynamicGroupId' : 'input.targets.filter', 'packageFits', `package ${command.fileId} is for ${productName(pkg)}; ${misfits.length} device(s) are not: ${named(misfits)}`);
        }
      }
    }
    if (violations.length > 0) throw InvalidInputError.of(violations);

    const waves = splitIntoWaves(deviceIds, sizes as number[]).map((ids) => ({ deviceIds: ids }));
    return {
      id: randomUUID(),
      client: caller.scope.client,
      name: command.name ?? null,
      type: command.type,
      fileId: command.fileId,
      targetVersion: pkg?.version ?? null,
      soakMinutes: command.soakMinutes,
      threshold: threshold ?? null,
      policy: command.policy,
      total: deviceIds.length,
      sourceOperationId,
      startAt: command.startAt ?? null,
      maintenanceWindows: command.maintenanceWindows ?? [],
      createdAt: Date.now(),
      waves,
    };
  }
}

const named = (ids: readonly string[]) => `${ids.slice(0, NAMED).join(', ')}${ids.length > NAMED ? `, and ${ids.length - NAMED} more` : ''}`;

/** Rollouts as one request commands them: without the mirror there are none (MIRROR_UNAVAILABLE). */
export class RolloutsForCaller {
  constructor(
    private readonly rollouts: RolloutService | undefined,
    private readonly caller: Caller,
  ) {}

  private get service(): RolloutService {
    if (!this.rollouts) throw mirrorOff('Rollouts');
    return this.rollouts;
  }

  list(state: RolloutState | undefined, window: ListWindow): Promise<Page<RolloutProgress>> {
    return this.service.list(state, window);
  }

  find(id: string): Promise<RolloutProgress | undefined> {
    return this.service.find(id);
  }

  /** The rollout, or NOT_FOUND. */
  async existing(id: string): Promise<RolloutProgress> {
    const rollout = await this.service.find(id);
    if (!rollout) throw new NotFoundError(`No rollout ${id}.`, { argument: 'id' });
    return rollout;
  }

  create(command: CreateRolloutCommand): Promise<string> {
    return this.service.create(command, this.caller);
  }

  retryFailedDevices(operationId: string, statuses: readonly SubtaskStatus[], policy: OperationPolicy, idempotencyKey: string | undefined): Promise<string> {
    return this.service.retryFailedDevices(operationId, statuses, policy, idempotencyKey, this.caller);
  }

  pause(id: string): Promise<RolloutProgress> {
    return this.service.pause(id);
  }

  resume(id: string): Promise<RolloutProgress> {
    return this.service.resume(id);
  }

  cancel(id: string): Promise<RolloutProgress> {
    return this.service.cancel(id);
  }

  stop(id: string): Promise<RolloutProgress> {
    return this.service.stop(id);
  }

  following(id: string): Promise<{ groupId: string; continuous: boolean } | undefined> {
    return this.service.following(id);
  }
}
