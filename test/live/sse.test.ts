// GraphQL over Server-Sent Events (graphql-sse, its own client over Node's fetch): the same subscriptions, queries and
// mutations as over WebSocket, on the same pipeline and limits; streams bounded per key, released when dropped, ended
// when the gateway stops.
import { createClient, type Client } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, TEST_API_KEY, type TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const streamUrl = (gateway: TestGateway) => `${gateway.url}/stream`;
function sseClient(gateway: TestGateway, apiKey?: string): Client {
  return createClient({ url: streamUrl(gateway), fetchFn: fetch, retryAttempts: 0, headers: apiKey ? { 'x-api-key': apiKey } : {} });
}
/** What an operation sends until `done` says so, or until the server completes it (or the time is up). */
function collect(client: Client, query: string, variables: Record<string, unknown>, done: (value: Json) => boolean = () => false, ms = 30_000): Promise<Json[]> {
  const values: Json[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not done in ${ms} ms: ${JSON.stringify(values).slice(0, 500)}`)), ms);
    const finish = () => {
      clearTimeout(timer);
      resolve(values);
    };
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (value) => {
          values.push(value);
          if (done(value)) {
            unsubscribe();
            finish();
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        complete: finish,
      },
    );
  });
}
/** A stream opened by hand: its status, and a way to drop it (as a client that goes away does). */
async function openStream(gateway: TestGateway, query: string, headers: Record<string, string> = {}) {
  const control = new AbortController();
  const response = await fetch(streamUrl(gateway), {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
    signal: control.signal,
  });
  return { response, drop: () => control.abort() };
}
async function liveSubscriptions(gateway: TestGateway, transport: 'sse' | 'websocket'): Promise<number> {
  const { text } = await gateway.request('/metrics');
  return Number(new RegExp(`northbound_gateway_live_subscriptions\\{transport="${transport}"\\} (\\d+)`).exec(text)?.[1] ?? NaN);
}
const liveSseSubscriptions = (gateway: TestGateway) => liveSubscriptions(gateway, 'sse');
const DEVICE_WATCH = 'subscription { deviceUpdated(id: "no-such-device") { id } }';

describe('GraphQL over SSE, push on (the embedded emulator)', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { MIRROR_BUDGET_SHARE: '0.5' } });
    gateway = stack.gateway;
    await mirrorReady(gateway);
  });
  afterAll(() => stack?.close());

  it('runs a query and a mutation, and follows the created task through to SUCCESS', async () => {
    const client = sseClient(gateway);
    try {
      const [{ data }] = await collect(client, '{ fleet(first: 50) { nodes { id deviceType model fwVersion } } upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id deviceType model version } } }', {});
      const device = data.fleet.nodes.find((d: Json) => data.upgradePackages.nodes.some((p: Json) => p.deviceType === d.deviceType && p.model === d.model && p.version !== d.fwVersion));
      const pkg = data.upgradePackages.nodes.find((p: Json) => p.deviceType === device.deviceType && p.model === device.model && p.version !== device.fwVersion);
      await stack.platform.control(`devices/${device.id}`, { status: 'ONLINE' });
      const [created] = await collect(client, 'mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
        input: { fileId: pkg.id, targets: { deviceIds: [device.id] } },
      });
      expect(created.errors).toBeUndefined();
      const id = created.data.createFirmwareUpgradeTask.operationId as string;
      const updates = collect(client, 'subscription($id: ID!) { operationUpdated(id: $id) { id status stats { total success progress } } }', { id }, (v) => v.data?.operationUpdated?.status === 'SUCCESS');
      const clock = setInterval(() => void stack.platform.advance(10).catch(() => undefined), 100);
      const received = await updates.finally(() => clearInterval(clock));
      expect(received.at(-1).data.operationUpdated).toEqual({ id, status: 'SUCCESS', stats: { total: 1, success: 1, progress: 1 } });
      for (const value of received) expect(value.errors).toBeUndefined();
    } finally {
      client.dispose();
    }
  });

  it('refuses a document over the limits with the code HTTP and WebSocket give it, on the stream', async () => {
    const client = sseClient(gateway);
    const tooDeep = 'subscription { operationUpdated(id: "x") { subtasks { nodes { device { operations { nodes { subtasks { nodes { device { operations { nodes { id } } } } } } } } } } } }';
    const [refused] = await collect(client, tooDeep, {});
    expect(refused.data).toBeUndefined();
    expect(refused.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.errors[0].message).toMatch(/depth/i);
    expect((await gateway.graphql(tooDeep.replace('subscription', 'query'))).json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    client.dispose();
  });

  it('refuses a body over GATEWAY_MAX_BODY_BYTES with 413, as HTTP does', async () => {
    const { response } = await openStream(gateway, `{ fleet(first: 1) { nodes { id } } } # ${'x'.repeat(200 * 1024)}`);
    expect(response.status).toBe(413);
    expect(((await response.json()) as Json).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers only a POST that accepts an event stream, pointing elsewhere for the rest', async () => {
    const get = await gateway.request('/graphql/stream?query=%7B__typename%7D', { headers: { accept: 'text/event-stream' } });
    expect([get.status, get.headers.get('allow'), get.json.errors[0].extensions.code]).toEqual([405, 'POST', 'BAD_REQUEST']);
    const json = await gateway.request('/graphql/stream', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(json.status).toBe(406);
    expect(json.json.errors[0].message).toMatch(/text\/event-stream/);
  });

  it('releases a subscription the moment its client drops the stream', async () => {
    expect(await liveSseSubscriptions(gateway)).toBe(0);
    const streams = await Promise.all(Array.from({ length: 5 }, () => openStream(gateway, DEVICE_WATCH)));
    for (const { response } of streams) expect(response.status).toBe(200);
    expect(await liveSseSubscriptions(gateway)).toBe(5);
    for (const stream of streams) stream.drop();
    await expect.poll(() => liveSseSubscriptions(gateway), { timeout: 1_000, interval: 20 }).toBe(0);
    // A client's own unsubscribe likewise.
    const client = sseClient(gateway);
    const unsubscribe = client.subscribe({ query: DEVICE_WATCH }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await expect.poll(() => liveSseSubscriptions(gateway), { timeout: 5_000, interval: 20 }).toBe(1);
    unsubscribe();
    await expect.poll(() => liveSseSubscriptions(gateway), { timeout: 1_000, interval: 20 }).toBe(0);
    client.dispose();
  });

  it('counts WebSocket subscriptions alike, back to zero when their socket drops', async () => {
    const client = createWsClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    for (let i = 0; i < 3; i++) client.subscribe({ query: DEVICE_WATCH }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await expect.poll(() => liveSubscriptions(gateway, 'websocket'), { timeout: 5_000, interval: 20 }).toBe(3);
    await client.dispose();
    await expect.poll(() => liveSubscriptions(gateway, 'websocket'), { timeout: 1_000, interval: 20 }).toBe(0);
  });
});

describe('GraphQL over SSE with API keys and a bound per key', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: {
        GATEWAY_API_KEYS: `${TEST_API_KEY}:read,other-key:read`,
        GATEWAY_WS_MAX_CONNECTIONS_PER_KEY: '2',
        GATEWAY_CORS_ORIGINS: 'https://app.example.com',
        MIRROR_BUDGET_SHARE: '0.5',
      },
    });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('refuses a missing or unknown key with 401 UNAUTHENTICATED, as HTTP does', async () => {
    for (const key of [undefined, 'wrong-key']) {
      const failure = await collect(sseClient(gateway, key), '{ health { loginOk } }', {}).catch((error: unknown) => error as { response: Response });
      expect(failure).toHaveProperty('response');
      const { response } = failure as { response: Response };
      expect(response.status).toBe(401);
      expect(((await response.json()) as Json).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const [answer] = await collect(sseClient(gateway, TEST_API_KEY), '{ health { loginOk } }', {});
    expect(answer.errors).toBeUndefined();
  });

  it('lets a page of GATEWAY_CORS_ORIGINS open a stream, as for the rest of the API', async () => {
    const origin = 'https://app.example.com';
    const preflight = await gateway.request('/graphql/stream', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-api-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-api-key');
    const [answer] = await collect(createClient({ url: streamUrl(gateway), fetchFn: fetch, retryAttempts: 0, headers: { 'x-api-key': TEST_API_KEY, origin } }), '{ health { loginOk } }', {});
    expect(answer.errors).toBeUndefined();
    const { response, drop } = await openStream(gateway, DEVICE_WATCH, { 'x-api-key': TEST_API_KEY, origin });
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    drop();
    const stranger = await openStream(gateway, DEVICE_WATCH, { 'x-api-key': TEST_API_KEY, origin: 'https://evil.example.com' });
    expect(stranger.response.headers.get('access-control-allow-origin')).toBeNull();
    stranger.drop();
    await expect.poll(() => liveSseSubscriptions(gateway), { timeout: 1_000, interval: 20 }).toBe(0);
  });

  it('bounds the streams of one key (429) and frees one the moment it closes', async () => {
    const key = { 'x-api-key': TEST_API_KEY };
    const first = await openStream(gateway, DEVICE_WATCH, key);
    const second = await openStream(gateway, DEVICE_WATCH, key);
    expect([first.response.status, second.response.status]).toEqual([200, 200]);
    const third = await openStream(gateway, DEVICE_WATCH, key);
    expect(third.response.status).toBe(429);
    expect(((await third.response.json()) as Json).errors[0].extensions).toMatchObject({ code: 'BAD_REQUEST', limit: 'GATEWAY_WS_MAX_CONNECTIONS_PER_KEY', max: 2 });
    // Another key has streams of its own.
    const other = await openStream(gateway, DEVICE_WATCH, { 'x-api-key': 'other-key' });
    expect(other.response.status).toBe(200);
    first.drop();
    await expect.poll(async () => {
      const again = await openStream(gateway, DEVICE_WATCH, key);
      again.drop();
      return again.response.status;
    }, { timeout: 1_000, interval: 20 }).toBe(200);
    second.drop();
    other.drop();
    await expect.poll(() => liveSseSubscriptions(gateway), { timeout: 1_000, interval: 20 }).toBe(0);
  });

  it('ends open streams when the gateway stops, without waiting for the drain grace period', async () => {
    const { response } = await openStream(gateway, DEVICE_WATCH, { 'x-api-key': TEST_API_KEY });
    expect(response.status).toBe(200);
    const started = performance.now();
    const ended = response.text().then(() => performance.now() - started);
    const closed = gateway.close().then(() => performance.now() - started);
    // At once, where HTTP's drain would have waited for it for its grace period (10 s).
    expect(await ended).toBeLessThan(1_000);
    expect(await closed).toBeLessThan(10_000);
  });
});
