// Tracing (OpenTelemetry over OTLP/HTTP): gateway processes export to a receiver in this process, as to a collector.
// A dashboard's trace is one tree (request → resolvers → platform calls, the store's queries in it) with one span per
// platform call the emulator counted; an incoming `traceparent` is continued over HTTP, SSE and WebSocket; an answer
// from the response cache is marked as one; each subscription event is a request of its own; the standard variables
// are honoured (service name, headers, protocol) or the start is refused; and no key, secret or token is exported.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, reachableEnv, runMain, type GatewayProcess, type TestGateway } from '../harness/gateway.js';
import { metric } from '../harness/live.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../harness/otlp.js';
import { startStack, type Stack } from '../harness/stack.js';
import { DASHBOARD, type Json } from './support.js';
import { clientNameOf } from '../harness/keys.js';

const API_KEY = 'tracing-test-key-5c1e07d2';
const SECRET = 'tracing-test-secret-71b4aa90';
const COLLECTOR_TOKEN = 'collector-token-for-the-trace-test-8e2f';
const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

let receiver: OtlpReceiver;
let stack: Stack;
/** On the platform path (no mirror): its answers are made of platform calls. */
let gateway: TestGateway;

/** The standard variables, as an operator sets them for a collector that wants a token. */
const otel = (service: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${COLLECTOR_TOKEN}`,
  OTEL_SERVICE_NAME: service,
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=trace-test',
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({ platform: { devices: 200, secret: SECRET }, env: { GATEWAY_API_KEYS: `${API_KEY}:operate`, ...otel('traced-gateway') }, gateway: 'process' });
  gateway = stack.gateway;
});

afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

/** The trace of the request with this id, once its request span (the last to end) has been exported. */
async function traceOf(requestId: string | null): Promise<{ root: ReceivedSpan; spans: ReceivedSpan[] }> {
  let root: ReceivedSpan | undefined;
  await expect.poll(() => (root = receiver.spans().find((span) => span.attributes['gateway.request_id'] === requestId)), { timeout: 10_000, interval: 50 }).toBeDefined();
  const found = root as ReceivedSpan;
  return { root: found, spans: receiver.spans().filter((span) => span.traceId === found.traceId) };
}

/** The request span of the first request with this operation name in this trace. */
async function requestSpan(traceId: string, name: string): Promise<ReceivedSpan> {
  let span: ReceivedSpan | undefined;
  await expect.poll(() => (span = receiver.spans().find((s) => s.traceId === traceId && s.kind === SERVER && s.name === name)), { timeout: 10_000, interval: 50 }).toBeDefined();
  return span as ReceivedSpan;
}

const traceparent = (traceId: string, parentId: string) => `00-${traceId}-${parentId}-01`;

describe('a dashboard on the platform path', () => {
  it('is one tree: request → resolvers → one span per platform call, with the store queries in it', async () => {
    const { result, byRoute, total } = await stack.callsDuring(() => gateway.graphql(DASHBOARD, { apiKey: API_KEY }));
    expect(result.status).toBe(200);
    expect(result.json.errors).toBeUndefined();
    const operations = result.json.data.operations.nodes as Json[];
    expect(operations.length).toBeGreaterThan(1);

    const { root, spans } = await traceOf(result.headers.get('x-request-id'));

    expect(root).toMatchObject({ name: 'query Dashboard', kind: SERVER, parentSpanId: undefined });
    expect(root.attributes).toMatchObject({
      'graphql.operation.name': 'Dashboard',
      'graphql.operation.type': 'query',
      'gateway.transport': 'http',
      'gateway.client': clientNameOf(API_KEY),
      'gateway.outcome': 'success',
      'http.response.status_code': 200,
    });
    expect(root.resource).toMatchObject({ 'service.name': 'traced-gateway', 'deployment.environment.name': 'trace-test' });
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (const span of spans) if (span.spanId !== root.spanId) expect(byId.get(span.parentSpanId ?? ''), span.name).toBeDefined();
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId ?? '') as ReceivedSpan;

    // Resolvers that wait, nested as the fields are; fields read from their parent have none.
    const [list, ...others] = spans.filter((span) => span.name === 'Query.operations');
    expect(others).toEqual([]);
    expect(list).toMatchObject({ kind: INTERNAL, parentSpanId: root.spanId, attributes: { 'graphql.field.path': 'operations' } });
    const subtasks = spans.filter((span) => span.name === 'Operation.subtasks');
    expect(subtasks).toHaveLength(operations.length);
    for (const span of subtasks) expect(span.parentSpanId).toBe(list?.spanId);
    const devices = spans.filter((span) => span.name === 'Subtask.device');
    expect(devices.length).toBeGreaterThan(0);
    for (const span of devices) expect(parentOf(span).name).toBe('Operation.subtasks');
    expect(spans.some((span) => span.name === 'Operation.status' || span.name === 'Device.name')).toBe(false);

    // One client span per call the platform counted, under the resolver that made it.
    const calls = spans.filter((span) => span.attributes['url.template'] !== undefined);
    expect(calls).toHaveLength(total);
    const perRoute: Record<string, number> = {};
    for (const call of calls) perRoute[call.name] = (perRoute[call.name] ?? 0) + 1;
    expect(perRoute).toEqual(byRoute);
    const madeBy = { '/iodm/northbound/v1.5.0/operations': 'Query.operations', '/iodm/northbound/v1.5.0/operations/{operationId}/subOperations': 'Operation.subtasks', '/iocm/app/dm/v1.4.0/devices/{deviceId}': 'Subtask.device' };
    for (const call of calls) {
      expect(call).toMatchObject({ kind: CLIENT, attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } });
      expect(parentOf(call).name).toBe(madeBy[call.attributes['url.template'] as keyof typeof madeBy]);
      expect(call.attributes['platform.budget_wait_ms']).toBeGreaterThanOrEqual(0);
      // Within its resolver's time (the SDK anchors each span's clock on Date.now(): a millisecond apart at most).
      expect(call.startMs).toBeGreaterThanOrEqual(parentOf(call).startMs - 1);
      expect(call.endMs).toBeLessThanOrEqual(parentOf(call).endMs + 1);
    }

    // The call budget's ledger is in the store: each call's slot is queries of it, under the same resolver.
    const queries = spans.filter((span) => span.attributes['db.system.name'] === 'sqlite');
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(query.kind).toBe(CLIENT);
      expect(query.attributes['db.query.text']).toMatch(/^(select|insert|update|delete|with)\b/i);
      expect(parentOf(query).kind).toBe(INTERNAL);
    }
  });
});

describe('an incoming traceparent', () => {
  const query = (name: string) => `query ${name} { operations(first: 2) { nodes { id } } }`;

  it('is continued over HTTP', async () => {
    const [traceId, parentId] = ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'];
    const reply = await gateway.graphql(query('OverHttp'), { apiKey: API_KEY, headers: { traceparent: traceparent(traceId, parentId) } });

    const { root, spans } = await traceOf(reply.headers.get('x-request-id'));

    expect(root).toMatchObject({ name: 'query OverHttp', traceId, parentSpanId: parentId });
    expect(spans.some((span) => span.name === 'GET /iodm/northbound/v1.5.0/operations' && span.traceId === traceId)).toBe(true);
  });

  it('decides, when it says not sampled, that the request is not recorded', async () => {
    const [traceId, parentId] = ['8f3d6ac1be024d94d5e6f708192a3b45', '4d5e6f708192a3b4'];
    const unsampled = await gateway.graphql(query('NotSampled'), { apiKey: API_KEY, headers: { traceparent: `00-${traceId}-${parentId}-00` } });
    expect(unsampled.status).toBe(200);
    // A request after it is exported: by then the one before would have been too.
    const after = await gateway.graphql(query('AfterIt'), { apiKey: API_KEY });
    await traceOf(after.headers.get('x-request-id'));

    expect(receiver.spans().filter((span) => span.traceId === traceId || span.attributes['gateway.request_id'] === unsampled.headers.get('x-request-id'))).toEqual([]);
  });

  it('is continued over SSE', async () => {
    const [traceId, parentId] = ['5c0a3e9d8b7f4a61a2b3c4d5e6f70812', '1a2b3c4d5e6f7081'];
    const response = await fetch(`${gateway.url}/stream`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', 'x-api-key': API_KEY, traceparent: traceparent(traceId, parentId) },
      body: JSON.stringify({ query: query('OverSse') }),
    });
    expect(await response.text()).toContain('"operations"');

    const span = await requestSpan(traceId, 'query OverSse');

    expect(span).toMatchObject({ parentSpanId: parentId, attributes: { 'gateway.transport': 'sse', 'gateway.outcome': 'success', 'gateway.client': clientNameOf(API_KEY) } });
    expect(receiver.spans().some((s) => s.traceId === traceId && s.parentSpanId === span.spanId && s.name === 'Query.operations')).toBe(true);
  });

  it('is continued over WebSocket, from the upgrade request', async () => {
    const [traceId, parentId] = ['6d1b4fae9c804b72b3c4d5e6f7081923', '2b3c4d5e6f708192'];
    const client = webSocketClient(gateway, { traceparent: traceparent(traceId, parentId) });
    try {
      const result = await new Promise<Json>((resolve, reject) => {
        let value: Json;
        client.subscribe({ query: query('OverWebSocket') }, { next: (next) => (value = next), error: reject, complete: () => resolve(value) });
      });
      expect(result.data.operations.nodes).toHaveLength(2);
    } finally {
      await client.dispose();
    }

    const span = await requestSpan(traceId, 'query OverWebSocket');

    expect(span).toMatchObject({ parentSpanId: parentId, attributes: { 'gateway.transport': 'websocket', 'gateway.outcome': 'success' } });
  });
});

function webSocketClient(target: TestGateway, headers: Record<string, string>) {
  // graphql-ws opens the socket itself: this one sends the headers with its upgrade request.
  class WithHeaders extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  return createClient({ url: target.url.replace(/^http/, 'ws'), webSocketImpl: WithHeaders, connectionParams: { 'x-api-key': API_KEY }, retryAttempts: 0 });
}

describe('with the fleet mirror', () => {
  let mirrored: TestGateway;
  beforeAll(async () => {
    mirrored = await stack.startGateway({ process: true, env: { MIRROR_BUDGET_SHARE: '0.5', ...(await reachableEnv()), ...otel('mirrored-gateway') } });
    await mirrorReady(mirrored);
  });

  it('marks an answer from the response cache as a hit, with nothing executed under it', async () => {
    const fleet = 'query Fleet { fleet(first: 5) { nodes { id name } } }';
    // The mirror may still be filling in (its backfill after READY): an answer is kept until the store's data moves.
    const traces: Awaited<ReturnType<typeof traceOf>>[] = [];
    for (let attempt = 0; attempt < 20 && traces.at(-1)?.root.attributes['gateway.cache_hit'] !== true; attempt++) {
      const reply = await mirrored.graphql(fleet, { apiKey: API_KEY });
      expect(reply.json.errors).toBeUndefined();
      traces.push(await traceOf(reply.headers.get('x-request-id')));
    }
    const [made, kept] = [traces.at(-2) as (typeof traces)[number], traces.at(-1) as (typeof traces)[number]];

    expect(made.root.attributes).toMatchObject({ 'gateway.cache_hit': false, 'gateway.outcome': 'success' });
    expect(made.spans.map((span) => span.name)).toContain('Query.fleet');
    expect(made.spans.some((span) => span.attributes['db.collection.name'] === 'mirror_devices')).toBe(true);
    expect(kept.root.attributes).toMatchObject({ 'gateway.cache_hit': true, 'gateway.outcome': 'success', 'graphql.operation.name': 'Fleet' });
    expect(kept.spans.map((span) => span.spanId)).toEqual([kept.root.spanId]);
  });

  it('traces a subscription where it starts, and each of its events as a request of its own', async () => {
    const [traceId, parentId] = ['7e2c5fb0ad914c83c4d5e6f708192a34', '3c4d5e6f708192a3'];
    const { data } = await mirrored.query('{ fleet(first: 1) { nodes { id } } }');
    const id = data.fleet.nodes[0].id as string;
    const client = webSocketClient(mirrored, { traceparent: traceparent(traceId, parentId) });
    try {
      const renamed = new Promise<Json>((resolve, reject) => {
        client.subscribe({ query: 'subscription Watch($id: ID!) { deviceUpdated(id: $id) { id name } }', variables: { id } }, { next: resolve, error: reject, complete: () => undefined });
      });
      await expect.poll(() => metric(mirrored, 'live_subscriptions', { transport: 'websocket' }), { timeout: 5_000, interval: 50 }).toBe(1);
      await stack.platform.control(`devices/${id}`, { name: 'Renamed for the trace test' });
      expect((await renamed).data.deviceUpdated).toEqual({ id, name: 'Renamed for the trace test' });
    } finally {
      await client.dispose();
    }

    const subscribed = await requestSpan(traceId, 'subscription Watch');
    expect(subscribed).toMatchObject({ parentSpanId: parentId, attributes: { 'gateway.transport': 'websocket', 'gateway.outcome': 'success', 'gateway.client': clientNameOf(API_KEY) } });
    let event: ReceivedSpan | undefined;
    await expect.poll(() => (event = receiver.spans().find((s) => s.attributes['gateway.subscription_event'] === true)), { timeout: 10_000, interval: 50 }).toBeDefined();
    expect(event).toMatchObject({ name: 'subscription Watch', kind: SERVER, parentSpanId: undefined, attributes: { 'gateway.transport': 'websocket', 'gateway.outcome': 'success' } });
    expect(event?.traceId).not.toBe(traceId);
  });
});

describe('what is exported', () => {
  it('carries the collector headers, and no key, secret or token in any span', async () => {
    // A refused request too: its span names no operation it was never allowed to run.
    const refused = await gateway.graphql('query Sneaky { operations(first: 1) { totalCount } }', { apiKey: 'not-a-key-of-this-gateway-0f9e' });
    expect(refused.status).toBe(401);
    const { root } = await traceOf(refused.headers.get('x-request-id'));
    expect(root.attributes).toMatchObject({ 'gateway.outcome': 'rejected', 'http.response.status_code': 401 });
    expect(root.attributes['graphql.operation.name']).toBeUndefined();

    // The mirror's sync (a whole fleet's calls and statements) made no span: every span below a request's is in its tree.
    const all = receiver.spans();
    const ids = new Set(all.map((span) => span.spanId));
    for (const span of all) if (span.kind !== SERVER) expect(ids.has(span.parentSpanId ?? ''), span.name).toBe(true);
    expect(all.filter((span) => span.resource['service.name'] === 'mirrored-gateway' && span.kind === CLIENT).length).toBeGreaterThan(0);

    const traces = receiver.requests.filter((request) => request.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    for (const request of traces) expect(request.headers.authorization).toBe(`Bearer ${COLLECTOR_TOKEN}`);
    const exported = traces.map((request) => request.body.toString('utf8')).join('\n');
    for (const secret of [API_KEY, 'not-a-key-of-this-gateway-0f9e', SECRET, COLLECTOR_TOKEN, 'Bearer', 'accessToken']) expect(exported).not.toContain(secret);
  });
});

describe('the standard variables', () => {
  it('export over http/protobuf unless told http/json, to the traces endpoint when it is given apart', async () => {
    // Nothing listens at the general endpoint: the traces' own wins.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_SERVICE_NAME: 'protobuf-gateway', OTEL_BSP_SCHEDULE_DELAY: '100' };
    const protobuf = await stack.startGateway({ process: true, env: { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: '' } });
    try {
      expect((await protobuf.graphql('{ operations(first: 1) { totalCount } }', { apiKey: API_KEY })).status).toBe(200);

      // Protobuf keeps strings as they are: the service name is there to be found in the bytes.
      await expect
        .poll(() => receiver.requests.some((r) => r.path === '/v1/traces' && r.headers['content-type'] === 'application/x-protobuf' && r.body.includes('protobuf-gateway')), { timeout: 10_000, interval: 50 })
        .toBe(true);
    } finally {
      await protobuf.close();
    }
  });

  const start = (env: Record<string, string>) => runMain({ PORT: '0', EMULATOR_PORT: '0', EMULATOR_DEVICES: '5', GATEWAY_DATA_DIR: ':memory:', GATEWAY_PLAYGROUND: 'off', ...env });

  it('refuse a start they ask what the gateway cannot do, in one line naming the variable', async () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const grpc = await start({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    const zipkin = await start({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' });
    const notUrl = await start({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' });
    const tracesGrpc = await start({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' });

    expect(grpc.code).toBe(1);
    expect(grpc.stderr).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=grpc: this gateway exports over HTTP: http/protobuf (the default) or http/json');
    expect(zipkin.code).toBe(1);
    expect(zipkin.stderr).toContain('OTEL_TRACES_EXPORTER=zipkin: this gateway exports traces over OTLP only (otlp), or not at all (none)');
    expect(notUrl.code).toBe(1);
    expect(notUrl.stderr).toContain('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not an http(s) URL');
    expect(tracesGrpc.code).toBe(1);
    expect(tracesGrpc.stderr).toContain('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc: this gateway exports over HTTP');
  });

  it('leave tracing off without an endpoint, or with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', async () => {
    const on = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    const runs = [await start({}), await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' }), await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_EXPORTER: 'none' })];

    expect(on.stderr).toContain('tracing on: spans are exported over OTLP');
    for (const run of runs) {
      expect(run.stdout).toContain('"msg":"gateway started"');
      expect(run.stderr).not.toContain('tracing on');
    }
  });

  it('do not hold up a stop when the collector never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      // The spans wait in their batch (a minute) until the stop sends them to a collector that takes and never answers.
      const held = (await stack.startGateway({ process: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '60000' } })) as GatewayProcess;
      expect((await held.graphql('{ operations(first: 1) { totalCount } }', { apiKey: API_KEY })).status).toBe(200);

      const asked = Date.now();
      await held.stop('SIGTERM');

      expect(held.child.exitCode).toBe(0);
      expect(Date.now() - asked).toBeLessThan(6_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
