import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';

/** The assets the console's page links to, as absolute URLs. */
function linkedAssets(html: string, base: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => new URL(match[1] ?? '', base).href);
}

describe('the console (GATEWAY_CONSOLE=on, the default)', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { GATEWAY_API_KEYS: 'k1:read' } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('serves /console without a key, loading only from this server under a policy with no inline code or style', async () => {
    const response = await fetch(`${gateway.baseUrl}/console`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(html).toContain('data-endpoint="/graphql"');
    // The page asks for a key because the gateway checks them.
    expect(html).toContain('data-auth="keys"');
    expect(html).not.toMatch(/https?:\/\//);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("style-src 'self';");
    expect(policy).not.toMatch(/unsafe-|blob:|https?:|\*/);

    const assets = linkedAssets(html, gateway.baseUrl);
    expect(assets).toEqual([expect.stringMatching(/\/console-\w+\.css$/), expect.stringMatching(/\/console-\w+\.js$/)]);
    for (const url of assets) {
      const asset = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-encoding')).toBe('gzip');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${gateway.baseUrl}/console/assets/..%2Fmanifest.json`)).status).toBe(404);
  });
});

describe('GATEWAY_CONSOLE=off', () => {
  let stack: Stack;
  let gateway: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { GATEWAY_CONSOLE: 'off' } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('serves no console', async () => {
    expect((await fetch(`${gateway.baseUrl}/console`)).status).toBe(404);
  });
});
