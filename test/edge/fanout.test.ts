// Fan-out within a budget: one key's costly subscriptions cannot turn one change into hundreds of executions that
// take the PostgreSQL pool from everyone else, and subscribers asking the same thing share one execution per event.
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, reachableEnv, type TestGateway } from '../harness/gateway.js';
import { collect, metric, wsClient } from '../harness/live.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** About 7,300 by the cost rule: every subtask of the device's last 60 tasks, and each subtask's device. */
const costly = (alias: string) =>
  `subscription($id: ID!) { ${alias}: deviceUpdated(id: $id) { id name operations(first: 60) { nodes { id status subtasks(first: 60) { nodes { id status device { id name fwVersion } } } } } } }`;
const COSTLY = 7322;
const MAX_LIVE_COST = 100_000;

/** Everything a subscription sends (data or a refusal), as it comes. */
function subscribe(client: Client, query: string, variables: Record<string, unknown>): { values: Json[] } {
  const values: Json[] = [];
  client.subscribe({ query, variables }, { next: (value) => void values.push(value), error: (error) => void values.push({ failed: error }), complete: () => undefined });
  return { values };
}

async function timed<T>(action: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await action();
  return { result, ms: performance.now() - started };
}

describe('fan-out of one change to many subscribers (PostgreSQL, the gateway as a process, push on)', () => {
  let stack: Stack;
  let gateway: TestGateway;
  let device: string;
  const clients: Client[] = [];
  const fleet = '{ fleet(first: 50) { nodes { id name fwVersion } } }';

  beforeAll(async () => {
    const env = { ...(await reachableEnv()), GATEWAY_API_KEYS: 'attacker:read,operator:read', MIRROR_BUDGET_SHARE: '0.5' };
    stack = await startStack({ platform: { devices: 100 }, store: 'postgres', gateway: 'process', env });
    gateway = stack.gateway;
    await mirrorReady(gateway, 60_000);
    device = (await gateway.graphql('{ fleet(first: 1) { nodes { id } } }', { apiKey: 'operator' })).json.data.fleet.nodes[0].id;
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await stack?.close();
  });

  it("bounds one key's live cost: the rest of 20 × 20 costly subscriptions are refused, and another key is answered as usual", async () => {
    const usual = [];
    for (let i = 0; i < 5; i++) usual.push((await timed(() => gateway.graphql(fleet, { apiKey: 'operator' }))).ms);

    const attacker = Array.from({ length: 20 }, () => wsClient(gateway, 'attacker'));
    clients.push(...attacker);
    const subscriptions = attacker.flatMap((client, c) => Array.from({ length: 20 }, (_, s) => subscribe(client, costly(`d${c}_${s}`), { id: device })));
    // Those within the key's budget wait for an event; the others are refused at once.
    const accepted = Math.floor(MAX_LIVE_COST / COSTLY);
    const refused = () => subscriptions.filter((s) => s.values.some((v: Json) => v.errors));
    await expect.poll(() => refused().length, { timeout: 10_000 }).toBe(400 - accepted);
    const refusals = refused().map((s) => s.values[0]);
    expect(refusals[0].errors[0].extensions).toMatchObject({ code: 'BAD_REQUEST', limit: 'GATEWAY_MAX_LIVE_COST_PER_KEY', max: MAX_LIVE_COST });
    expect(refusals[0].errors[0].message).toMatch(/GATEWAY_MAX_LIVE_COST_PER_KEY/);
    expect(await metric(gateway, 'live_subscriptions', { transport: 'websocket' })).toBe(accepted);

    const operator = wsClient(gateway, 'operator');
    clients.push(operator);
    const heard = collect(operator, 'subscription($id: ID!) { deviceUpdated(id: $id) { id name } }', { id: device }, (v) => v.data?.deviceUpdated?.name === 'renamed-under-load', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    await stack.platform.control(`devices/${device}`, { name: 'renamed-under-load' });
    // While the attacker's executions run: the operator's query, answered in its usual time and without error.
    const during = await timed(() => gateway.graphql(fleet, { apiKey: 'operator' }));
    expect(during.result.json.errors).toBeUndefined();
    expect(during.ms).toBeLessThan(Math.max(...usual) + 1_000);
    await heard;

    // Every accepted subscription hears the change, none with an error (the pool was never exhausted).
    const answered = () => subscriptions.filter((s) => s.values.some((v: Json) => v.data));
    await expect.poll(() => answered().length, { timeout: 20_000 }).toBe(accepted);
    for (const { values } of answered()) {
      expect(values.filter((v: Json) => v.errors)).toEqual([]);
      const [device] = Object.values(values.at(-1).data) as Json[];
      expect(device.name).toBe('renamed-under-load');
    }

    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await expect.poll(() => metric(gateway, 'live_subscriptions', { transport: 'websocket' }), { timeout: 5_000 }).toBe(0);
    expect(await metric(gateway, 'live_change_listeners')).toBe(0);
  });

  it('executes one selection once per event for all who ask it alike: 100 subscribers, one execution', async () => {
    const viewers = Array.from({ length: 5 }, () => wsClient(gateway, 'operator'));
    clients.push(...viewers);
    const query = 'subscription($id: ID!) { deviceUpdated(id: $id) { id name fwVersion operations(first: 5) { nodes { id status } } } }';
    const heard = viewers.flatMap((client) => Array.from({ length: 20 }, () => collect(client, query, { id: device }, (v) => v.data?.deviceUpdated?.name === 'seen-by-100', 20_000)));
    await expect.poll(() => metric(gateway, 'live_subscriptions', { transport: 'websocket' }), { timeout: 5_000 }).toBe(100);
    const executions = await metric(gateway, 'live_executions_total');
    const shared = await metric(gateway, 'live_executions_shared_total');

    await stack.platform.control(`devices/${device}`, { name: 'seen-by-100' });
    const answers = await Promise.all(heard);
    expect(answers.map((values) => values.at(-1).data.deviceUpdated.name)).toEqual(Array(100).fill('seen-by-100'));
    expect((await metric(gateway, 'live_executions_total')) - executions).toBe(1);
    expect((await metric(gateway, 'live_executions_shared_total')) - shared).toBe(99);
  });
});
