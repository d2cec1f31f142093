import { describe, expect, it } from 'vitest';
import { dynamicGroupNameProblem, followUpWaveSizes } from '../../src/domain/dynamic-groups.js';

describe('followUpWaveSizes', () => {
  it("splits a continuous rollout's newly matching devices by its own rules, dropping the waves left empty", () => {
    expect(followUpWaveSizes(1, [{ count: 4 }, { percent: 50 }, { percent: 100 }])).toEqual([1]);
    expect(followUpWaveSizes(6, [{ count: 4 }, { percent: 50 }, { percent: 100 }])).toEqual([4, 2]);
    expect(followUpWaveSizes(40, [{ count: 4 }, { percent: 50 }, { percent: 100 }])).toEqual([4, 20, 16]);
    expect(followUpWaveSizes(3, [{ percent: 10 }, { percent: 10 }])).toEqual([1, 2]);
    expect(followUpWaveSizes(2, [{ count: 1 }, { percent: 100 }])).toEqual([1, 1]);
    expect(followUpWaveSizes(0, [{ percent: 100 }])).toEqual([]);
  });
});

describe('dynamicGroupNameProblem', () => {
  it('takes a name of 1 to 128 characters without surrounding spaces or control characters', () => {
    expect(dynamicGroupNameProblem('Pilot ring V9')).toBeUndefined();
    expect(dynamicGroupNameProblem('x'.repeat(128))).toBeUndefined();
    expect(dynamicGroupNameProblem('x'.repeat(129))).toMatch(/at most 128/);
    expect(dynamicGroupNameProblem('   ')).toMatch(/empty/);
    expect(dynamicGroupNameProblem(' Pilot')).toMatch(/spaces/);
    expect(dynamicGroupNameProblem('Pilot\nring')).toMatch(/control/);
  });
});
