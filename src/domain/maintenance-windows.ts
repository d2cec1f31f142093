/**
 * When a rollout may work: not before its `startAt`, and, with maintenance windows, only inside one. A window recurs
 * on days of the week at a local start time ("HH:MM") in an IANA time zone and lasts a number of real minutes (a
 * window over a DST change is still that long). Pure arithmetic over epoch milliseconds; Intl does the zone math.
 */
import { enumOf, type ValueOf } from './values.js';
import type { Violation } from './errors.js';

export const Weekday = enumOf(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']);
export type Weekday = ValueOf<typeof Weekday>;
const WEEKDAYS = Object.values(Weekday);
/** Why a rollout that has work to do waits. */
export const ScheduleWait = enumOf(['START_AT', 'MAINTENANCE_WINDOW', 'POLICY_WINDOW_CLOSED']);
export type ScheduleWait = ValueOf<typeof ScheduleWait>;

export interface MaintenanceWindow {
  days: Weekday[];
  /** Local wall time the window opens, "HH:MM" (24 h). */
  start: string;
  durationMinutes: number;
  timeZone: string;
}

/** One occurrence of the windows: [opensAt, closesAt). */
export interface Opening {
  opensAt: number;
  closesAt: number;
}

export interface RolloutSchedule {
  startAt: number | null;
  windows: readonly MaintenanceWindow[];
  /** A CUSTOM policy's window given without maintenance windows: one opening, never again. */
  once?: Opening | null;
}

/** Where a schedule stands at one moment. */
export type ScheduleStanding =
  | { open: true; closesAt: number | null; nextWindowAt: number | null }
  | { open: false; wait: ScheduleWait; opensAt: number | null; nextWindowAt: number | null };

/** The platform's CUSTOM window must end more than 5 minutes after it starts: a shorter rest of a window is not used. */
export const MIN_TASK_WINDOW_MS = 6 * 60_000;
const MIN_WINDOW_MINUTES = 10;
const MAX_WINDOW_MINUTES = 7 * 24 * 60;
const MAX_WINDOWS = 20;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** A window lasts at most a week: openings from 8 days back cover every one still open, 8 ahead every next one. */
const HORIZON_DAYS = 8;

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** Every problem with the windows, by field path (`input.maintenanceWindows.0.start`). */
export function windowViolations(windows: readonly MaintenanceWindow[], path = 'input.maintenanceWindows'): Violation[] {
  const out: Violation[] = [];
  if (windows.length > MAX_WINDOWS) out.push({ path, rule: 'maxWindows', message: `at most ${MAX_WINDOWS} maintenance windows` });
  windows.forEach((window, i) => {
    const at = `${path}.${i}`;
    if (window.days.length === 0) out.push({ path: `${at}.days`, rule: 'notEmpty', message: 'give at least one day of the week' });
    else if (new Set(window.days).size !== window.days.length) out.push({ path: `${at}.days`, rule: 'unique', message: 'a day is listed twice' });
    if (!HH_MM.test(window.start)) out.push({ path: `${at}.start`, rule: 'timeOfDay', message: 'start is a local time "HH:MM", 00:00 to 23:59' });
    if (!(Number.isInteger(window.durationMinutes) && window.durationMinutes >= MIN_WINDOW_MINUTES && window.durationMinutes <= MAX_WINDOW_MINUTES)) {
      out.push({ path: `${at}.durationMinutes`, rule: 'range', message: `durationMinutes is a whole number from ${MIN_WINDOW_MINUTES} to ${MAX_WINDOW_MINUTES} (a week)` });
    }
    if (!validTimeZone(window.timeZone)) out.push({ path: `${at}.timeZone`, rule: 'timeZone', message: `${JSON.stringify(window.timeZone)} is not an IANA time zone (e.g. "Europe/Berlin", "UTC")` });
  });
  return out;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatFor(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formats.set(zone, format);
  }
  return format;
}

/** The wall clock in `zone` at `ms`. */
function wallAt(ms: number, zone: string): Wall {
  const parts = Object.fromEntries(formatFor(zone).formatToParts(ms).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
  };
}

/** The zone's offset from UTC at `ms`, in milliseconds (to the minute). */
function offsetAt(ms: number, zone: string): number {
  const w = wallAt(ms, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(ms / MINUTE) * MINUTE;
}

/**
 * The instant a local wall time happens in `zone`. A time repeated when clocks go back is its first occurrence; a
 * time skipped when they go forward is taken as the same distance after the gap's start (02:30 → 03:30), as
 * calendars do.
 */
export function instantOf(year: number, month: number, day: number, hour: number, minute: number, zone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const before = asUtc - offsetAt(asUtc - DAY, zone);
  const after = asUtc - offsetAt(asUtc + DAY, zone);
  const fits = (t: number) => {
    const w = wallAt(t, zone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) === asUtc;
  };
  const valid = [before, after].filter(fits);
  return valid.length > 0 ? Math.min(...valid) : before;
}

/** Every window's openings that overlap [from - 8 days, from + 8 days], overlapping ones joined, in order. */
export function openingsAround(windows: readonly MaintenanceWindow[], from: number): Opening[] {
  const all: Opening[] = [];
  for (const window of windows) {
    const match = HH_MM.exec(window.start);
    if (!match) continue;
    const [hour, minute] = [Number(match[1]), Number(match[2])];
    const today = wallAt(from, window.timeZone);
    // Calendar days, not 24 h steps: a day of 23 or 25 hours must not skip or repeat a date.
    for (let d = -HORIZON_DAYS; d <= HORIZON_DAYS; d++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + d));
      if (!window.days.includes(WEEKDAYS[(date.getUTCDay() + 6) % 7] as Weekday)) continue;
      const opensAt = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), hour, minute, window.timeZone);
      all.push({ opensAt, closesAt: opensAt + window.durationMinutes * MINUTE });
    }
  }
  all.sort((a, b) => a.opensAt - b.opensAt);
  const joined: Opening[] = [];
  for (const opening of all) {
    const last = joined.at(-1);
    if (last && opening.opensAt <= last.closesAt) last.closesAt = Math.max(last.closesAt, opening.closesAt);
    else joined.push({ ...opening });
  }
  return joined;
}

/** The opening `at` is inside, if any. */
export function openingAt(windows: readonly MaintenanceWindow[], at: number): Opening | undefined {
  return openingsAround(windows, at).find((o) => o.opensAt <= at && at < o.closesAt);
}

/** The first opening that opens after `at`. */
export function nextOpening(windows: readonly MaintenanceWindow[], at: number): Opening | undefined {
  return openingsAround(windows, at).find((o) => o.opensAt > at);
}

/**
 * Whether a rollout may start work at `at`, and until when; or why it waits, and until when. Inside a window with
 * less than MIN_TASK_WINDOW_MS left counts as closed (the platform would refuse so short a task window).
 */
export function scheduleAt(schedule: RolloutSchedule, at: number): ScheduleStanding {
  const { startAt, windows, once } = schedule;
  const from = Math.max(at, startAt ?? at);
  if (windows.length > 0) {
    const current = openingAt(windows, from);
    const usable = current && current.closesAt - from >= MIN_TASK_WINDOW_MS ? current : undefined;
    const next = nextOpening(windows, current?.opensAt ?? from);
    const nextWindowAt = next?.opensAt ?? null;
    if (from > at) return { open: false, wait: 'START_AT', opensAt: usable ? from : nextWindowAt, nextWindowAt: usable ? from : nextWindowAt };
    if (usable) return { open: true, closesAt: usable.closesAt, nextWindowAt };
    return { open: false, wait: 'MAINTENANCE_WINDOW', opensAt: nextWindowAt, nextWindowAt };
  }
  if (once) {
    const opensAt = Math.max(from, once.opensAt);
    if (once.closesAt - opensAt < MIN_TASK_WINDOW_MS) return { open: false, wait: 'POLICY_WINDOW_CLOSED', opensAt: null, nextWindowAt: null };
    if (opensAt > at) return { open: false, wait: startAt !== null && startAt >= once.opensAt ? 'START_AT' : 'MAINTENANCE_WINDOW', opensAt, nextWindowAt: opensAt };
    return { open: true, closesAt: once.closesAt, nextWindowAt: null };
  }
  if (from > at) return { open: false, wait: 'START_AT', opensAt: from, nextWindowAt: null };
  return { open: true, closesAt: null, nextWindowAt: null };
}
