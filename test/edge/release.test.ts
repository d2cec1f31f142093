// Subscriptions are released at once, whatever their event source (the mirror's tasks, subtasks and devices, the
// batch-task watch, the rollouts) and transport (graphql-ws, graphql-sse): when the client completes one, when it
// drops its connection, and when the server closes.
import { createClient as sseClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeListeners } from '../../src/services/changes.js';
import { mirrorReady, type TestGateway } from '../harness/gateway.js';
import { metric, wsClient } from '../harness/live.js';
import { startStack, type Stack } from '../harness/stack.js';

/** One subscription of each event source; none of these will hear anything (no such object). */
const SOURCES = [
  'subscription { operationUpdated(id: "no-such-task") { id } }',
  'subscription { operationsChanged { id } }',
  'subscription { subtaskUpdated(operationId: "no-such-task") { id } }',
  'subscription { deviceUpdated(id: "no-such-device") { id } }',
  'subscription { batchTaskUpdated(id: "no-such-batch") { id } }',
  'subscription { rolloutUpdated(id: "no-such-rollout") { id } }',
];

const live = async (gateway: TestGateway) => (await metric(gateway, 'live_subscriptions', { transport: 'websocket' })) + (await metric(gateway, 'live_subscriptions', { transport: 'sse' }));

describe('subscriptions released at once', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { MIRROR_BUDGET_SHARE: '0.5' } });
    gateway = stack.gateway;
    await mirrorReady(gateway, 60_000);
  });
  afterAll(() => stack?.close());

  const subscribeAll = (subscribe: (query: string) => () => void) => SOURCES.map((query) => subscribe(query));
  const opened = async (count: number) => {
    await expect.poll(() => live(gateway), { timeout: 5_000, interval: 20 }).toBe(count);
    expect(changeListeners()).toBe(count);
  };
  const released = async () => {
    await expect.poll(() => live(gateway), { timeout: 1_000, interval: 20 }).toBe(0);
    expect(changeListeners()).toBe(0);
  };

  it('when the client completes them, over graphql-ws and graphql-sse', async () => {
    const ws = wsClient(gateway);
    const sse = sseClient({ url: `${gateway.baseUrl}/graphql/stream`, fetchFn: fetch, retryAttempts: 0 });
    const sink = { next: () => undefined, error: () => undefined, complete: () => undefined };
    const stops = [...subscribeAll((query) => ws.subscribe({ query }, sink)), ...subscribeAll((query) => sse.subscribe({ query }, sink))];
    await opened(SOURCES.length * 2);
    for (const stop of stops) stop();
    await released();
    await ws.dispose();
    sse.dispose();
  });

  it('when the client drops its connection', async () => {
    const ws = wsClient(gateway);
    const controllers = SOURCES.map(() => new AbortController());
    const sink = { next: () => undefined, error: () => undefined, complete: () => undefined };
    subscribeAll((query) => ws.subscribe({ query }, sink));
    const streams = SOURCES.map((query, i) =>
      fetch(`${gateway.baseUrl}/graphql/stream`, { method: 'POST', headers: { accept: 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify({ query }), signal: controllers[i]?.signal }).catch(() => undefined),
    );
    await opened(SOURCES.length * 2);
    await ws.terminate();
    for (const controller of controllers) controller.abort();
    await Promise.all(streams);
    await released();
  });

  it('when the server closes', async () => {
    const other = await stack.startGateway();
    await mirrorReady(other, 60_000);
    const ws = wsClient(other, other.apiKey);
    const sink = { next: () => undefined, error: () => undefined, complete: () => undefined };
    subscribeAll((query) => ws.subscribe({ query }, sink));
    await expect.poll(() => metric(other, 'live_subscriptions', { transport: 'websocket' }), { timeout: 5_000, interval: 20 }).toBe(SOURCES.length);
    expect(changeListeners()).toBe(SOURCES.length);
    await other.close();
    expect(changeListeners()).toBe(0);
    await ws.dispose();
  });
});
