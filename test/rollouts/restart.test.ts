// A rollout's state is the store's: a gateway killed (SIGKILL) while a wave soaks, and started again on the same
// store, continues the rollout when the soak ends (on the platform's clock), with no task created twice (the
// emulator's count of creates).
import { afterAll, expect, it } from 'vitest';
import type { Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { creates, eventually, finishUpgrades, productFixture, startRolloutGateway, startRolloutStack, type Json } from './support.js';

const stacks: Stack[] = [];

afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
});

// Each engine on its own platform: two gateways of one application would void each other's tokens (one login each).
it.concurrent.each(ENGINES)('continues a rollout killed during its soak, after a restart on %s, creating no task twice', async (engine) => {
  const stack = await startRolloutStack(engine, { devices: 400, gateway: 'none' });
  stacks.push(stack);
  const { platform } = stack;
  await platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  const start = () => startRolloutGateway(stack);
  const first = await start();
  const { fileId, deviceIds } = await productFixture(first.graphql, 'WM100');
  const targets = deviceIds.slice(0, 4);
  const reply = await first.graphql(`mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }`, {
    input: { fileId, targets: { deviceIds: targets }, waves: [{ count: 2 }, { percent: 100 }], soakMinutes: 1 },
  });
  const id = reply.data.createRollout.rolloutId as string;
  await eventually(() => first.rollout(id), (r) => r.waves[0].operations.length === 1);
  const own = (r: Json) => r.waves.flatMap((w: Json) => w.operations.map((o: Json) => o.id));
  await finishUpgrades(platform);
  const soaking = await eventually(() => first.rollout(id), (r) => r.waves[0].state === 'SOAKING');
  expect(soaking.waves[1].state).toBe('PENDING');

  await first.gateway.stop('SIGKILL');
  const second = await start();
  expect((await second.rollout(id)).waves.map((w: Json) => w.state)).toEqual(['SOAKING', 'PENDING']);
  // The soak is on the platform's clock: it ends as that clock moves on.
  let next = await second.rollout(id);
  for (let step = 0; step < 60 && next.waves[1].operations.length === 0; step++) {
    await platform.advance(20);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    next = await second.rollout(id);
  }
  const created = await second.graphql('query($id: ID!) { operation(id: $id) { createdAt } }', { id: next.waves[1].operations[0].id });
  expect(Date.parse(created.data.operation.createdAt)).toBeGreaterThanOrEqual(Date.parse(soaking.waves[0].soakUntil));
  await finishUpgrades(platform);
  const done = await eventually(() => second.rollout(id), (r) => r.state === 'COMPLETED');
  expect(done.stats).toMatchObject({ total: 4, success: 4 });
  // Exactly the two tasks of its two waves: none created twice across the kill.
  expect(new Set(own(done)).size).toBe(2);
  expect(await creates(platform)).toBe(2);
  await second.gateway.stop('SIGTERM');
}, 180_000);
