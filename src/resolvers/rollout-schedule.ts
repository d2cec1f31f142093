import type { ScheduleWait } from '../domain/maintenance-windows.js';
import type { RolloutProgress } from '../domain/rollouts.js';
import { inWholeSeconds } from '../schema/scalars.js';

/** A rollout's schedule as the graph shows it. */
export interface ScheduleNode {
  startAt?: string;
  nextWindowAt?: string;
  windowClosesAt?: string;
  waitingFor: ScheduleWait | null;
  waitReason: string | null;
}

// Whole seconds, as the DateTime scalar writes them (the reason's text says the same time as the fields).
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : inWholeSeconds(new Date(ms).toISOString()));

const REASONS: Record<ScheduleWait, (at: string | undefined) => string> = {
  START_AT: (at) => `waiting for startAt: work begins at ${at}`,
  MAINTENANCE_WINDOW: (at) => (at ? `waiting for the next maintenance window, opening at ${at}` : 'waiting for a maintenance window'),
  POLICY_WINDOW_CLOSED: () => "the policy's CUSTOM window has closed: no wave starts again",
};

export function scheduleNode(view: RolloutProgress): ScheduleNode {
  const { schedule } = view;
  const base = { startAt: iso(view.startAt), nextWindowAt: iso(schedule?.nextWindowAt), windowClosesAt: schedule?.open ? iso(schedule.closesAt) : undefined };
  // It waits when it is RUNNING, has work left, and its schedule is closed now.
  const workLeft = view.waves.some((w) => w.state === 'PENDING' || (w.state === 'RUNNING' && w.tasks.some((t) => t.operationId === null)));
  if (!schedule || schedule.open || view.state !== 'RUNNING' || !workLeft) return { ...base, waitingFor: null, waitReason: null };
  const at = iso(schedule.opensAt);
  return { ...base, nextWindowAt: at ?? base.nextWindowAt, waitingFor: schedule.wait, waitReason: REASONS[schedule.wait](at) };
}
