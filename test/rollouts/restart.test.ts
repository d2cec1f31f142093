// A rollout's state is the store's: a gateway killed (SIGKILL) while a wave soaks, and started again on the same
// store, continues the rollout when the soak ends, with no task created twice (the emulator's count of creates).
import { afterAll, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { eventually, freePort, gatewayEnv, post, productFixture, ROLLOUT_FIELDS, startPlatform, UPGRADE_SECONDS, type Json, type Platform } from './support.js';

const processes: GatewayProcess[] = [];
const platforms: Platform[] = [];

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await Promise.all(platforms.map((p) => p.close()));
});

// Each engine on its own platform: two gateways of one application would void each other's tokens (one login each).
it.concurrent.each(ENGINES)('continues a rollout killed during its soak, after a restart on %s, creating no task twice', async (engine) => {
  const platform = await startPlatform(400);
  platforms.push(platform);
  await platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  const store = await testStoreLocation(engine);
  try {
    const env = gatewayEnv(platform, store, await freePort());
    const start = async () => {
      const gateway = await startGatewayProcess(env);
      processes.push(gateway);
      const graphql = (query: string, variables?: Record<string, unknown>) => post(gateway.url, query, variables);
      await eventually(() => graphql('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 60_000);
      return { gateway, rollout: async (id: string): Promise<Json> => (await graphql(`query($id: ID!) { rollout(id: $id) { ${ROLLOUT_FIELDS} } }`, { id })).data.rollout, graphql };
    };
    const first = await start();
    const { fileId, deviceIds } = await productFixture(first.graphql, 'WM100');
    const targets = deviceIds.slice(0, 4);
    const reply = await first.graphql(`mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }`, {
      input: { fileId, targets: { deviceIds: targets }, waves: [{ count: 2 }, { percent: 100 }], soakMinutes: 1 },
    });
    const id = reply.data.createRollout.rolloutId as string;
    await eventually(() => first.rollout(id), (r) => r.waves[0].operations.length === 1);
    const own = (r: Json) => r.waves.flatMap((w: Json) => w.operations.map((o: Json) => o.id));
    await platform.advance(UPGRADE_SECONDS);
    const soaking = await eventually(() => first.rollout(id), (r) => r.waves[0].state === 'SOAKING');
    expect(soaking.waves[1].state).toBe('PENDING');

    await first.gateway.stop('SIGKILL');
    const second = await start();
    expect((await second.rollout(id)).waves.map((w: Json) => w.state)).toEqual(['SOAKING', 'PENDING']);
    const next = await eventually(() => second.rollout(id), (r) => r.waves[1].operations.length === 1, 90_000);
    expect(Date.parse(next.waves[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(soaking.waves[0].soakUntil));
    await platform.advance(UPGRADE_SECONDS);
    const done = await eventually(() => second.rollout(id), (r) => r.state === 'COMPLETED');
    expect(done.stats).toMatchObject({ total: 4, success: 4 });
    // Exactly the two tasks of its two waves: none created twice across the kill.
    expect(new Set(own(done)).size).toBe(2);
    expect(await platform.creates()).toBe(2);
    await second.gateway.stop('SIGTERM');
  } finally {
    await store.drop();
  }
}, 180_000);
