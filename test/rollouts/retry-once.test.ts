// retryFailedDevices makes one rollout per ended task and set of devices while that rollout has not ended: concurrent
// calls under different keys, and one without a key, on two gateways sharing the store where the engine allows it,
// all answer the same rollout, and the platform is asked for one task. Once it has ended, a retry makes a new one.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { reachableEnv, type TestGateway } from '../harness/gateway.js';
import type { Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { creates, eventually, finishUpgrades, mirrorReady, productFixture, ROLLOUT_FIELDS, startRolloutStack, type Json } from './support.js';

const RETRY = `mutation($id: ID!, $key: String) { retryFailedDevices(operationId: $id, idempotencyKey: $key) { rolloutId } }`;
const stacks: Stack[] = [];

afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
});

// Each engine on its own platform; on PostgreSQL two gateways share the store (and its token), on SQLite one.
it.concurrent.each(ENGINES)('answers concurrent retries of one failed set with one rollout and one platform task on %s', async (engine) => {
  const stack = await startRolloutStack(engine, { devices: 400 });
  stacks.push(stack);
  const { platform } = stack;
  const first = stack.gateway;
  const second: TestGateway = engine === 'postgres' ? await stack.startGateway({ env: await reachableEnv() }) : first;
  if (second !== first) await mirrorReady(second);
  const graphql = first.query;
  const { fileId, deviceIds } = await productFixture(graphql, 'WM100');
  const targets = deviceIds.slice(0, 4);
  await platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  await platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: targets.slice(0, 2) });
  const task = await graphql(`mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }`, { input: { fileId, targets: { deviceIds: targets } } });
  const operationId = task.data.createFirmwareUpgradeTask.operationId as string;
  await finishUpgrades(platform);
  await eventually(() => graphql('query($id: ID!) { operation(id: $id) { status } }', { id: operationId }), (x) => x.data.operation.status === 'FAILED', 75_000);

  const rollouts = async () => (await graphql('{ rollouts { totalCount } }')).data.rollouts.totalCount as number;
  const before = { creates: await creates(platform), rollouts: await rollouts() };
  const replies = await Promise.all([
    first.query(RETRY, { id: operationId, key: randomUUID() }),
    second.query(RETRY, { id: operationId, key: randomUUID() }),
    second.query(RETRY, { id: operationId }),
    first.query(RETRY, { id: operationId }),
  ]);
  for (const reply of replies) expect(reply.errors).toBeUndefined();
  const ids = new Set(replies.map((r: Json) => r.data.retryFailedDevices.rolloutId as string));
  expect(ids.size).toBe(1);
  const [rolloutId] = [...ids] as [string];
  const rollout = async (id: string): Promise<Json> => (await graphql(`query($id: ID!) { rollout(id: $id) { ${ROLLOUT_FIELDS} } }`, { id })).data.rollout;
  const running = await eventually(() => rollout(rolloutId), (r) => r.waves[0].operations.length === 1);
  expect([...running.waves[0].deviceIds].sort()).toEqual(targets.slice(0, 2).sort());
  expect(await rollouts()).toBe(before.rollouts + 1);
  expect((await creates(platform)) - before.creates).toBe(1);

  // While it runs, a later call under yet another key gets it too; once it has ended, a retry is a new rollout.
  expect((await second.query(RETRY, { id: operationId, key: randomUUID() })).data.retryFailedDevices.rolloutId).toBe(rolloutId);
  await graphql(`mutation($id: ID!) { cancelRollout(id: $id) { state } }`, { id: rolloutId });
  const again = await first.query(RETRY, { id: operationId, key: randomUUID() });
  expect(again.errors).toBeUndefined();
  expect(again.data.retryFailedDevices.rolloutId).not.toBe(rolloutId);
  await graphql(`mutation($id: ID!) { cancelRollout(id: $id) { state } }`, { id: again.data.retryFailedDevices.rolloutId });
}, 180_000);
