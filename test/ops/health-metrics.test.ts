// Liveness, readiness (cached, one cheap probe at most, none while traffic shows the platform answering) and the
// Prometheus metrics, checked against what the platform itself counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformClient } from '../../src/datasources/platform/client.js';
import { RateBudget } from '../../src/datasources/platform/rate-budget.js';
import { Readiness } from '../../src/observability/health.js';
import { openStore } from '../../src/store/index.js';
import type { TestGateway } from '../harness/gateway.js';
import type { Platform } from '../harness/platform.js';
import { sample } from '../harness/live.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { DASHBOARD } from './support.js';

const API_KEY = 'metrics-test-key-5d1c7e';
/** What the readiness probe reads. */
const HEALTH_PROBE_ROUTE = ROUTE.operations;

/** The platform; each describe starts its own gateways on it. */
let stack: Stack;
let platform: Platform;
beforeAll(async () => {
  stack = await startStack({ platform: { devices: 100 }, env: { LOG_LEVEL: 'debug', GATEWAY_API_KEYS: `${API_KEY}:read` }, gateway: 'none' });
  platform = stack.platform;
});
afterAll(() => stack?.close());

const stats = () => platform.stats();

describe('GET /health/live and /health/ready', () => {
  let ops: TestGateway;
  beforeAll(async () => {
    ops = await stack.startGateway();
  });
  afterAll(() => ops?.close());

  it('live: 200 while the process serves HTTP, no API key needed', async () => {
    const reply = await ops.request('/health/live');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: 'live' });
  });

  it('ready: 200 with each check; a burst of probes costs the platform one login and one cheap read', async () => {
    const before = await stats();
    const replies = await Promise.all(Array.from({ length: 10 }, () => ops.request('/health/ready')));
    for (let i = 0; i < 10; i++) replies.push(await ops.request('/health/ready'));
    const after = await stats();

    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect(reply.headers.get('cache-control')).toBe('no-store');
      expect(reply.json).toEqual({
        status: 'ready',
        checks: { platform: { ok: true }, token: { ok: true }, circuit: { ok: true, state: 'closed' }, budget: { ok: true, exhausted: false }, store: { ok: true } },
        checkedAt: expect.any(String),
      });
    }
    expect(after.total - before.total).toBe(2);
    expect((after.byRoute[HEALTH_PROBE_ROUTE] ?? 0) - (before.byRoute[HEALTH_PROBE_ROUTE] ?? 0)).toBe(1);
  });
});

describe('readiness probes', () => {
  it('ask the platform at most once per cache period, and not at all while calls show it answering', async () => {
    const client = new PlatformClient({ url: platform.url, ...platform.credentials });
    const readiness = new Readiness(client, { cacheMs: 200 });
    expect((await readiness.check()).ready).toBe(true);
    expect(readiness.probes).toBe(1);
    await readiness.check();
    expect(readiness.probes).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 250));
    // A GraphQL request's call was just answered: that is the probe's answer too.
    readiness.observe({ route: ROUTE.device, status: 200, durationMs: 3 });
    expect((await readiness.check()).ready).toBe(true);
    expect(readiness.probes).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await readiness.check()).ready).toBe(true);
    expect(readiness.probes).toBe(2);
  });
});

describe('an exhausted call budget', () => {
  let ops: TestGateway;
  beforeAll(async () => {
    // One client, allowed the whole budget.
    ops = await stack.startGateway({ env: { NORTHBOUND_RATE_LIMIT: '2/60s', GATEWAY_CLIENT_BUDGET_SHARE: '1' } });
  });
  afterAll(() => ops?.close());

  // Two queries spend the whole budget of 2 calls (a page of tasks, one task's subtasks); a third is refused.
  const SPENDER = '{ operations(first: 1) { nodes { subtasks(first: 1) { totalCount } } } }';

  it('is reported by /health/ready as information: still 200, with when a slot frees', async () => {
    expect((await ops.graphql(SPENDER, { apiKey: API_KEY })).json.errors).toBeUndefined();
    const spent = await ops.graphql(SPENDER, { apiKey: API_KEY });
    expect(spent.json.errors?.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('RATE_LIMITED');
    const before = await stats();

    for (let i = 0; i < 3; i++) {
      const reply = await ops.request('/health/ready');
      expect(reply.status).toBe(200);
      expect(reply.json.status).toBe('ready');
      expect(reply.json.checks.budget).toEqual({ ok: true, exhausted: true, retryAfterSeconds: expect.any(Number), freesAt: expect.any(String) });
      expect(reply.json.checks.budget.retryAfterSeconds).toBeGreaterThan(0);
      expect(reply.json.checks.budget.retryAfterSeconds).toBeLessThanOrEqual(61);
      expect(Date.parse(reply.json.checks.budget.freesAt)).toBeGreaterThan(Date.now());
    }
    // Nothing reached the platform: the budget has no slot to give.
    expect((await stats()).total).toBe(before.total);
  });

  it('the health query answers with data saying so, not with RATE_LIMITED', async () => {
    const reply = await ops.graphql('{ health { loginOk budgetExhausted budgetRetryAfterSeconds } }', { apiKey: API_KEY });

    expect(reply.json.errors).toBeUndefined();
    expect(reply.json.data.health).toEqual({ loginOk: true, budgetExhausted: true, budgetRetryAfterSeconds: expect.any(Number) });
    expect(reply.json.data.health.budgetRetryAfterSeconds).toBeGreaterThan(0);
  });

  it('a probe made with no recent traffic is refused by the budget at once, and readiness stays true', async () => {
    const store = await openStore({ engine: 'sqlite', dataDir: ':memory:' });
    const budget = new RateBudget({ calls: 1, windowSeconds: 60, key: 'readiness-probe-test', ledger: store.budget, clientShare: 1 });
    // The client tells readiness of its calls, as in the gateway (onCall runs only once calls are made).
    const client = new PlatformClient({ url: platform.url, ...platform.credentials, budget, onCall: (event) => readiness.observe(event) });
    const readiness = new Readiness(client, { cacheMs: 0, probeTimeoutMs: 2000 });
    try {
      expect((await readiness.check()).checks.budget).toEqual({ ok: true, exhausted: false });
      const started = Date.now();
      const report = await readiness.check();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(report.ready).toBe(true);
      expect(report.checks.platform).toEqual({ ok: true, checked: false });
      expect(report.checks.budget).toMatchObject({ ok: true, exhausted: true });
      expect(readiness.probes).toBe(2);
    } finally {
      budget.close();
      await store.close();
    }
  });
});

describe('not ready', () => {
  it('503 with wrong credentials: the token check fails, and the platform check names the error', async () => {
    const ops = await stack.startGateway({ env: { NORTHBOUND_SECRET: 'wrong-secret-for-ready' } });
    try {
      const reply = await ops.request('/health/ready');
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({
        status: 'not ready',
        checks: { platform: { ok: false, error: 'UPSTREAM_AUTH_FAILED' }, token: { ok: false }, circuit: { ok: true } },
      });
      expect(reply.text).not.toContain('wrong-secret-for-ready');
      expect((await ops.request('/health/live')).status).toBe(200);
    } finally {
      await ops.close();
    }
  });

  it('503 while the circuit is open', async () => {
    const ops = await stack.startGateway({ env: { NORTHBOUND_CIRCUIT_RESET_MS: '60000' } });
    try {
      await platform.fault({ errorRate: 1, errorStatus: 503 });
      // Failing queries open the circuit. Watched on /metrics: a report of /health/ready would stand for 5 s.
      const open = async () => sample((await ops.request('/metrics')).text, 'northbound_gateway_platform_circuit_state', { state: 'open' }) === 1;
      for (let i = 0; i < 4 && !(await open()); i++) await ops.graphql('{ operations(first: 1) { totalCount } }', { apiKey: API_KEY });
      await platform.clearFaults();
      // The platform is well again, but the circuit holds calls back until its reset time has passed.
      const reply = await ops.request('/health/ready');
      expect(reply.status).toBe(503);
      expect(reply.json.checks.circuit).toEqual({ ok: false, state: 'open' });
    } finally {
      await platform.clearFaults();
      await ops.close();
    }
  });
});

describe('GET /metrics', () => {
  let ops: TestGateway;
  let text: string;
  let platformCounts: Record<string, number>;
  beforeAll(async () => {
    await platform.reset({ seed: 7, devices: 100 });
    ops = await stack.startGateway({ env: { GATEWAY_CACHE_TTL_SECONDS: '600' } });
    await ops.graphql(DASHBOARD, { apiKey: API_KEY });
    await ops.graphql(DASHBOARD, { apiKey: API_KEY });
    await ops.graphql('query Nope { operations(first: 1) { totalCount } }');
    await ops.graphql('query Broken { operation(id: "x") { nope } }', { apiKey: API_KEY });
    await platform.fault({ expireTokens: true });
    await ops.graphql('query AfterExpiry { operations(first: 1) { totalCount } }', { apiKey: API_KEY });
    platformCounts = (await stats()).byRoute;
    const reply = await ops.request('/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    text = reply.text;
  });
  afterAll(() => ops?.close());

  const m = (name: string, labels?: Record<string, string>) => sample(text, `northbound_gateway_${name}`, labels);

  it('counts GraphQL requests by operation name and outcome, and errors by code', () => {
    expect(m('graphql_requests_total', { operation: 'Dashboard', outcome: 'success' })).toBe(2);
    expect(m('graphql_requests_total', { operation: '(anonymous)', outcome: 'rejected' })).toBe(1);
    expect(m('graphql_requests_total', { operation: 'Broken', outcome: 'rejected' })).toBe(1);
    expect(m('graphql_requests_total', { operation: 'AfterExpiry', outcome: 'success' })).toBe(1);
    expect(m('graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
    expect(m('graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
  });

  it('has a latency histogram per operation and outcome', () => {
    expect(m('graphql_request_duration_seconds_count', { operation: 'Dashboard', outcome: 'success' })).toBe(2);
    expect(m('graphql_request_duration_seconds_bucket', { operation: 'Dashboard', outcome: 'success', le: '+Inf' })).toBe(2);
    expect(m('graphql_request_duration_seconds_sum', { operation: 'Dashboard', outcome: 'success' })).toBeGreaterThan(0);
  });

  it('counts platform calls by route and status exactly as the platform counted them, with latency', () => {
    const counted = [...text.matchAll(/^northbound_gateway_platform_calls_total\{route="([^"]+)",status="([^"]+)"\} (\d+)$/gm)];
    const byRoute: Record<string, number> = {};
    for (const [, route, , value] of counted) byRoute[route as string] = (byRoute[route as string] ?? 0) + Number(value);
    expect(byRoute).toEqual(platformCounts);
    // The expired token: one call answered 1010005 (HTTP 401 on the emulator), then a second login.
    expect(counted.some(([, , status]) => status !== '200')).toBe(true);
    expect(m('platform_calls_total', { route: ROUTE.login, status: '200' })).toBe(2);
    expect(m('platform_call_duration_seconds_count', { route: ROUTE.device })).toBe(platformCounts[ROUTE.device]);
  });

  it('reports logins and refreshes, the token and the circuit', () => {
    expect(m('platform_logins_total')).toBe(2);
    expect(m('platform_token_refreshes_total')).toBe(0);
    expect(m('platform_token_valid')).toBe(1);
    expect(m('platform_circuit_state', { state: 'closed' })).toBe(1);
    expect(m('platform_circuit_state', { state: 'open' })).toBe(0);
  });

  it('reports the rate budget: queue depth, slots granted, waits', () => {
    expect(m('rate_budget_queue_depth')).toBe(0);
    expect(m('rate_budget_granted_total')).toBeGreaterThan(0);
    expect(m('rate_budget_waits_total')).toBeGreaterThanOrEqual(0);
    expect(m('rate_budget_wait_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(m('rate_budget_rejected_total')).toBe(0);
  });

  it('reports cache hits and misses: the second dashboard read its devices from the cache', () => {
    expect(m('cache_misses_total', { cache: 'devices' })).toBeGreaterThan(0);
    expect(m('cache_hits_total', { cache: 'devices' })).toBe(m('cache_misses_total', { cache: 'devices' }));
    expect(m('cache_entries', { cache: 'devices' })).toBeGreaterThan(0);
  });

  it('has the process metrics', () => {
    expect(m('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('keeps operation names a bounded set of labels: names past the hundredth count as (other)', async () => {
    for (let i = 0; i < 110; i++) await ops.graphql(`query Op${i} { __typename }`, { apiKey: API_KEY });
    const after = (await ops.request('/metrics')).text;
    const names = new Set([...after.matchAll(/^northbound_gateway_graphql_requests_total\{operation="([^"]+)"/gm)].map((match) => match[1]));
    // A hundred names, and the two the gateway reserves: (anonymous) and (other).
    expect(names.size).toBe(102);
    expect(sample(after, 'northbound_gateway_graphql_requests_total', { operation: '(other)', outcome: 'success' })).toBeGreaterThan(0);
  });
});
