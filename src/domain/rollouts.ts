/**
 * Rollouts: a package brought to many devices in waves. Their shape, and their arithmetic apart from the store and
 * the platform: how the targets split into waves and tasks, what the waves add up to, and when the failure threshold
 * halts the rollout.
 */
import { statsOf, type OperationPolicy, type OperationStats, type OperationType } from './upgrade-tasks.js';
import { enumOf, type ValueOf } from './values.js';
import type { MaintenanceWindow, ScheduleStanding } from './maintenance-windows.js';

/** The platform takes at most this many devices in one upgrade task. */
export const MAX_DEVICES_PER_TASK = 256;
export const MAX_WAVES = 100;

export const RolloutState = enumOf(['RUNNING', 'PAUSED', 'HALTED', 'COMPLETED', 'CANCELLED']);
export type RolloutState = ValueOf<typeof RolloutState>;
export const WaveState = enumOf(['PENDING', 'RUNNING', 'SOAKING', 'DONE', 'SKIPPED']);
export type WaveState = ValueOf<typeof WaveState>;

export interface RolloutTask {
  part: number;
  deviceIds: string[];
  /** Null until the platform has answered the create. */
  operationId: string | null;
  /** The CUSTOM window the task is given inside a maintenance window (the platform's clock), fixed before its create. */
  windowStart: number | null;
  windowEnd: number | null;
  /** Devices its window's end cut, continued by another task; null while not judged (or without a window). */
  cutDevices: number | null;
  /** The cut task this one continues in a later window. */
  continuesPart: number | null;
}

export interface RolloutWave {
  index: number;
  size: number;
  state: WaveState;
  deviceIds: string[];
  startedAt: number | null;
  finishedAt: number | null;
  soakUntil: number | null;
  tasks: RolloutTask[];
}

export interface Rollout {
  id: string;
  client: string;
  name: string | null;
  type: OperationType;
  fileId: string;
  targetVersion: string | null;
  state: RolloutState;
  haltReason: string | null;
  soakMinutes: number;
  threshold: { percent: number; minFinished: number } | null;
  /** Failed and finished counts when the rollout was last resumed by an operator. */
  thresholdBase: { failed: number; finished: number };
  policy: OperationPolicy;
  total: number;
  sourceOperationId: string | null;
  /** Nothing starts before it (epoch ms); null: at once. */
  startAt: number | null;
  /** Waves start only inside one (none: any time). */
  maintenanceWindows: MaintenanceWindow[];
  createdAt: number;
  updatedAt: number;
  waves: RolloutWave[];
}

export type NewRollout = Omit<Rollout, 'state' | 'haltReason' | 'thresholdBase' | 'updatedAt' | 'waves'> & { waves: { deviceIds: string[] }[] };

export type WaveChange = Partial<Pick<RolloutWave, 'state' | 'startedAt' | 'finishedAt' | 'soakUntil'>>;

/** A rollout with its progress: the stats over all waves' tasks, and each wave's. */
export interface RolloutProgress extends Rollout {
  stats: OperationStats;
  waveStats: OperationStats[];
  /** Where its schedule stands on the platform's clock, when the rollout has one. */
  schedule: ScheduleStanding | null;
}

/** Exactly one of the two: a number of devices, or a percentage of all the rollout's targets. */
export interface WaveSpec {
  count?: number;
  percent?: number;
}

export interface Threshold {
  percent: number;
  minFinished: number;
}

/** A problem with one field of the input, named by its path (`input.waves.1.percent`). */
export interface PlanViolation {
  path: string;
  message: string;
}

/**
 * Each wave's size, in order: a count is that many devices, a percentage is that share of all targets (rounded up),
 * each capped at what remains; the last wave takes whatever remains. Every wave must get at least one device.
 */
export function waveSizes(total: number, waves: readonly WaveSpec[]): number[] | PlanViolation {
  if (waves.length === 0) return { path: 'input.waves', message: 'give at least one wave' };
  if (waves.length > MAX_WAVES) return { path: 'input.waves', message: `at most ${MAX_WAVES} waves` };
  const sizes: number[] = [];
  let remaining = total;
  for (const [index, wave] of waves.entries()) {
    const path = `input.waves.${index}`;
    const hasCount = wave.count !== undefined && wave.count !== null;
    const hasPercent = wave.percent !== undefined && wave.percent !== null;
    if (hasCount === hasPercent) return { path, message: 'give exactly one of count and percent' };
    if (hasCount && !(Number.isInteger(wave.count) && (wave.count as number) >= 1)) return { path: `${path}.count`, message: 'count is a whole number of devices, at least 1' };
    if (hasPercent && !((wave.percent as number) > 0 && (wave.percent as number) <= 100)) return { path: `${path}.percent`, message: 'percent is more than 0 and at most 100' };
    if (remaining === 0) {
      return { path, message: `the waves before this one already take all ${total} target devices: drop this wave or make the earlier ones smaller` };
    }
    const size = waveSize(total, remaining, wave, index === waves.length - 1);
    sizes.push(size);
    remaining -= size;
  }
  return sizes;
}

/** One wave's size by its rule: a count, or a percent of all `total` rounded up, capped at what remains; the last takes what remains. */
export function waveSize(total: number, remaining: number, wave: WaveSpec, last: boolean): number {
  const wanted = wave.count ?? Math.ceil((total * (wave.percent ?? 100)) / 100);
  return last ? remaining : Math.min(wanted, remaining);
}

/** The devices cut into consecutive waves of these sizes. */
export function splitIntoWaves(deviceIds: readonly string[], sizes: readonly number[]): string[][] {
  let start = 0;
  return sizes.map((size) => deviceIds.slice(start, (start += size)));
}

/** The devices in platform-sized tasks, in order. */
export function taskParts(deviceIds: readonly string[]): string[][] {
  const parts: string[][] = [];
  for (let start = 0; start < deviceIds.length; start += MAX_DEVICES_PER_TASK) parts.push(deviceIds.slice(start, start + MAX_DEVICES_PER_TASK));
  return parts;
}

/** Counts summed over tasks (a wave's, or a rollout's over all its waves). */
export function sumStats(all: readonly OperationStats[]): OperationStats {
  const sum = (key: keyof OperationStats) => all.reduce((total, stats) => total + (Number(stats[key]) || 0), 0);
  return statsOf({ total: sum('total'), wait: sum('wait'), processing: sum('processing'), success: sum('success'), fail: sum('fail'), stop: sum('stop'), timeout: sum('timeout') });
}

/** What a threshold judges: failed = fail + timeout, finished = every device whose upgrade has ended. */
export function failureFigures(stats: OperationStats): { failed: number; finished: number } {
  return { failed: stats.fail + stats.timeout, finished: stats.completed };
}

/**
 * Where a rollout stands against its threshold: its failed and finished devices counted from `since` (the figures
 * when an operator last resumed it), and the finished devices the threshold waits for before it judges at all.
 */
export interface ThresholdStanding {
  failed: number;
  finished: number;
  /** The threshold judges once this many devices have finished (its minFinished, and at least one). */
  appliesAt: number;
  applies: boolean;
  /** The figures count from a resume (earlier failures no longer count). */
  sinceResume: boolean;
}

export function thresholdStanding(stats: OperationStats, threshold: Threshold, since = { failed: 0, finished: 0 }): ThresholdStanding {
  const now = failureFigures(stats);
  const failed = now.failed - since.failed;
  const finished = now.finished - since.finished;
  const appliesAt = Math.max(1, threshold.minFinished);
  return { failed, finished, appliesAt, applies: finished >= appliesAt, sinceResume: since.finished > 0 };
}

/**
 * The reason to halt, when (failed / finished) has reached the threshold once at least `minFinished` devices have
 * finished; counted from `since` (the figures when an operator last resumed the rollout).
 */
export function thresholdCrossed(stats: OperationStats, threshold: Threshold, since = { failed: 0, finished: 0 }): string | undefined {
  const { failed, finished, applies, sinceResume } = thresholdStanding(stats, threshold, since);
  if (!applies) return undefined;
  const rate = (failed / finished) * 100;
  if (rate < threshold.percent) return undefined;
  const counted = sinceResume ? ' since the rollout was last resumed' : '';
  return `${failed} of ${finished} finished devices failed or timed out${counted} (${round(rate)}%), reaching the failure threshold of ${round(threshold.percent)}%`;
}

const round = (value: number) => Math.round(value * 100) / 100;
