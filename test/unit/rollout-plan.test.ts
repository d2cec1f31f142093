import { describe, expect, it } from 'vitest';
import { statsOf } from '../../src/domain/upgrade-tasks.js';
import { sumStats, taskParts, thresholdCrossed, thresholdStanding, waveSizes } from '../../src/domain/rollouts.js';

describe('waveSizes', () => {
  it('counts, rounds percentages of all targets up, and gives the last wave what remains', () => {
    expect(waveSizes(40, [{ count: 4 }, { percent: 50 }, { percent: 100 }])).toEqual([4, 20, 16]);
    expect(waveSizes(191, [{ count: 4 }, { percent: 50 }, { percent: 100 }])).toEqual([4, 96, 91]);
    expect(waveSizes(3, [{ percent: 10 }, { percent: 10 }])).toEqual([1, 2]);
    expect(waveSizes(600, [{ percent: 100 }])).toEqual([600]);
  });

  it('names the wave that is wrong', () => {
    expect(waveSizes(3, [{ count: 5 }, { percent: 100 }])).toMatchObject({ path: 'input.waves.1' });
    expect(waveSizes(10, [{ count: 1, percent: 5 }])).toMatchObject({ path: 'input.waves.0' });
    expect(waveSizes(10, [{}])).toMatchObject({ path: 'input.waves.0' });
    expect(waveSizes(10, [{ count: 0 }])).toMatchObject({ path: 'input.waves.0.count' });
    expect(waveSizes(10, [{ count: 2.5 }])).toMatchObject({ path: 'input.waves.0.count' });
    expect(waveSizes(10, [{ percent: 0 }])).toMatchObject({ path: 'input.waves.0.percent' });
    expect(waveSizes(10, [{ percent: 101 }])).toMatchObject({ path: 'input.waves.0.percent' });
    expect(waveSizes(10, [])).toMatchObject({ path: 'input.waves' });
  });
});

describe('taskParts', () => {
  it('splits devices into platform tasks of at most 256, in order', () => {
    const ids = Array.from({ length: 600 }, (_, i) => `d${i}`);
    const parts = taskParts(ids);
    expect(parts.map((p) => p.length)).toEqual([256, 256, 88]);
    expect(parts.flat()).toEqual(ids);
  });
});

describe('thresholdCrossed', () => {
  const stats = (success: number, fail: number, timeout: number, wait = 0) => statsOf({ total: success + fail + timeout + wait, success, fail, timeout, wait });

  it('halts once failed / finished reaches the percent, with at least minFinished finished, and says so', () => {
    expect(thresholdCrossed(stats(3, 1, 0, 6), { percent: 25, minFinished: 1 })).toBe(
      '1 of 4 finished devices failed or timed out (25%), reaching the failure threshold of 25%',
    );
    expect(thresholdCrossed(stats(4, 1, 0), { percent: 25, minFinished: 1 })).toBeUndefined();
    expect(thresholdCrossed(stats(0, 1, 1, 8), { percent: 50, minFinished: 3 })).toBeUndefined();
    expect(thresholdCrossed(stats(0, 0, 0, 8), { percent: 1, minFinished: 1 })).toBeUndefined();
  });

  it('after a resume, judges only what finished since', () => {
    const since = { failed: 4, finished: 4 };
    expect(thresholdCrossed(stats(2, 4, 0), { percent: 50, minFinished: 1 }, since)).toBeUndefined();
    expect(thresholdCrossed(stats(2, 5, 1), { percent: 50, minFinished: 1 }, since)).toMatch(/^2 of 4 finished devices failed or timed out since the rollout was last resumed \(50%\)/);
  });

  it('tells where a rollout stands: what the threshold judges, and how many finished devices it waits for', () => {
    expect(thresholdStanding(stats(2, 1, 0, 7), { percent: 20, minFinished: 5 })).toEqual({ failed: 1, finished: 3, appliesAt: 5, applies: false, sinceResume: false });
    expect(thresholdStanding(stats(3, 1, 1, 5), { percent: 20, minFinished: 5 })).toEqual({ failed: 2, finished: 5, appliesAt: 5, applies: true, sinceResume: false });
    expect(thresholdStanding(stats(2, 5, 1), { percent: 50, minFinished: 1 }, { failed: 4, finished: 4 })).toEqual({ failed: 2, finished: 4, appliesAt: 1, applies: true, sinceResume: true });
    // Nothing finished: nothing to judge, whatever minFinished says.
    expect(thresholdStanding(stats(0, 0, 0, 8), { percent: 1, minFinished: 0 })).toMatchObject({ appliesAt: 1, applies: false });
  });

  it('adds task figures up over waves', () => {
    expect(sumStats([stats(1, 1, 0), stats(2, 0, 1, 1)])).toMatchObject({ total: 6, success: 3, fail: 1, timeout: 1, wait: 1, completed: 5 });
  });
});
