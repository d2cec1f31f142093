// Rollouts on both store engines, against the emulator over real HTTP: waves run in order and only after the one
// before has ended; failures past the threshold halt the rollout and no further task is created; pause holds the
// next wave back; a wave over 256 devices is several platform tasks; retryFailedDevices takes exactly the failed
// and timed-out devices; bad input is refused with field paths and changes nothing; every change is published.
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TEST_API_KEY } from '../harness/gateway.js';
import type { Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { creates, eventually, finishUpgrades, productFixture, ROLLOUT_FIELDS, startRolloutStack, type Json } from './support.js';

const CREATE = `mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId rollout { ${ROLLOUT_FIELDS} } } }`;
const ROLLOUT = `query($id: ID!) { rollout(id: $id) { ${ROLLOUT_FIELDS} } }`;
const WAVES = [{ count: 4 }, { percent: 50 }, { percent: 100 }];

const sorted = (ids: readonly string[]) => [...ids].sort();

describe.each(ENGINES)('rollouts on %s', (engine) => {
  let stack: Stack;
  let fileId: string;
  let version: string;
  let devices: string[];
  const graphql = (query: string, variables?: Record<string, unknown>) => stack.gateway.query(query, variables);
  const rollout = async (id: string): Promise<Json> => (await graphql(ROLLOUT, { id })).data.rollout;
  const create = async (input: Record<string, unknown>): Promise<Json> => graphql(CREATE, { input: { fileId, ...input } });
  const created = async (input: Record<string, unknown>): Promise<Json> => {
    const reply = await create(input);
    expect(reply.errors).toBeUndefined();
    return reply.data.createRollout.rollout;
  };
  /** Waits for the wave to have its tasks on the platform, then lets the platform finish them. */
  async function runWave(id: string, index: number, tasks = 1): Promise<Json> {
    await eventually(() => rollout(id), (r) => r.waves[index].state === 'RUNNING' && r.waves[index].operations.length === tasks);
    await finishUpgrades(stack.platform);
    return eventually(() => rollout(id), (r) => ['DONE', 'SOAKING'].includes(r.waves[index].state) || r.state === 'HALTED');
  }

  beforeAll(async () => {
    stack = await startRolloutStack(engine);
    ({ fileId, version, deviceIds: devices } = await productFixture(graphql, 'WM100'));
    // Every upgrade succeeds unless a test steers its devices otherwise.
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('runs waves [4, 50 %, 100 %] of 40 devices one after another to COMPLETED, each device upgraded, publishing each change', async () => {
    const targets = devices.slice(0, 40);
    const before = await creates(stack.platform);
    const r = await created({ name: 'forty', targets: { deviceIds: targets }, waves: WAVES, failureThreshold: { percent: 50 } });
    expect(r).toMatchObject({ state: 'RUNNING', total: 40, targetVersion: version });
    expect(r.waves.map((w: Json) => w.size)).toEqual([4, 20, 16]);
    expect(sorted(r.waves.flatMap((w: Json) => w.deviceIds))).toEqual(sorted(targets));

    const client = createClient({ url: stack.gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { 'x-api-key': TEST_API_KEY }, retryAttempts: 0 });
    const published: Json[] = [];
    const unsubscribe = client.subscribe({ query: `subscription($id: ID!) { rolloutUpdated(id: $id) { state waves { state operations { status } } stats { completed } } }`, variables: { id: r.id } }, {
      next: (message) => published.push(message.data?.rolloutUpdated),
      error: () => undefined,
      complete: () => undefined,
    });
    try {
      for (const index of [0, 1, 2]) {
        const after = await runWave(r.id, index);
        // The next wave had not started while this one ran.
        expect(after.waves.slice(index + 1).every((w: Json) => w.state === 'PENDING' || w.state === 'RUNNING')).toBe(true);
      }
      const done = await eventually(() => rollout(r.id), (x) => x.state === 'COMPLETED');
      expect(done.stats).toMatchObject({ total: 40, success: 40, fail: 0, completed: 40 });
      for (const [index, wave] of done.waves.entries()) {
        expect(wave.state).toBe('DONE');
        expect(sorted(wave.operations.flatMap((o: Json) => o.targets.deviceIds))).toEqual(sorted(wave.deviceIds));
        if (index > 0) expect(Date.parse(wave.startedAt)).toBeGreaterThanOrEqual(Date.parse(done.waves[index - 1].finishedAt));
      }
      expect((await creates(stack.platform)) - before).toBe(3);
      // Each device's new version, as the platform pushed it after the upgrade's result (the task's end may have
      // come first from the mirror's poll, while the receiver works through a fleet's worth of connectivity pushes).
      await eventually(() => graphql('query($ids: [ID!]!) { devices(ids: $ids) { id fwVersion syncedAt } }', { ids: targets }), (r) => r.data.devices.every((d: Json) => d.fwVersion === version), 15_000).catch(async (error: Error) => {
        throw new Error(`${error.message}\npushes: ${JSON.stringify((await stack.platform.control('stats')).notifications)}`);
      });
      const completed = (await eventually(async () => published, (p) => p.some((x) => x.state === 'COMPLETED'))).find((x) => x.state === 'COMPLETED');
      // Each event is read afresh: the tasks are as they stand now, not as the subscription first read them.
      expect(completed.waves.flatMap((w: Json) => w.operations.map((o: Json) => o.status))).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
      // Progress was published as it happened, not only the end.
      expect(new Set(published.map((x) => x.stats.completed)).size).toBeGreaterThan(3);
    } finally {
      unsubscribe();
      await client.dispose();
    }
  }, 120_000);

  it('halts after the first wave when its upgrades fail, says why, and creates no further task', async () => {
    const targets = devices.slice(40, 80);
    await stack.platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: targets });
    const before = await creates(stack.platform);
    const r = await created({ targets: { deviceIds: targets }, waves: WAVES, failureThreshold: { percent: 50, minFinished: 1 } });
    const halted = await runWave(r.id, 0);
    expect(halted.state).toBe('HALTED');
    // It halts at the first failure that reaches the threshold, which may come before the wave's last device ends.
    expect(halted.haltReason).toMatch(/^([1-4]) of \1 finished devices failed or timed out \(100%\), reaching the failure threshold of 50%$/);
    // The figures the reason gives, as data (read later: more of the wave may have ended since).
    expect(halted.thresholdStanding).toMatchObject({ appliesAt: 1, applies: true, sinceResume: false });
    expect(halted.thresholdStanding.failed).toBe(halted.thresholdStanding.finished);
    expect(halted.thresholdStanding.finished).toBeGreaterThanOrEqual(Number(/^\d+/.exec(halted.haltReason)?.[0]));
    expect(halted.waves[1].state).toBe('PENDING');
    // Time passes on the platform and in the gateway (several orchestrator ticks): nothing more is created.
    await finishUpgrades(stack.platform);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect((await rollout(r.id)).state).toBe('HALTED');
    expect((await creates(stack.platform)) - before).toBe(1);

    const cancelled = await graphql(`mutation($id: ID!) { cancelRollout(id: $id) { state waves { state } } }`, { id: r.id });
    expect(cancelled.data.cancelRollout.state).toBe('CANCELLED');
    expect(cancelled.data.cancelRollout.waves.map((w: Json) => w.state)).toEqual(['DONE', 'SKIPPED', 'SKIPPED']);
    const again = await graphql(`mutation($id: ID!) { resumeRollout(id: $id) { state } }`, { id: r.id });
    expect(again.errors[0].extensions).toMatchObject({ code: 'STATE_CONFLICT', state: 'CANCELLED' });
  }, 120_000);

  it('holds the next wave back while paused, and continues it on resume', async () => {
    const targets = devices.slice(80, 84);
    const before = await creates(stack.platform);
    const r = await created({ targets: { deviceIds: targets }, waves: [{ count: 2 }, { count: 2 }] });
    await eventually(() => rollout(r.id), (x) => x.waves[0].operations.length === 1);
    const paused = await graphql(`mutation($id: ID!) { pauseRollout(id: $id) { state } }`, { id: r.id });
    expect(paused.data.pauseRollout.state).toBe('PAUSED');
    // The running wave goes on to its end; the next one does not start.
    await finishUpgrades(stack.platform);
    await eventually(() => rollout(r.id), (x) => x.waves[0].state === 'DONE');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const held = await rollout(r.id);
    expect(held).toMatchObject({ state: 'PAUSED' });
    expect(held.waves[1].state).toBe('PENDING');
    expect((await creates(stack.platform)) - before).toBe(1);

    const resumed = await graphql(`mutation($id: ID!) { resumeRollout(id: $id) { state } }`, { id: r.id });
    expect(resumed.data.resumeRollout.state).toBe('RUNNING');
    await runWave(r.id, 1);
    await eventually(() => rollout(r.id), (x) => x.state === 'COMPLETED');
    expect((await creates(stack.platform)) - before).toBe(2);
  }, 120_000);

  it('makes a wave of 600 devices three platform tasks of 256, 256 and 88', async () => {
    const targets = devices.slice(100, 700);
    expect(targets).toHaveLength(600);
    const before = await creates(stack.platform);
    const r = await created({ targets: { deviceIds: targets }, waves: [{ percent: 100 }] });
    const running = await eventually(() => rollout(r.id), (x) => x.waves[0].operations.length === 3);
    expect(running.waves[0].operations.map((o: Json) => o.stats.total)).toEqual([256, 256, 88]);
    expect(sorted(running.waves[0].operations.flatMap((o: Json) => o.targets.deviceIds))).toEqual(sorted(targets));
    expect((await creates(stack.platform)) - before).toBe(3);
    await graphql(`mutation($id: ID!) { cancelRollout(id: $id) { state } }`, { id: r.id });
  }, 60_000);

  it('retries exactly the failed and timed-out devices of an ended task, and refuses while it runs or when none match', async () => {
    const targets = devices.slice(720, 726);
    const [failA, failB, late] = targets as [string, string, string];
    await stack.platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: [failA, failB] });
    await stack.platform.control('outcomes', { upgradeTimeoutRate: 1, deviceIds: [late] });
    const task = await graphql(`mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }`, { input: { fileId, targets: { deviceIds: targets } } });
    const operationId = task.data.createFirmwareUpgradeTask.operationId as string;
    const RETRY = `mutation($id: ID!, $statuses: [SubtaskStatus!]) { retryFailedDevices(operationId: $id, statuses: $statuses) { rolloutId rollout { total sourceOperation { id } waves { deviceIds } } } }`;

    const early = await graphql(RETRY, { id: operationId });
    expect(early.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', validationErrors: [expect.objectContaining({ path: 'operationId', rule: 'taskEnded' })] });

    await finishUpgrades(stack.platform);
    // The mirror sees the end from the platform's notices once it holds the task's subtasks; while the first sync's
    // backfill holds the mirror's share of the budget, that read (or the next poll) can wait up to a budget window.
    await eventually(() => graphql('query($id: ID!) { operation(id: $id) { status } }', { id: operationId }), (x) => x.data.operation.status === 'FAILED', 75_000);
    const retry = await graphql(RETRY, { id: operationId });
    expect(retry.errors).toBeUndefined();
    const { rollout: retried } = retry.data.retryFailedDevices;
    expect(retried.total).toBe(3);
    expect(retried.sourceOperation.id).toBe(operationId);
    expect(sorted(retried.waves[0].deviceIds)).toEqual(sorted([failA, failB, late]));

    const none = await graphql(RETRY, { id: operationId, statuses: ['STOPPED'] });
    expect(none.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', validationErrors: [expect.objectContaining({ path: 'statuses' })] });
    // Its one task is created before the next test counts the platform's creates.
    const retryId = retry.data.retryFailedDevices.rolloutId as string;
    await eventually(() => rollout(retryId), (x) => x.waves[0].operations.length === 1);
    await graphql(`mutation($id: ID!) { cancelRollout(id: $id) { state } }`, { id: retryId });
  }, 120_000);

  it('refuses bad input with every field path, before anything is stored or created', async () => {
    const before = { creates: await creates(stack.platform), rollouts: (await graphql('{ rollouts { totalCount } }')).data.rollouts.totalCount };
    const packages = await graphql('{ upgradePackages(first: 100) { nodes { id type model } } }');
    const otherProduct = (packages.data.upgradePackages.nodes as Json[]).find((p) => p.type === 'FIRMWARE' && p.model === 'GM10').id;
    const reply = await create({
      fileId: otherProduct,
      targets: { deviceIds: [devices[800], devices[801], devices[800], 'no-such-device'] },
      waves: [{ count: 5 }, { percent: 10 }, { count: 1, percent: 5 }],
      soakMinutes: -1,
      failureThreshold: { percent: 150, minFinished: 9 },
    });
    expect(reply.data).toBeNull();
    expect(reply.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const paths = (reply.errors[0].extensions.validationErrors as Json[]).map((v) => v.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'input.targets.deviceIds.2',
        'input.soakMinutes',
        'input.failureThreshold.percent',
        'input.failureThreshold.minFinished',
        'input.waves.1',
        'input.targets.deviceIds',
      ]),
    );
    const wrongProduct = await create({ fileId: otherProduct, targets: { deviceIds: devices.slice(800, 802) }, waves: [{ percent: 100 }] });
    expect(wrongProduct.errors[0].extensions.validationErrors).toEqual([expect.objectContaining({ path: 'input.targets.deviceIds', rule: 'packageFits' })]);
    const noMatch = await create({ targets: { filter: { model: 'WM100', nameContains: 'no device is called this' } }, waves: [{ percent: 100 }] });
    expect(noMatch.errors[0].extensions.validationErrors).toEqual([expect.objectContaining({ path: 'input.targets.filter', rule: 'matchesDevices' })]);

    expect(await creates(stack.platform)).toBe(before.creates);
    expect((await graphql('{ rollouts { totalCount } }')).data.rollouts.totalCount).toBe(before.rollouts);
  });

  it('resolves a filter once, at creation, and gives the same rollout for the same idempotency key', async () => {
    const input = { targets: { filter: { model: 'WM100', nameContains: 'Harbor' } }, waves: [{ percent: 100 }], idempotencyKey: `rollout-${engine}` };
    const [first, second] = await Promise.all([create(input), create(input)]);
    expect(first.errors).toBeUndefined();
    expect(second.data.createRollout.rolloutId).toBe(first.data.createRollout.rolloutId);
    const fleet = await graphql('{ fleet(filter: { model: "WM100", nameContains: "Harbor" }, first: 500) { totalCount } }');
    expect(first.data.createRollout.rollout.total).toBe(fleet.data.fleet.totalCount);
    await graphql(`mutation($id: ID!) { cancelRollout(id: $id) { state } }`, { id: first.data.createRollout.rolloutId });
  });
});
