// Answers kept by the response cache are never older than the mirror, with the defaults a user gets (budget 100 calls
// / 60 s, the emulator's real throttle, push on), on both store engines: a dashboard asked twice is answered the
// second time from the cache (its hits counted), a device changed on the platform reaches the mirror through the
// platform's notification, and the very next answer (the moment a subscriber hears of the change) shows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, reachableEnv } from '../harness/gateway.js';
import { collect, metric, wsClient } from '../harness/live.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const DASHBOARD = `query($id: ID!) {
  device(id: $id) { id name status }
  operations(first: 5) { nodes { id status subtasks(first: 5) { nodes { status device { name } } } } }
  fleetSummary { total }
}`;

describe.each(['sqlite', 'postgres'] as const)('answers kept until the mirror changes (%s)', (engine) => {
  let stack: Stack;
  let deviceId: string;

  beforeAll(async () => {
    stack = await startStack({ platform: { devices: 50, throttlePerMinute: 100 }, store: engine, env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5' } });
    await mirrorReady(stack.gateway, 60_000);
    deviceId = (await stack.gateway.query('{ fleet(first: 1) { nodes { id } } }')).data.fleet.nodes[0].id;
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('answer from the cache while nothing changes, and show a change the moment the mirror holds it', async () => {
    const hitsBefore = await metric(stack.gateway, 'response_cache_hits_total');
    const first = await stack.gateway.query(DASHBOARD, { id: deviceId });
    expect(first.errors).toBeUndefined();
    const { result: second, total } = await stack.callsDuring(() => stack.gateway.query(DASHBOARD, { id: deviceId }));
    expect(second.data).toEqual(first.data);
    expect(total).toBe(0);
    expect(await metric(stack.gateway, 'response_cache_hits_total')).toBeGreaterThan(hitsBefore);

    for (const round of [1, 2, 3]) {
      const name = `renamed-${engine}-${round}-${Date.now()}`;
      const client = wsClient(stack.gateway, stack.gateway.apiKey);
      const heard = collect(client, 'subscription($id: ID!) { deviceUpdated(id: $id) { name } }', { id: deviceId }, (value) => value.data?.deviceUpdated?.name === name);
      // The subscription is open before the change is made.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await stack.platform.control(`devices/${deviceId}`, { name });
      await heard;
      const next = (await stack.gateway.query(DASHBOARD, { id: deviceId })) as Json;
      expect(next.data.device.name).toBe(name);
      await client.dispose();
    }
  }, 60_000);
});
