// Maintenance windows' arithmetic: openings in a time zone (DST changes included), the opening a moment is inside,
// the next one, a schedule's start, and every bad field named by its path.
import { describe, expect, it } from 'vitest';
import { instantOf, nextOpening, openingAt, openingsAround, scheduleAt, windowViolations, type MaintenanceWindow } from '../../src/domain/maintenance-windows.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? ms : new Date(ms).toISOString());
const berlinNights: MaintenanceWindow = { days: ['SUNDAY'], start: '02:30', durationMinutes: 120, timeZone: 'Europe/Berlin' };

describe('maintenance windows', () => {
  it('opens at the local start time in its zone, on its days only', () => {
    const weeknights: MaintenanceWindow = { days: ['MONDAY', 'WEDNESDAY'], start: '22:00', durationMinutes: 180, timeZone: 'America/New_York' };
    // Sunday 2026-03-01 12:00 UTC: the next is Monday 22:00 EST = Tuesday 03:00 UTC.
    const next = nextOpening([weeknights], at('2026-03-01T12:00:00Z'));
    expect(iso(next?.opensAt)).toBe('2026-03-03T03:00:00.000Z');
    expect(iso(next?.closesAt)).toBe('2026-03-03T06:00:00.000Z');
    expect(iso(openingAt([weeknights], at('2026-03-03T05:59:00Z'))?.opensAt)).toBe('2026-03-03T03:00:00.000Z');
    expect(openingAt([weeknights], at('2026-03-03T06:00:00Z'))).toBeUndefined();
    expect(iso(nextOpening([weeknights], at('2026-03-03T03:00:00Z'))?.opensAt)).toBe('2026-03-05T03:00:00.000Z');
  });

  it('takes a start skipped by the spring DST change as the same time after the gap, and lasts its real minutes', () => {
    // Europe/Berlin springs forward on 2026-03-29 at 02:00 → 03:00: 02:30 does not exist that night.
    expect(iso(instantOf(2026, 3, 29, 2, 30, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    const opening = nextOpening([berlinNights], at('2026-03-28T12:00:00Z'));
    expect(iso(opening?.opensAt)).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(iso(opening?.closesAt)).toBe('2026-03-29T03:30:00.000Z');
    // A week before and after, the same local time at the zone's offset then.
    expect(iso(nextOpening([berlinNights], at('2026-03-21T12:00:00Z'))?.opensAt)).toBe('2026-03-22T01:30:00.000Z'); // 02:30 CET
    expect(iso(nextOpening([berlinNights], at('2026-03-30T12:00:00Z'))?.opensAt)).toBe('2026-04-05T00:30:00.000Z'); // 02:30 CEST
  });

  it('takes a start repeated by the autumn DST change at its first occurrence', () => {
    // America/New_York falls back on 2026-11-01 at 02:00 → 01:00: 01:30 happens twice (EDT first).
    const early: MaintenanceWindow = { days: ['SUNDAY'], start: '01:30', durationMinutes: 60, timeZone: 'America/New_York' };
    const opening = nextOpening([early], at('2026-10-31T12:00:00Z'));
    expect(iso(opening?.opensAt)).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
    expect(iso(opening?.closesAt)).toBe('2026-11-01T06:30:00.000Z'); // 01:30 EST: 60 real minutes
    // The day after a 25-hour day is neither skipped nor repeated.
    const daily: MaintenanceWindow = { days: ['SUNDAY', 'MONDAY'], start: '23:30', durationMinutes: 30, timeZone: 'America/New_York' };
    const opens = openingsAround([daily], at('2026-11-01T12:00:00Z')).map((o) => iso(o.opensAt));
    expect(opens).toContain('2026-11-02T04:30:00.000Z'); // Sunday 23:30 EST
    expect(opens).toContain('2026-11-03T04:30:00.000Z'); // Monday 23:30 EST
    expect(new Set(opens).size).toBe(opens.length);
  });

  it('joins overlapping windows into one opening', () => {
    const a: MaintenanceWindow = { days: ['MONDAY'], start: '01:00', durationMinutes: 120, timeZone: 'UTC' };
    const b: MaintenanceWindow = { days: ['MONDAY'], start: '02:00', durationMinutes: 120, timeZone: 'UTC' };
    const opening = openingAt([a, b], at('2026-03-02T03:30:00Z'));
    expect([iso(opening?.opensAt), iso(opening?.closesAt)]).toEqual(['2026-03-02T01:00:00.000Z', '2026-03-02T04:00:00.000Z']);
  });

  it('gives a schedule standing: before startAt, between windows, inside one, and too near its end', () => {
    const windows: MaintenanceWindow[] = [{ days: ['SUNDAY'], start: '01:00', durationMinutes: 60, timeZone: 'UTC' }];
    expect(scheduleAt({ startAt: null, windows: [] }, at('2026-03-01T00:00:00Z'))).toEqual({ open: true, closesAt: null, nextWindowAt: null });
    expect(scheduleAt({ startAt: at('2026-03-01T00:30:00Z'), windows: [] }, at('2026-03-01T00:00:00Z'))).toMatchObject({ open: false, wait: 'START_AT', opensAt: at('2026-03-01T00:30:00Z') });
    expect(scheduleAt({ startAt: null, windows }, at('2026-03-01T00:00:00Z'))).toMatchObject({ open: false, wait: 'MAINTENANCE_WINDOW', opensAt: at('2026-03-01T01:00:00Z') });
    expect(scheduleAt({ startAt: null, windows }, at('2026-03-01T01:10:00Z'))).toEqual({ open: true, closesAt: at('2026-03-01T02:00:00Z'), nextWindowAt: at('2026-03-08T01:00:00Z') });
    // Five minutes left: the platform would refuse so short a task window.
    expect(scheduleAt({ startAt: null, windows }, at('2026-03-01T01:55:00Z'))).toMatchObject({ open: false, wait: 'MAINTENANCE_WINDOW', opensAt: at('2026-03-08T01:00:00Z') });
    // A start in the middle of a window opens there.
    expect(scheduleAt({ startAt: at('2026-03-01T01:20:00Z'), windows }, at('2026-03-01T00:00:00Z'))).toMatchObject({ open: false, wait: 'START_AT', opensAt: at('2026-03-01T01:20:00Z') });
    // A CUSTOM policy's one window: once it has closed, nothing opens again.
    const once = { opensAt: at('2026-03-01T01:00:00Z'), closesAt: at('2026-03-01T02:00:00Z') };
    expect(scheduleAt({ startAt: null, windows: [], once }, at('2026-03-01T01:30:00Z'))).toEqual({ open: true, closesAt: once.closesAt, nextWindowAt: null });
    expect(scheduleAt({ startAt: null, windows: [], once }, at('2026-03-01T02:00:00Z'))).toMatchObject({ open: false, wait: 'POLICY_WINDOW_CLOSED', opensAt: null });
  });

  it("answers the README's example: weekday nights in Berlin, not before noon UTC on 1 June", () => {
    const nights: MaintenanceWindow = { days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], start: '01:00', durationMinutes: 120, timeZone: 'Europe/Berlin' };
    const standing = scheduleAt({ startAt: at('2026-06-01T12:00:00Z'), windows: [nights] }, at('2026-05-20T00:00:00Z'));
    expect(standing).toMatchObject({ open: false, wait: 'START_AT', opensAt: at('2026-06-01T23:00:00Z'), nextWindowAt: at('2026-06-01T23:00:00Z') });
  });

  it('names every bad field by its path', () => {
    const bad = windowViolations([
      { days: [], start: '24:00', durationMinutes: 5, timeZone: 'Mars/Olympus' },
      { days: ['MONDAY', 'MONDAY'], start: '7:00', durationMinutes: 1.5, timeZone: 'Europe/Berlin' },
    ]);
    expect(bad.map((v) => v.path)).toEqual([
      'input.maintenanceWindows.0.days',
      'input.maintenanceWindows.0.start',
      'input.maintenanceWindows.0.durationMinutes',
      'input.maintenanceWindows.0.timeZone',
      'input.maintenanceWindows.1.days',
      'input.maintenanceWindows.1.start',
      'input.maintenanceWindows.1.durationMinutes',
    ]);
    expect(windowViolations([berlinNights])).toEqual([]);
  });
});
