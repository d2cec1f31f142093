/**
 * Moves every rollout on: starts a wave when the one before it is done, creates the wave's platform tasks (each
 * exactly once, under an idempotency key kept in the store), watches their subtasks through the mirror, soaks, and
 * halts a rollout whose failures reach its threshold. Everything it knows is in the store, so a restart, or another
 * replica taking over the lease, continues where it stood. One process acts at a time (a lease in the store).
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInputError } from '../domain/errors.js';
import type { UpgradeTasksService } from './upgrade-tasks.service.js';
import { hasEnded, type Operation, type OperationStats, type UpgradeTaskRequest } from '../domain/upgrade-tasks.js';
import { gatewayCodeOf, PlatformError } from '../datasources/platform/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Mirror } from '../sync/mirror.js';
import { LeaseKeeper, type LeaseRepository } from '../store/leases.repository.js';
import type { RolloutRepository } from '../store/rollouts.repository.js';
import type { ContinuousRollouts } from './continuous-rollouts.js';
import { sumStats, taskParts, thresholdCrossed, type Rollout, type RolloutProgress, type RolloutWave } from '../domain/rollouts.js';
import type { RolloutScheduleRepository } from '../store/rollout-schedule.repository.js';
import { awaitsCut, RolloutScheduler, taskStats } from './rollout-schedule.js';

/** The platform-call client of the orchestrator's creates, and the scope of its idempotency keys. */
export const ROLLOUT_CLIENT = 'rollouts';
const LEASE = 'rollout-orchestrator';
const LEASE_MS = 15_000;
const DEFAULT_TICK_MS = 2_000;
/** How long one create may wait for the call budget before the next tick tries again. */
export const CREATE_DEADLINE_MS = 60_000;

/** A rollout with what the mirror knows of its tasks: the graph's view of it. */
export interface RolloutEvents {
  rollout: [RolloutProgress];
}

export interface OrchestratorOptions {
  repo: RolloutRepository;
  /** Listeners a rollout's change may have (a live subscription each, and the gateway's own): more would be a leak. */
  maxListeners: number;
  leases: LeaseRepository;
  mirror: Mirror;
  /**
   * Upgrade tasks as the orchestrator's own client reaches them (mutation priority, its own budget client): a fresh
   * service per create, as each request has one (its DataLoaders keep nothing beyond it).
   */
  upgradeTasks: () => UpgradeTasksService;
  logger: Logger;
  tickMs?: number;
  /** Continuous rollouts' new waves (unset: every rollout completes once its waves have finished). */
  continuous?: ContinuousRollouts;
  schedule: RolloutScheduleRepository;
  /** The platform's clock (schedules are on it); this process's when unset. */
  platformNow?: () => number;
}

const EMPTY_STATS: OperationStats = sumStats([]);

export class RolloutOrchestrator {
  readonly events = new EventEmitter<RolloutEvents>();
  readonly #tickMs: number;
  readonly #lease: LeaseKeeper;
  readonly #schedule: RolloutScheduler;
  #closed = false;
  #loop: Promise<void> | undefined;
  #wake: AbortController | undefined;
  /** Operation id → rollout id, for the tasks of rollouts still moving (their progress is published). */
  readonly #tasks = new Map<string, string>();
  readonly #onOperation = (operation: Operation) => this.operationChanged(operation);

  constructor(private readonly options: OrchestratorOptions) {
    this.events.setMaxListeners(options.maxListeners);
    this.#tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    // Renewed on its own timer: a step waiting for the call budget must not let it run out while this process lives.
    this.#lease = new LeaseKeeper(options.leases, LEASE, LEASE_MS);
    this.#schedule = new RolloutScheduler(options.schedule, options.mirror.repo.upgradeTasks, options.platformNow ?? Date.now, async (operation) =>
      (await options.upgradeTasks().subtasksOnPlatform(operation, { start: 0, count: operation.stats.total })).items,
    );
  }

  start(): void {
    this.options.mirror.events.on('operation', this.#onOperation);
    this.#loop = this.run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.options.mirror.events.off('operation', this.#onOperation);
    this.#wake?.abort();
    await this.#loop;
    await this.#lease.close();
  }

  /** Look again now (an operator's command, a task that changed). */
  wake(): void {
    this.#wake?.abort();
  }

  /** A rollout with its tasks' figures, as the mirror has them. */
  async view(rollout: Rollout): Promise<RolloutProgress> {
    const operationIds = rollout.waves.flatMap((w) => w.tasks.map((t) => t.operationId)).filter((id): id is string => id !== null);
    const operations = await this.options.mirror.repo.upgradeTasks.operationsById(operationIds);
    const waveStats = rollout.waves.map((wave) => sumStats(wave.tasks.map((t) => taskStats(t, t.operationId ? operations.get(t.operationId)?.stats : undefined, EMPTY_STATS))));
    return { ...rollout, stats: sumStats(waveStats), waveStats, schedule: this.#schedule.standing(rollout) };
  }

  /** What the threshold judges: the figures, but a windowed task's timeouts only once the window's cut is judged. */
  private async thresholdStats(rollout: Rollout): Promise<OperationStats> {
    const operationIds = rollout.waves.flatMap((w) => w.tasks.map((t) => t.operationId)).filter((id): id is string => id !== null);
    return this.#schedule.thresholdStats(rollout, await this.options.mirror.repo.upgradeTasks.operationsById(operationIds), EMPTY_STATS);
  }

  /** Publishes the rollout as it now stands. */
  async publish(id: string): Promise<void> {
    const rollout = await this.options.repo.find(id);
    if (rollout) this.events.emit('rollout', await this.view(rollout));
  }

  private operationChanged(operation: Operation): void {
    const rolloutId = this.#tasks.get(operation.id);
    if (rolloutId === undefined) return;
    void this.publish(rolloutId).catch(() => undefined);
    this.wake();
  }

  private async run(): Promise<void> {
    await this.#lease.start();
    while (!this.#closed) {
      try {
        if (this.#lease.held) {
          for (const id of await this.options.repo.unfinishedIds()) {
            if (this.#closed || !this.#lease.held) break;
            await this.step(id);
          }
        }
      } catch (error) {
        if (this.#closed) break;
        this.options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'rollout orchestrator step failed; it tries again');
      }
      if (this.#closed) break;
      this.#wake = new AbortController();
      await sleep(this.#tickMs, undefined, { signal: this.#wake.signal }).catch(() => undefined);
    }
  }

  /** One look at one rollout: at most one wave moves per look. */
  private async step(id: string): Promise<void> {
    const rollout = await this.options.repo.find(id);
    if (!rollout) return;
    for (const task of rollout.waves.flatMap((w) => w.tasks)) if (task.operationId) this.#tasks.set(task.operationId, id);
    const { repo } = this.options;
    const now = Date.now();
    if (await this.#schedule.judgeCuts(rollout)) {
      await this.publish(id);
      this.wake();
      return;
    }

    if (rollout.state === 'RUNNING' && rollout.threshold) {
      const reason = thresholdCrossed(await this.thresholdStats(rollout), rollout.threshold, rollout.thresholdBase);
      if (reason && (await repo.transition(id, ['RUNNING'], 'HALTED', now, { haltReason: reason }))) {
        this.options.logger.warn({ rollout: id, reason }, 'rollout halted');
        await this.publish(id);
        return;
      }
    }

    const wave = rollout.waves.find((w) => w.state !== 'DONE' && w.state !== 'SKIPPED');
    if (!wave) {
      if (rollout.state !== 'RUNNING') return;
      // A continuous rollout takes the devices that came to match meanwhile, or waits for some, until it is stopped.
      const followed = (await this.options.continuous?.follow(rollout)) ?? 'ended';
      if (followed === 'extended') {
        await this.publish(id);
        this.wake();
      }
      if (followed !== 'ended') return;
      if (await repo.transition(id, ['RUNNING'], 'COMPLETED', now, { haltReason: null })) {
        this.forget(rollout);
        await this.publish(id);
      }
      return;
    }
    let changed = false;
    if (wave.state === 'PENDING') {
      if (rollout.state !== 'RUNNING' || !(await this.scheduled(rollout, wave))) return;
      await repo.planTasks(id, wave.index, taskParts(wave.deviceIds));
      changed = await repo.changeWave(id, wave.index, 'PENDING', { state: 'RUNNING', startedAt: now }, now);
      if (changed) this.options.logger.info({ rollout: id, wave: wave.index, devices: wave.size }, 'rollout wave started');
    } else if (wave.state === 'RUNNING') {
      // A task not created yet waits for the schedule's next window (a policy's one window that closed halts).
      if (rollout.state === 'RUNNING' && wave.tasks.some((t) => t.operationId === null)) await this.scheduled(rollout, wave);
      changed = await this.createTasks(rollout, wave);
      if (await this.ended(id, wave.index)) {
        // The soak is a wait before the next wave: the last wave has none.
        const last = wave.index === rollout.waves.length - 1;
        // On the platform's clock, as the devices live it (and as a schedule's windows are kept).
        const soakUntil = rollout.soakMinutes > 0 && !last ? this.#schedule.now() + rollout.soakMinutes * 60_000 : null;
        changed = (await repo.changeWave(id, wave.index, 'RUNNING', { state: soakUntil ? 'SOAKING' : 'DONE', finishedAt: now, soakUntil }, now)) || changed;
      }
    } else if (wave.state === 'SOAKING' && wave.soakUntil !== null && this.#schedule.now() >= wave.soakUntil) {
      changed = await repo.changeWave(id, wave.index, 'SOAKING', { state: 'DONE' }, now);
    }
    if (changed) {
      await this.publish(id);
      // The next wave (or the end) need not wait for the next tick.
      this.wake();
    }
  }

  /** Whether every task of the wave exists and has ended on the platform (as the mirror knows it). */
  private async ended(rolloutId: string, index: number): Promise<boolean> {
    const rollout = await this.options.repo.find(rolloutId);
    const tasks = rollout?.waves[index]?.tasks ?? [];
    if (!rollout || tasks.length === 0 || tasks.some((t) => t.operationId === null)) return false;
    const operations = await this.options.mirror.repo.upgradeTasks.operationsById(tasks.map((t) => t.operationId as string));
    return tasks.every((t) => {
      const operation = operations.get(t.operationId as string);
      return operation !== undefined && hasEnded(operation) && !awaitsCut(rollout, t);
    });
  }

  /** Whether the schedule lets the wave start (or go on) now; a CUSTOM policy's one window that has closed halts the rollout. */
  private async scheduled(rollout: Rollout, wave: RolloutWave): Promise<boolean> {
    const standing = this.#schedule.standing(rollout);
    if (!standing || standing.open) return true;
    if (standing.wait === 'POLICY_WINDOW_CLOSED') {
      const reason = `no task of wave ${wave.index + 1} can be created: the policy's CUSTOM window (${rollout.policy.startTime} to ${rollout.policy.endTime}) has closed; give the rollout maintenanceWindows to run over several windows`;
      if (await this.options.repo.transition(rollout.id, ['RUNNING'], 'HALTED', Date.now(), { haltReason: reason })) {
        this.options.logger.warn({ rollout: rollout.id, reason }, 'rollout halted');
        await this.publish(rollout.id);
      }
    }
    return false;
  }

  /**
   * Creates the wave's tasks that do not exist yet, in order. Stops at the first that cannot be created now (the
   * budget, the platform's answer); a refusal by the platform halts the rollout with its reason.
   */
  private async createTasks(rollout: Rollout, wave: RolloutWave): Promise<boolean> {
    let created = false;
    for (const task of wave.tasks) {
      if (task.operationId !== null) continue;
      // Halted or cancelled meanwhile, or another process took the rollouts over: no further task from here.
      const current = await this.options.repo.find(rollout.id);
      if (!current || (current.state !== 'RUNNING' && current.state !== 'PAUSED') || !this.#lease.held) return created;
      // Outside the schedule's window: the task waits for the next (a wave cut by its window's end continues there).
      const policy = await this.#schedule.policyFor(current, wave, task);
      if (!policy) return created;
      const request: UpgradeTaskRequest = {
        type: rollout.type,
        fileId: rollout.fileId,
        targets: { deviceIds: task.deviceIds, deviceGroups: [] },
        policy: { ...policy, startTime: dateOf(policy.startTime), endTime: dateOf(policy.endTime) },
      };
      let operationId: string | undefined;
      try {
        operationId = await this.options.upgradeTasks().create(request, {
          client: ROLLOUT_CLIENT,
          key: `${rollout.id}/${wave.index}/${task.part}`,
          kind: 'rollout',
          deadline: Date.now() + CREATE_DEADLINE_MS,
        });
        await this.options.repo.taskCreated(rollout.id, wave.index, task.part, operationId, Date.now());
        this.#tasks.set(operationId, rollout.id);
        created = true;
        this.options.logger.info({ rollout: rollout.id, wave: wave.index, part: task.part, operationId, devices: task.deviceIds.length }, 'rollout task created');
      } catch (error) {
        if (await this.#schedule.refusedWindow(current, wave, task, error)) return created;
        const refusal = platformRefusal(error);
        if (refusal) {
          const reason = `the platform refused wave ${wave.index + 1}'s task ${task.part + 1} (${task.deviceIds.length} devices): ${refusal}`;
          if (await this.options.repo.transition(rollout.id, ['RUNNING', 'PAUSED'], 'HALTED', Date.now(), { haltReason: reason })) {
            this.options.logger.warn({ rollout: rollout.id, reason }, 'rollout halted');
          }
          return true;
        }
        // The budget, the platform's availability, an outcome not known yet: the next tick tries again (the same key).
        if (operationId === undefined) await this.#schedule.unsent(current, wave, task, error);
        this.options.logger.warn({ rollout: rollout.id, wave: wave.index, part: task.part, error: error instanceof Error ? error.message : String(error) }, 'rollout task not created yet');
        return created;
      }
    }
    return created;
  }

  private forget(rollout: Rollout): void {
    for (const task of rollout.waves.flatMap((w) => w.tasks)) if (task.operationId) this.#tasks.delete(task.operationId);
  }
}

const dateOf = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

/** The platform's "no" to a create (its reason), as opposed to a failure that may pass. */
function platformRefusal(error: unknown): string | undefined {
  if (error instanceof PlatformError && ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN'].includes(gatewayCodeOf(error))) return error.message;
  if (error instanceof InvalidInputError) return error.message;
  return undefined;
}
