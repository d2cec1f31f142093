// Scheduled rollouts against the emulator, its clock moved fast: a rollout created outside its maintenance window
// waits, says why and until when, and starts at the window's opening on the platform's clock with a CUSTOM task
// window inside it; a wave its window's end cuts does not halt the rollout (its timeouts are no failures) and its
// unfinished devices are taken again, by exactly one new task, in the next window; a startAt under the defaults
// (budget 100 a minute, the emulator's real throttle, push on); bad schedules refused by field path, changing nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachableEnv } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { creates, eventually, finishUpgrades, mirrorReady, productFixture, type Json } from './support.js';

const MINUTE = 60_000;
const FIELDS = `id state haltReason startAt nextWindowAt windowClosesAt waitingFor waitReason
  maintenanceWindows { days start durationMinutes timeZone }
  stats { total success fail timeout completed }
  waves { index state windowCuts stats { total wait success timeout }
    operations { id status createdAt policy { executeType startTime endTime } targets { deviceIds } stats { total success fail timeout } } }`;
const CREATE = `mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId rollout { ${FIELDS} } } }`;
const ROLLOUT = `query($id: ID!) { rollout(id: $id) { ${FIELDS} } }`;
const EVERY_DAY = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

/** "HH:MM" of `ms` in `zone`. */
const hhmm = (ms: number, zone: string) => new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
/** As the DateTime scalar writes it: whole seconds. */
const isoOf = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/**
 * How many of the platform's tasks target each device (the mirror's list, which takes the gateway's own creates at
 * once): a second create of one task shows here, a create call the platform refused does not.
 */
const tasksOn = (stack: Stack, deviceIds: string[]): Promise<number[]> =>
  Promise.all(deviceIds.map(async (id) => (await stack.gateway.query('query($id: ID!) { operations(filter: { deviceId: $id }, first: 0) { totalCount } }', { id })).data.operations.totalCount as number));
const platformNow = async (stack: Stack): Promise<number> => Date.parse((await stack.platform.control('clock', undefined, 'GET')).now);

function client(stack: Stack) {
  const graphql = (query: string, variables?: Record<string, unknown>) => stack.gateway.query(query, variables);
  return {
    graphql,
    rollout: async (id: string): Promise<Json> => (await graphql(ROLLOUT, { id })).data.rollout,
    created: async (input: Record<string, unknown>): Promise<Json> => {
      const reply = await graphql(CREATE, { input });
      expect(reply.errors).toBeUndefined();
      return reply.data.createRollout.rollout;
    },
  };
}

describe.each(ENGINES)('scheduled rollouts on %s', (engine) => {
  let stack: Stack;
  let fileId: string;
  let devices: string[];

  beforeAll(async () => {
    // The mirror polls every 5 s: the gateway reads the platform's clock moved on from that poll's answers.
    stack = await startStack({ platform: { devices: 400 }, store: engine, env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5', MIRROR_POLL_SECONDS: '5' } });
    await mirrorReady(stack.gateway);
    ({ fileId, deviceIds: devices } = await productFixture(stack.gateway.query, 'WM100'));
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('starts at its window opening on the platform clock, and continues a wave cut by the window end in the next window', async () => {
    const { rollout, created } = client(stack);
    const zone = 'Asia/Tokyo';
    const opening = Math.ceil(((await platformNow(stack)) + 60 * MINUTE) / MINUTE) * MINUTE;
    const window = { days: EVERY_DAY, start: hhmm(opening, zone), durationMinutes: 10, timeZone: zone };
    const targets = devices.slice(0, 4);
    // Two devices fail every run and retry (a minute apart): they cannot finish inside a 10-minute window.
    const [slowA, slowB] = targets as [string, string];
    await stack.platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: [slowA, slowB] });
    const before = await creates(stack.platform);
    const tasksBefore = await tasksOn(stack, targets);
    const r = await created({ fileId, targets: { deviceIds: targets }, waves: [{ percent: 100 }], maintenanceWindows: [window], failureThreshold: { percent: 50 }, policy: { retry: true, retryTimes: 5 } });
    expect(r).toMatchObject({ state: 'RUNNING', waitingFor: 'MAINTENANCE_WINDOW', nextWindowAt: isoOf(opening), maintenanceWindows: [window] });
    expect(r.waitReason).toContain(isoOf(opening));

    // Nothing starts outside the window, however long the gateway looks.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect((await rollout(r.id)).waves[0].state).toBe('PENDING');
    expect(await creates(stack.platform)).toBe(before);

    await stack.platform.advance((opening - (await platformNow(stack))) / 1000, 600);
    const started = await eventually(() => rollout(r.id), (x) => x.waves[0].operations.length === 1, 60_000);
    const [task] = started.waves[0].operations;
    expect(task.policy.executeType).toBe('CUSTOM');
    expect(Date.parse(task.createdAt)).toBeGreaterThanOrEqual(opening);
    expect(Date.parse(task.policy.startTime)).toBeGreaterThanOrEqual(opening);
    expect(Date.parse(task.policy.startTime)).toBeLessThan(opening + 4 * MINUTE);
    expect(task.policy.endTime).toBe(isoOf(opening + 10 * MINUTE));
    expect(started).toMatchObject({ waitingFor: null, windowClosesAt: isoOf(opening + 10 * MINUTE), nextWindowAt: isoOf(opening + 24 * 60 * MINUTE) });

    // The window ends: the platform times out the two devices still retrying; the rollout waits for the next window.
    await stack.platform.advance((opening + 11 * MINUTE - (await platformNow(stack))) / 1000, 20);
    const cut = await eventually(() => rollout(r.id), (x) => x.waves[0].windowCuts === 2, 60_000);
    expect(cut).toMatchObject({ state: 'RUNNING', haltReason: null, waitingFor: 'MAINTENANCE_WINDOW', nextWindowAt: isoOf(opening + 24 * 60 * MINUTE) });
    // The task itself: two timed out (its notices say failed until the mirror reads the platform's list).
    const own = cut.waves[0].operations[0].stats;
    expect([own.total, own.success, own.fail + own.timeout]).toEqual([4, 2, 2]);
    // The cut devices count once, waiting for their new task; the threshold saw no failure.
    expect(cut.waves[0].stats).toMatchObject({ total: 4, success: 2, wait: 2, timeout: 0 });
    expect(cut.waves[0].state).toBe('RUNNING');
    expect(await tasksOn(stack, targets)).toEqual(tasksBefore.map((n) => n + 1));

    // In the next window the two devices succeed, in one new task created once.
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, deviceIds: [slowA, slowB] });
    const next = opening + 24 * 60 * MINUTE;
    await stack.platform.advance((next - (await platformNow(stack))) / 1000, 3600);
    const resumed = await eventually(() => rollout(r.id), (x) => x.waves[0].operations.length === 2, 60_000);
    const again = resumed.waves[0].operations[1];
    expect([...again.targets.deviceIds].sort()).toEqual([slowA, slowB].sort());
    expect(Date.parse(again.policy.startTime)).toBeGreaterThanOrEqual(next);
    expect(again.policy.endTime).toBe(isoOf(next + 10 * MINUTE));
    await finishUpgrades(stack.platform);
    const done = await eventually(() => rollout(r.id), (x) => x.state === 'COMPLETED', 60_000);
    expect(done.stats).toMatchObject({ total: 4, success: 4, fail: 0, timeout: 0, completed: 4 });
    expect(done.waves[0]).toMatchObject({ state: 'DONE', windowCuts: 2 });
    // Each task created once: a create call the platform refused (a token the clock's jump expired) made nothing.
    const slow = new Set([slowA, slowB]);
    expect(await tasksOn(stack, targets)).toEqual(tasksBefore.map((n, i) => n + (slow.has(targets[i] as string) ? 2 : 1)));
  }, 240_000);

  it('refuses bad schedules with every field path, storing and creating nothing', async () => {
    const { graphql } = client(stack);
    const before = { creates: await creates(stack.platform), rollouts: (await graphql('{ rollouts { totalCount } }')).data.rollouts.totalCount };
    const reply = await graphql(CREATE, {
      input: {
        fileId,
        targets: { deviceIds: devices.slice(10, 12) },
        waves: [{ percent: 100 }],
        startAt: '2030-01-01T00:00:00Z',
        policy: { executeType: 'CUSTOM', startTime: '2029-01-01T00:00:00Z', endTime: '2029-01-01T01:00:00Z' },
        maintenanceWindows: [
          { days: [], start: '25:00', durationMinutes: 5, timeZone: 'Europe/Atlantis' },
          { days: ['MONDAY', 'MONDAY'], start: '02:00', durationMinutes: 60, timeZone: 'Europe/Berlin' },
        ],
      },
    });
    expect(reply.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((reply.errors[0].extensions.validationErrors as Json[]).map((v) => v.path).sort()).toEqual(
      [
        'input.maintenanceWindows.0.days',
        'input.maintenanceWindows.0.start',
        'input.maintenanceWindows.0.durationMinutes',
        'input.maintenanceWindows.0.timeZone',
        'input.maintenanceWindows.1.days',
        'input.startAt',
        'input.policy.executeType',
      ].sort(),
    );
    expect(await creates(stack.platform)).toBe(before.creates);
    expect((await graphql('{ rollouts { totalCount } }')).data.rollouts.totalCount).toBe(before.rollouts);
  });
});

describe("a CUSTOM policy's window without maintenance windows", () => {
  let stack: Stack;
  afterAll(async () => {
    await stack?.close();
  });

  it('gives a later wave what is left of the window, and halts, saying why, once it has closed', async () => {
    // The platform's clock at this wall time: a CUSTOM window's start is checked against it on input.
    stack = await startStack({ platform: { devices: 400, startTime: new Date().toISOString() }, store: 'sqlite', env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5', MIRROR_POLL_SECONDS: '5' } });
    await mirrorReady(stack.gateway);
    const { rollout, created, graphql } = client(stack);
    const { fileId, deviceIds } = await productFixture(graphql, 'WM100');
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
    const now = await platformNow(stack);
    const [start, end] = [Math.ceil((now + MINUTE) / 1000) * 1000, Math.ceil((now + 30 * MINUTE) / 1000) * 1000];
    const before = await creates(stack.platform);
    const r = await created({
      fileId,
      targets: { deviceIds: deviceIds.slice(0, 3) },
      waves: [{ count: 1 }, { count: 1 }, { count: 1 }],
      policy: { executeType: 'CUSTOM', startTime: isoOf(start), endTime: isoOf(end) },
    });
    expect(r).toMatchObject({ waitingFor: 'MAINTENANCE_WINDOW', nextWindowAt: isoOf(start) });
    await stack.platform.advance(60, 60);
    await eventually(() => rollout(r.id), (x) => x.waves[0].operations.length === 1, 30_000);
    await finishUpgrades(stack.platform);
    // The second wave starts minutes after the policy's start: its task's window starts now (the platform refuses a
    // start in the past) and ends with the policy's.
    const second = (await eventually(() => rollout(r.id), (x) => x.waves[1].operations.length === 1, 30_000)).waves[1].operations[0];
    expect(Date.parse(second.policy.startTime)).toBeGreaterThan(start + 5 * MINUTE);
    expect(second.policy.endTime).toBe(isoOf(end));
    // The window closes while the second wave runs: no task of the third is created.
    await stack.platform.advance(30 * 60, 60);
    const halted = await eventually(() => rollout(r.id), (x) => x.state === 'HALTED', 30_000);
    expect(halted.haltReason).toMatch(/^no task of wave 3 can be created: the policy's CUSTOM window \(.+\) has closed/);
    expect(halted.waves.map((w: Json) => w.state)).toEqual(['DONE', 'DONE', 'PENDING']);
    expect(await creates(stack.platform)).toBe(before + 2);
  }, 120_000);
});

describe('a rollout with startAt, under the defaults', () => {
  let stack: Stack;
  afterAll(async () => {
    await stack?.close();
  });

  it('waits for its start on the platform clock, then runs its waves as any rollout', async () => {
    // The defaults: a budget of 100 calls a minute, the emulator's real throttle of 100, push on, the mirror's share
    // (0.5: the gateway's default, which the test stack turns off unless given) and its poll every 30 s.
    stack = await startStack({ platform: { devices: 400, throttlePerMinute: 100 }, store: 'sqlite', env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5' } });
    await mirrorReady(stack.gateway);
    const { rollout, created, graphql } = client(stack);
    const { fileId, deviceIds } = await productFixture(graphql, 'WM100');
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
    const startAt = Math.ceil(((await platformNow(stack)) + 30 * MINUTE) / 1000) * 1000;
    const before = await creates(stack.platform);
    const r = await created({ fileId, targets: { deviceIds: deviceIds.slice(0, 2) }, waves: [{ percent: 100 }], startAt: isoOf(startAt) });
    expect(r).toMatchObject({ state: 'RUNNING', startAt: isoOf(startAt), waitingFor: 'START_AT', nextWindowAt: isoOf(startAt) });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect((await rollout(r.id)).waves[0].state).toBe('PENDING');

    await stack.platform.advance(30 * 60, 600);
    // The mirror's poll (every 30 s) carries the platform's clock moved on.
    const started = await eventually(() => rollout(r.id), (x) => x.waves[0].operations.length === 1, 75_000);
    expect(started.waitingFor).toBeNull();
    expect(started.waves[0].operations[0].policy.executeType).toBe('NOW');
    expect(Date.parse(started.waves[0].operations[0].createdAt)).toBeGreaterThanOrEqual(startAt);
    await finishUpgrades(stack.platform);
    await eventually(() => rollout(r.id), (x) => x.state === 'COMPLETED', 60_000);
    expect(await creates(stack.platform)).toBe(before + 1);
  }, 240_000);
});
