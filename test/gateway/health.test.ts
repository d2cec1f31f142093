import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthDocument } from '../generated/graphql.js';
import { execute, type TestGateway } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

describe('health, with the embedded emulator', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded' });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('logs in to the platform and reports it', async () => {
    const { status, data, errors } = await execute(gateway.url, HealthDocument);

    expect(errors).toBeUndefined();
    expect(status).toBe(200);
    expect(data?.health).toMatchObject({
      loginOk: true,
      emulator: true,
      platformUrl: stack.platform.url,
      error: null,
      upstreamCode: null,
    });
    expect(Date.parse(data?.health?.checkedAt ?? '')).not.toBeNaN();
  });

  it('reuses its token rather than logging in for every check', async () => {
    await execute(gateway.url, HealthDocument);
    await execute(gateway.url, HealthDocument);

    expect((await stack.platform.stats()).byRoute[ROUTE.login]).toBe(1);
  });

  it('leaves GraphQL GETs to GraphQL', async () => {
    const response = await fetch(`${gateway.url}?query=${encodeURIComponent('{ health { loginOk } }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });

    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ data: { health: { loginOk: true } } });
  });
});

describe('health, with a wrong platform secret', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { NORTHBOUND_SECRET: 'a-wrong-secret' } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('reports the failed login as data: the mapped code and the platform code, no secret', async () => {
    const response = await execute(gateway.url, HealthDocument);

    expect(response.errors).toBeUndefined();
    expect(response.data?.health).toMatchObject({
      loginOk: false,
      emulator: true,
      error: 'UPSTREAM_AUTH_FAILED',
      upstreamCode: '100208',
    });
    expect(JSON.stringify(response)).not.toContain('a-wrong-secret');
  });
});

describe('health, behind API keys', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { GATEWAY_API_KEYS: 'reader-key:read' } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('refuses a request without a known key', async () => {
    const attempts: Array<Record<string, string>> = [{}, { 'x-api-key': 'not-a-key' }];
    for (const headers of attempts) {
      const { status, data, errors } = await execute(gateway.url, HealthDocument, undefined, headers);

      expect(status).toBe(401);
      expect(data ?? undefined).toBeUndefined();
      expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('serves a request with a known key', async () => {
    const { data } = await execute(gateway.url, HealthDocument, undefined, { 'x-api-key': 'reader-key' });

    expect(data?.health?.loginOk).toBe(true);
  });
});
