/**
 * A rollout's schedule as the orchestrator applies it, on the platform's clock (the `Date` of its answers: the
 * emulator's, however fast a test moves it): nothing starts before `startAt`; with maintenance windows a wave starts,
 * and its tasks are created, only inside one, each task with a CUSTOM window from now to the window's end. The
 * platform times out whatever has not finished when that window ends; those devices are taken again, once per cut
 * task, by one new task in the next window (planned in the store with the judgement, created exactly once under its
 * own idempotency key), and they count in the wave's figures only through that task, so the cut never reaches the
 * failure threshold. A CUSTOM policy given without windows is one window: a later wave's tasks get what is left of
 * it, and once it has closed no task is created (the orchestrator halts the rollout, saying why).
 */
import { PlatformError } from '../datasources/platform/errors.js';
import { MIN_TASK_WINDOW_MS, scheduleAt, windowViolations, type MaintenanceWindow, type RolloutSchedule, type ScheduleStanding } from '../domain/maintenance-windows.js';
import { UnknownOutcomeError, type Violation } from '../domain/errors.js';
import { sumStats, type Rollout, type RolloutTask, type RolloutWave } from '../domain/rollouts.js';
import { hasEnded, statsOf, type Operation, type OperationPolicy, type OperationStats, type Subtask } from '../domain/upgrade-tasks.js';
import type { RolloutScheduleRepository } from '../store/rollout-schedule.repository.js';
import type { UpgradeTasksRepository } from '../store/upgrade-tasks.repository.js';

/** The platform's refusals of a CUSTOM window that has become stale (start now in the past, too short): fix a new one. */
const STALE_WINDOW_CODES = ['123033', '123034'];
const SECOND = 1000;
/** How far ahead a rollout may be scheduled. */
const MAX_START_AHEAD_MS = 366 * 24 * 60 * 60_000;

/** Every problem with a new rollout's schedule, by field path. */
export function scheduleViolations(command: { startAt?: number; maintenanceWindows?: MaintenanceWindow[]; policy: OperationPolicy }, now = Date.now()): Violation[] {
  const out: Violation[] = [...windowViolations(command.maintenanceWindows ?? [])];
  if (command.startAt !== undefined && !(command.startAt <= now + MAX_START_AHEAD_MS)) out.push({ path: 'input.startAt', rule: 'range', message: 'startAt is at most a year ahead' });
  if ((command.maintenanceWindows ?? []).length > 0 && command.policy.executeType === 'CUSTOM') {
    out.push({ path: 'input.policy.executeType', rule: 'windowsSetPolicy', message: "with maintenanceWindows each task gets a CUSTOM window inside the current one: leave the policy's executeType NOW" });
  }
  return out;
}

function scheduleOf(rollout: Pick<Rollout, 'startAt' | 'maintenanceWindows' | 'policy'>): RolloutSchedule | null {
  const { startAt, maintenanceWindows: windows, policy } = rollout;
  const once = windows.length === 0 && policy.executeType === 'CUSTOM' && policy.startTime && policy.endTime ? { opensAt: Date.parse(policy.startTime), closesAt: Date.parse(policy.endTime) } : null;
  if (startAt === null && windows.length === 0 && !once) return null;
  return { startAt, windows, once };
}

function standingOf(rollout: Rollout, now: number): ScheduleStanding | null {
  const schedule = scheduleOf(rollout);
  return schedule && scheduleAt(schedule, now);
}

/**
 * A task's figures: without the devices its window cut (the task that continues them counts them), and a
 * continuation not created yet as its devices waiting.
 */
export function taskStats(task: RolloutTask, stats: OperationStats | undefined, empty: OperationStats): OperationStats {
  if (!stats) return task.continuesPart !== null ? statsOf({ wait: task.deviceIds.length }) : empty;
  const cut = task.cutDevices;
  if (!cut) return stats;
  const { total, wait, processing, success, fail, stop, timeout } = stats;
  // Timeouts on the platform; failures while the mirror has them from notices alone.
  const fromTimeout = Math.min(cut, timeout);
  return statsOf({ total: total - cut, wait, processing, success, fail: Math.max(0, fail - (cut - fromTimeout)), stop, timeout: timeout - fromTimeout });
}

/** The task had a maintenance window and whether that window cut it is not judged yet. */
export const awaitsCut = (rollout: Rollout, task: RolloutTask): boolean => rollout.maintenanceWindows.length > 0 && task.windowEnd !== null && task.cutDevices === null;

export class RolloutScheduler {
  constructor(
    private readonly repo: RolloutScheduleRepository,
    private readonly tasks: UpgradeTasksRepository,
    /** The platform's clock, as well as this process knows it. */
    readonly now: () => number,
    /** An ended task's subtasks as the platform lists them (its calls count against the orchestrator's budget). */
    private readonly platformSubtasks: (operation: Operation) => Promise<Subtask[]>,
  ) {}

  /** Whether a wave may start now, or why not. */
  standing(rollout: Rollout): ScheduleStanding | null {
    return standingOf(rollout, this.now());
  }

  /**
   * The figures the failure threshold judges: a windowed task's failures and timeouts count only once its end is
   * judged (until then they may be its window's cut: the platform's notices tell no timeout from a failure).
   */
  thresholdStats(rollout: Rollout, operations: ReadonlyMap<string, Operation>, empty: OperationStats): OperationStats {
    const all = rollout.waves.flatMap((w) => w.tasks).map((t) => {
      const stats = taskStats(t, t.operationId ? operations.get(t.operationId)?.stats : undefined, empty);
      return awaitsCut(rollout, t) ? statsOf({ ...stats, processing: stats.processing + stats.fail + stats.timeout, fail: 0, timeout: 0 }) : stats;
    });
    return sumStats(all);
  }

  /**
   * The policy of the task's create now: the rollout's own without a schedule; with one, a CUSTOM window inside the
   * current opening, fixed in the store first (a retry of the create sends the same input); undefined: it waits.
   */
  async policyFor(rollout: Rollout, wave: RolloutWave, task: RolloutTask): Promise<OperationPolicy | undefined> {
    const now = this.now();
    const standing = standingOf(rollout, now);
    if (!standing) return rollout.policy;
    let { windowStart: start, windowEnd: end } = task;
    if (start === null || end === null || end - now < MIN_TASK_WINDOW_MS) {
      if (!standing.open) return undefined;
      if (standing.closesAt === null) return rollout.policy;
      start = Math.floor(now / SECOND) * SECOND;
      end = standing.closesAt;
      if (!(await this.repo.setTaskWindow(rollout.id, wave.index, task.part, { start, end }))) return undefined;
    }
    return { ...rollout.policy, executeType: 'CUSTOM', startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString() };
  }

  /** The platform refused the task's window as stale (nothing was created): the next look fixes a new one. */
  async refusedWindow(rollout: Rollout, wave: RolloutWave, task: RolloutTask, error: unknown): Promise<boolean> {
    if (!(error instanceof PlatformError && STALE_WINDOW_CODES.includes(error.code)) || scheduleOf(rollout) === null) return false;
    return this.repo.setTaskWindow(rollout.id, wave.index, task.part, null);
  }

  /**
   * The create made nothing and may be sent again with another input (the budget, the platform out of reach): the
   * next try fixes its window just before its send, not one a minute old the platform would refuse as past. After an
   * unknown outcome the window stays: the retry must send the same input to find what the first send made.
   */
  async unsent(rollout: Rollout, wave: RolloutWave, task: RolloutTask, error: unknown): Promise<void> {
    if (error instanceof UnknownOutcomeError || scheduleOf(rollout) === null) return;
    // The store out of reach: the platform's refusal of a stale window has the next look fix one all the same.
    await this.repo.setTaskWindow(rollout.id, wave.index, task.part, null).catch(() => false);
  }

  /**
   * Judges each created task whose window it has not judged, once the mirror holds its end: without a failure or
   * timeout nothing was cut; otherwise the platform's own list says which devices timed out at the window's end (the
   * platform ends a CUSTOM window's unfinished devices as TIMEOUT, at its endTime; its notices say "failed" for both)
   * and a task for them is planned. True when something was judged.
   */
  async judgeCuts(rollout: Rollout): Promise<boolean> {
    let judged = false;
    for (const wave of rollout.waves) {
      for (const task of wave.tasks) {
        if (!awaitsCut(rollout, task) || task.operationId === null) continue;
        const operation = await this.tasks.operation(task.operationId);
        if (!operation || !hasEnded(operation)) continue;
        let cut: string[] = [];
        if (operation.stats.fail + operation.stats.timeout > 0) {
          const closedAt = (task.windowEnd as number) - SECOND;
          const subtasks = await this.platformSubtasks(operation);
          cut = subtasks.filter((s) => s.status === 'TIMEOUT' && !(s.stoppedAt !== undefined && Date.parse(s.stoppedAt) < closedAt)).map((s) => s.deviceId);
        }
        judged = (await this.repo.judgeCut(rollout.id, wave.index, task.part, cut, Date.now())) || judged;
      }
    }
    return judged;
  }
}
