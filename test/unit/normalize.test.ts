import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/datasources/normalize.js';
import { statsOf } from '../../src/domain/upgrade-tasks.js';

function normalizer() {
  const warnings: string[] = [];
  return { normalize: new Normalizer((m) => warnings.push(m)), warnings };
}

describe('Normalizer', () => {
  it('converts compact platform times to ISO-8601 UTC', () => {
    const { normalize } = normalizer();
    expect(normalize.time('20151212T121212Z', 't')).toBe('2015-12-12T12:12:12Z');
    expect(normalize.time('2015-12-12T12:12:12.000Z', 't')).toBe('2015-12-12T12:12:12Z');
    expect(normalize.time(undefined, 't')).toBeUndefined();
  });

  it('reads every documented spelling of a status as one value', () => {
    const { normalize, warnings } = normalizer();
    const stats = statsOf({ total: 1, success: 1 });
    for (const spelling of ['fail', 'failed', 'FAIL', 'Failed']) expect(normalize.operationStatus(spelling, stats)).toBe('FAILED');
    for (const spelling of ['fail', 'failed', 'FAIL']) expect(normalize.subtaskStatus(spelling)).toBe('FAILED');
    expect(normalize.subtaskStatus('stop')).toBe('STOPPED');
    expect(normalize.subtaskStatus('timeout')).toBe('TIMEOUT');
    expect(normalize.executeType('device_online')).toBe('DEVICE_ONLINE');
    expect(normalize.batchTaskDetailStatus('WaitResult')).toBe('WAIT_RESULT');
    expect(warnings).toEqual([]);
  });

  it('logs an unknown value once and keeps going with an in-progress state', () => {
    const { normalize, warnings } = normalizer();
    expect(normalize.subtaskStatus('paused')).toBe('PROCESSING');
    expect(normalize.subtaskStatus('paused')).toBe('PROCESSING');
    expect(normalize.batchTaskStatus('Suspended')).toBe('RUNNING');
    expect(normalize.deviceStatus('SLEEPING')).toBeUndefined();
    expect(warnings).toEqual([
      'the platform sent an unknown subtask status: "paused"',
      'the platform sent an unknown batch task status: "Suspended"',
      'the platform sent an unknown device status: "SLEEPING"',
    ]);
  });

  it('derives an unknown task status from its counts instead of guessing an outcome', () => {
    const { normalize } = normalizer();
    expect(normalize.operationStatus('halted', statsOf({ total: 2, success: 2 }))).toBe('SUCCESS');
    expect(normalize.operationStatus('halted', statsOf({ total: 2, success: 1, fail: 1 }))).toBe('FAILED');
    expect(normalize.operationStatus('halted', statsOf({ total: 2, processing: 1, wait: 1 }))).toBe('PROCESSING');
    expect(normalize.operationStatus('halted', statsOf({ total: 2, wait: 2 }))).toBe('WAIT');
  });

  it('computes the task statistics from staResult', () => {
    expect(statsOf({ total: 8, wait: 1, processing: 1, success: 3, fail: 1, stop: 1, timeout: 1 })).toEqual({
      total: 8, wait: 1, processing: 1, success: 3, fail: 1, stop: 1, timeout: 1, completed: 6, progress: 0.75, successRate: 0.375,
    });
    expect(statsOf({ total: 0 })).toMatchObject({ progress: 0, successRate: undefined });
  });

  it('gives progress and success rate as fractions rounded to 4 places, for upgrade and batch tasks alike', () => {
    expect(statsOf({ total: 114, success: 97, fail: 0 })).toMatchObject({ progress: 0.8509, successRate: 0.8509 });
    expect(statsOf({ total: 3, success: 2, fail: 0 })).toMatchObject({ progress: 0.6667, successRate: 0.6667 });
    const { normalize } = normalizer();
    const task = normalize.batchTask({ taskId: 't1', taskType: 'DeviceCmd', status: 'Running', totalCnt: 3, progress: 667, successRate: 333 });
    expect(task.stats).toMatchObject({ progress: 0.667, successRate: 0.333 });
  });

  it('reads a batch task’s timeout in minutes, as it is given on create, from the platform’s seconds', () => {
    const { normalize } = normalizer();
    expect(normalize.batchTask({ taskId: 't1', taskType: 'DeviceCmd', status: 'Running', timeout: 600 }).timeout).toBe(10);
    expect(normalize.batchTask({ taskId: 't1', taskType: 'DeviceCmd', status: 'Running', timeout: 172_800 }).timeout).toBe(2880);
    expect(normalize.batchTask({ taskId: 't1', taskType: 'DeviceCmd', status: 'Running' }).timeout).toBeUndefined();
  });

  it('reads a batch task: per-mille as 0..1, quoted totals, tags, and the device list of a DeviceList task', () => {
    const { normalize } = normalizer();
    const task = normalize.batchTask({
      taskId: 't1', taskType: 'DeviceCmd', status: 'Running', totalCnt: '4', successCnt: 1, failCnt: 1, timeoutCnt: 0, completeCnt: 2,
      progress: 500, successRate: 250, param: { type: 'DeviceList', deviceList: ['a', 'b'] }, tags: [{ tagName: 'k', tagValue: 'v' }],
    });
    expect(task.stats).toMatchObject({ total: 4, completed: 2, progress: 0.5, successRate: 0.25 });
    expect(task.deviceIds).toEqual(['a', 'b']);
    expect(task.tags).toEqual([{ name: 'k', value: 'v' }]);
  });

  it('parses a batch subtask error, which the platform sends as a JSON string', () => {
    const { normalize } = normalizer();
    expect(normalize.batchTaskDetail({ status: 'Fail', error: '{"error_code":"100434","error_desc":"no"}' }).error).toEqual({ code: '100434', description: 'no' });
    expect(normalize.batchTaskDetail({ status: 'Fail', error: 'not json' }).error).toEqual({ code: 'UNKNOWN', description: 'not json' });
  });
});
