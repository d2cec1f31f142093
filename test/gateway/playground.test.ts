import { getVariableValues, parse, validate, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGatewaySchema } from '../../src/graphql/build-schema.js';
import { EXAMPLES } from '../../src/playground/examples.js';
import type { TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';

/** What a browser sends when the user opens the endpoint's URL. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function openInBrowser(url: string): Promise<Response> {
  return fetch(url, { headers: { accept: BROWSER_ACCEPT } });
}

/** The assets the page links to, as absolute URLs. */
function linkedAssets(html: string, base: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="(\/playground\/assets\/[^"]+)"/g)].map((match) => new URL(match[1] ?? '', base).href);
}

describe('the playground (GATEWAY_PLAYGROUND=graphiql, the default)', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded' });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('answers a browser at the endpoint with a page that loads only from this server, under a strict policy', async () => {
    const response = await openInBrowser(gateway.url);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('data-endpoint="/graphql"');
    expect(linkedAssets(html, gateway.url)).toEqual([
      expect.stringMatching(/\/playground\/assets\/main-\w+\.css$/),
      expect.stringMatching(/\/playground\/assets\/main-\w+\.js$/),
    ]);
    expect(html).not.toMatch(/https?:\/\//);

    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("connect-src 'self';");
    expect(policy).not.toMatch(/unsafe-eval|blob:|https?:|\*/);
  });

  it('serves the files the page links to, gzipped when asked, cacheable for a year', async () => {
    const page = await (await openInBrowser(gateway.url)).text();
    for (const url of linkedAssets(page, gateway.url)) {
      const gzipped = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });

      expect(gzipped.status).toBe(200);
      expect(gzipped.headers.get('content-encoding')).toBe('gzip');
      expect(gzipped.headers.get('content-type')).toMatch(url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(gzipped.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(gzipped.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(plain.headers.get('content-encoding')).toBeNull();
      // fetch decompresses: both are the same file.
      expect(await gzipped.text()).toBe(await plain.text());
    }
  });

  it('serves nothing but the bundle under its assets path', async () => {
    const page = await (await openInBrowser(gateway.url)).text();
    const script = linkedAssets(page, gateway.url).find((url) => url.endsWith('.js')) ?? '';
    for (const path of ['manifest.json', '..%2Fmanifest.json', '..%2F..%2Fpackage.json', `${script.split('/').pop()}.gz`, 'nothing.js']) {
      expect((await fetch(new URL(`/playground/assets/${path}`, gateway.url))).status).toBe(404);
    }
  });

  it('leaves GraphQL requests to GraphQL', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ health { loginOk } }' }),
    });
    expect(await response.json()).toMatchObject({ data: { health: { loginOk: true } } });
  });
});

describe('the playground behind API keys', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { GATEWAY_API_KEYS: 'reader-key:read' } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('is served without a key (it holds no data) and tells the page which header carries one', async () => {
    const response = await openInBrowser(gateway.url);

    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data-api-key-header="x-api-key"');
  });
});

describe('GATEWAY_PLAYGROUND=off', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { GATEWAY_PLAYGROUND: 'off' } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('answers a browser with a short page saying where the endpoint is, not a CSRF error', async () => {
    const response = await openInBrowser(gateway.url);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain('The GraphQL endpoint is <code>/graphql</code>');
    expect(page).not.toContain('<script');
  });
});

describe('GATEWAY_PLAYGROUND=apollo-sandbox', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { GATEWAY_PLAYGROUND: 'apollo-sandbox' } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it("answers a browser with Apollo's page, which loads Apollo Sandbox from Apollo's CDN", async () => {
    const response = await openInBrowser(gateway.url);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(html).toContain('https://embeddable-sandbox.cdn.apollographql.com/');
    expect(html).not.toContain('/playground/assets/');
  });
});

describe('the example tabs', () => {
  it('open on the dashboard query', () => {
    expect(EXAMPLES[0]?.query.replace(/\s+/g, ' ').trim()).toBe(
      'query Dashboard { operations(first: 20) { nodes { id status stats { total success fail progress } subtasks(first: 10) { nodes { status device { name fwVersion status } } } } } }',
    );
  });

  it('are valid against the schema, variables included', async () => {
    const schema = await buildGatewaySchema();
    for (const { query, variables } of EXAMPLES) {
      const document = parse(query);
      expect(validate(schema, document).map((error) => error.message), query).toEqual([]);
      const operation = document.definitions[0] as OperationDefinitionNode;
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
      expect(coerced.errors?.map((error) => error.message), query).toBeUndefined();
    }
  });
});
