// The WebSocket edge as an attacker meets it, on a gateway process watched through its own /metrics: limits hold
// before any key is checked, and what clients drop is given back (listeners to zero, memory to where it was).
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mirrorReady, type TestGateway } from '../harness/gateway.js';
import { metric, wsClient } from '../harness/live.js';
import { startStack, type Stack } from '../harness/stack.js';

const MB = 1024 * 1024;
const KEY = 'edge-reader';

/** A raw socket speaking graphql-ws's subprotocol, open. */
async function rawSocket(gateway: TestGateway): Promise<WebSocket> {
  const socket = new WebSocket(gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return socket;
}
const closeCode = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
const rss = (gateway: TestGateway) => metric(gateway, 'process_resident_memory_bytes');

describe('the WebSocket edge of a gateway process', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: { devices: 50 }, gateway: 'process', env: { GATEWAY_API_KEYS: `${KEY}:read`, MIRROR_BUDGET_SHARE: '0.5' } });
    gateway = stack.gateway;
    await mirrorReady(gateway, 60_000);
  }, 120_000);
  afterAll(() => stack?.close());

  it('refuses a 20 MB message sent before any key (1009) without the memory growing', async () => {
    const before = await rss(gateway);
    const codes = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const socket = await rawSocket(gateway);
        const closed = closeCode(socket);
        socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': 'wrong', padding: 'x'.repeat(20 * MB) } }));
        return closed;
      }),
    );
    expect(codes).toEqual([1009, 1009, 1009, 1009]);
    expect((await rss(gateway)) - before).toBeLessThan(8 * MB);
    expect((await gateway.request('/health/live')).status).toBe(200);
  });

  it('closes a socket that sends no connection_init within 3 s (4408), and one with a wrong key at once (4403)', async () => {
    const silent = await rawSocket(gateway);
    const started = Date.now();
    expect(await closeCode(silent)).toBe(4408);
    expect(Date.now() - started).toBeLessThan(4_500);

    const wrong = await rawSocket(gateway);
    const closed = closeCode(wrong);
    wrong.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': 'not-a-key' } }));
    expect(await closed).toBe(4403);
  });

  it('gives back what 100 connections × 20 subscriptions held once they drop: no subscription, no listener, the memory', async () => {
    const device = (await gateway.query('{ fleet(first: 1) { nodes { id } } }')).data.fleet.nodes[0].id as string;
    const baseline = await rss(gateway);
    const clients: Client[] = Array.from({ length: 100 }, () => wsClient(gateway, KEY));
    const errors: unknown[] = [];
    // Every document different (an alias apiece), as an attacker would make them: nothing is shared.
    for (const [c, client] of clients.entries()) {
      for (let i = 0; i < 20; i++) {
        const query = `subscription($id: ID!) { d${c}_${i}: deviceUpdated(id: $id) { id name fwVersion status } }`;
        client.subscribe({ query, variables: { id: i % 2 ? device : `none-${i}` } }, { next: () => undefined, error: (error) => errors.push(error), complete: () => undefined });
      }
    }
    await expect.poll(() => metric(gateway, 'live_subscriptions', { transport: 'websocket' }), { timeout: 20_000, interval: 200 }).toBe(2000);
    expect(await metric(gateway, 'live_change_listeners')).toBe(2000);
    const held = await rss(gateway);
    expect(errors).toEqual([]);

    // Dropped, as a crashed client drops them: the sockets end, nobody completes anything.
    await Promise.all(clients.map((client) => client.terminate()));
    await expect.poll(() => metric(gateway, 'live_subscriptions', { transport: 'websocket' }), { timeout: 10_000, interval: 200 }).toBe(0);
    expect(await metric(gateway, 'live_change_listeners')).toBe(0);
    // The heap is collected and given back when V8 decides: it may take a few quiet seconds.
    await expect.poll(async () => (await rss(gateway)) - baseline, { timeout: 30_000, interval: 1_000 }).toBeLessThan(40 * MB);
    console.info(`RSS: ${Math.round(baseline / MB)} MB before, ${Math.round(held / MB)} MB with 2,000 subscriptions, ${Math.round((await rss(gateway)) / MB)} MB after they dropped`);
  });
});
