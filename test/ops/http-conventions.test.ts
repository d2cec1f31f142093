// What browsers and generic HTTP clients expect of the gateway: cross-origin access for the listed origins only
// (GATEWAY_CORS_ORIGINS), Retry-After on RATE_LIMITED answers, and pages where a person lands (`/`, and the endpoint
// in production). The browser's own enforcement of CORS is in test/browser/cors.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFLIGHT_MAX_AGE_SECONDS } from '../../src/http/cors.js';
import type { TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { startEmbedded } from './support.js';

const ALLOWED = 'http://app.example.test:3000';
const OTHER = 'http://evil.example.test';
const QUERY = '{ health { loginOk } }';

function preflight(ops: TestGateway, origin: string) {
  return ops.request('/graphql', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
  });
}

describe('cross-origin access with GATEWAY_CORS_ORIGINS', () => {
  let stack: Stack;
  let ops: TestGateway;
  beforeAll(async () => {
    stack = await startEmbedded({ LOG_LEVEL: 'error', GATEWAY_CORS_ORIGINS: `${ALLOWED},http://other.example.test` });
    ops = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('answers a listed origin’s preflight with its origin, the methods and headers a client sends, cached, and no credentials', async () => {
    const reply = await preflight(ops, ALLOWED);
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(reply.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(reply.headers.get('access-control-allow-headers')?.split(', ')).toEqual(expect.arrayContaining(['content-type', 'x-api-key']));
    expect(reply.headers.get('access-control-max-age')).toBe(String(PREFLIGHT_MAX_AGE_SECONDS));
    expect(reply.headers.get('access-control-allow-credentials')).toBeNull();
    expect(reply.headers.get('vary')).toContain('Origin');
  });

  it('lets a listed origin read the answer and its request id', async () => {
    const reply = await ops.graphql(QUERY, { headers: { origin: ALLOWED } });
    expect(reply.json.data.health.loginOk).toBe(true);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(reply.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('gives any other origin no Access-Control header: its preflight is refused, its answers unreadable to its page', async () => {
    const refused = await preflight(ops, OTHER);
    expect(refused.status).toBe(403);
    expect([...refused.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const reply = await ops.graphql(QUERY, { headers: { origin: OTHER } });
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('cross-origin access without GATEWAY_CORS_ORIGINS', () => {
  let stack: Stack;
  let ops: TestGateway;
  beforeAll(async () => {
    stack = await startEmbedded({ LOG_LEVEL: 'error' });
    ops = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('allows no origin', async () => {
    expect((await preflight(ops, ALLOWED)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await ops.graphql(QUERY, { headers: { origin: ALLOWED } })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Retry-After on RATE_LIMITED answers', () => {
  let stack: Stack;
  let ops: TestGateway;
  const KEY = 'retry-after-key-5d1f0a';
  beforeAll(async () => {
    stack = await startStack({ platform: { devices: 20 }, env: { GATEWAY_API_KEYS: `${KEY}:read`, NORTHBOUND_RATE_LIMIT: '2/60s', GATEWAY_CLIENT_BUDGET_SHARE: '1', LOG_LEVEL: 'error' } });
    ops = stack.gateway;
    // Spends the budget (the last of it may be kept for a newcomer).
    for (let spent = false; !spent; ) {
      const reply = await ops.graphql('{ operations(first: 1) { totalCount } }', { apiKey: KEY });
      spent = reply.json.errors?.[0]?.extensions?.code === 'RATE_LIMITED';
    }
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a request that got nothing for want of budget with 429 and the error’s retryAfterSeconds as Retry-After', async () => {
    const reply = await ops.graphql('{ upgradePackages { totalCount } }', { apiKey: KEY });
    expect(reply.json.data.upgradePackages).toBeNull();
    const [error] = reply.json.errors;
    expect(error.extensions.code).toBe('RATE_LIMITED');
    expect(reply.status).toBe(429);
    expect(error.extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(reply.headers.get('retry-after')).toBe(String(error.extensions.retryAfterSeconds));
  });

  it('keeps a partial answer 200, with Retry-After for the part refused', async () => {
    const reply = await ops.graphql('{ health { budgetExhausted } upgradePackages { totalCount } }', { apiKey: KEY });
    expect(reply.status).toBe(200);
    expect(reply.json.data.health.budgetExhausted).toBe(true);
    expect(reply.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['RATE_LIMITED']);
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('gives no Retry-After to an answer without RATE_LIMITED', async () => {
    const reply = await ops.graphql('{ health { budgetExhausted } }', { apiKey: KEY });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('retry-after')).toBeNull();
  });
});

describe('the platform-call estimate refusal', () => {
  let stack: Stack;
  let ops: TestGateway;
  beforeAll(async () => {
    stack = await startEmbedded({ LOG_LEVEL: 'error' });
    ops = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('is 429 with Retry-After of one budget window, so automatic retries back off', async () => {
    const reply = await ops.graphql(`{ devices(ids: [${Array.from({ length: 60 }, (_, i) => `"d${i}"`).join(', ')}]) { id } }`);
    expect(reply.status).toBe(429);
    expect(reply.json.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(reply.headers.get('retry-after')).toBe('60');
  });
});

describe('where a browser lands', () => {
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  it('is sent from / to the playground', async () => {
    const stack = await startEmbedded({ LOG_LEVEL: 'error' });
    const ops = stack.gateway;
    try {
      const reply = await ops.request('/', { headers: html, redirect: 'manual' });
      expect(reply.status).toBe(302);
      expect(reply.headers.get('location')).toBe('/graphql');
    } finally {
      await stack.close();
    }
  });

  it('finds, in production without a playground, a page saying where the endpoint is, at / and at the endpoint', async () => {
    const stack = await startEmbedded({ LOG_LEVEL: 'error', NODE_ENV: 'production' });
    const ops = stack.gateway;
    try {
      for (const path of ['/', '/graphql']) {
        const reply = await ops.request(path, { headers: html });
        expect(reply.status).toBe(200);
        expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
        expect(reply.text).toContain('The GraphQL endpoint is <code>/graphql</code>');
        expect(reply.text).toContain('GATEWAY_PLAYGROUND');
      }
      // Clients are answered as before.
      expect((await ops.graphql(QUERY)).json.data.health.loginOk).toBe(true);
    } finally {
      await stack.close();
    }
  });
});
