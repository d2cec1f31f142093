// The throttle's sliding window (DESIGN.md §4): per application, counted at arrival on the emulated clock, refused
// calls not counted. Its cost per call is in `npm run bench` (bench/emulator.ts), not timed here.
import { describe, expect, test } from 'vitest';
import { Throttle } from '../../src/emulator/throttle.js';

const refused = (throttle: Throttle, appId: string, now: number, limit: number | null) => {
  try {
    throttle.take(appId, now, limit);
    return false;
  } catch (error) {
    expect((error as { code?: string }).code).toBe('1010009');
    return true;
  }
};

describe('Throttle', () => {
  test('a sliding 60 s window per application; refused calls do not count', () => {
    const t = new Throttle();
    expect([0, 10_000, 20_000].map((at) => refused(t, 'a', at, 3))).toEqual([false, false, false]);
    expect(refused(t, 'a', 30_000, 3)).toBe(true);
    expect(refused(t, 'b', 30_000, 3), 'another app has its own window').toBe(false);
    expect(refused(t, 'a', 59_999, 3)).toBe(true);
    expect(refused(t, 'a', 60_000, 3), 'the call at 0 left the window').toBe(false);
    expect(refused(t, 'a', 60_001, 3), 'the refused calls at 30 s and 59.999 s never counted').toBe(true);
    expect(refused(t, 'a', 70_000, 3)).toBe(false);
  });

  test('200,000 calls on a manual clock (nothing expires), then the window empties at once', () => {
    const t = new Throttle();
    for (let i = 0; i < 200_000; i++) t.take('a', 1000, null);
    expect(refused(t, 'a', 1000, 200_000), 'null records calls without limiting them').toBe(true);
    expect(refused(t, 'a', 1000, 200_001)).toBe(false);
    expect(refused(t, 'a', 60_999, 1), 'the calls at 1 s are still in the window').toBe(true);
    expect(refused(t, 'a', 61_000, 1), 'all 200,001 left it together').toBe(false);
    expect(refused(t, 'a', 61_000, 1)).toBe(true);
  });
});
