// Cross-origin access as a browser enforces it: a page from an origin in GATEWAY_CORS_ORIGINS queries the gateway
// with a JSON POST carrying an API key (so Chromium sends a preflight first), and a page from any other origin is
// kept from the answer. The two pages are served by small servers of their own, on other ports.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../harness/browser.js';
import { mirrorReady, type TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';

// Every host but this machine's fails to resolve (see below).
const ARGS = [...CHROMIUM_ARGS, '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'];
const API_KEY = 'cors-browser-key-3e8a61';

function isLocal(url: string): boolean {
  const { hostname } = new URL(url);
  return hostname === 'localhost' || hostname === '127.0.0.1';
}

/**
 * A page that POSTs a query to the gateway with fetch and shows what came back, or why nothing did; and that
 * subscribes to a device's changes over graphql-ws (the protocol by hand: no bundling here) and shows the first.
 */
function pageQuerying(graphqlUrl: string, deviceId = ''): string {
  const live = `
    const socket = new WebSocket(${JSON.stringify(graphqlUrl.replace(/^http/, 'ws'))}, 'graphql-transport-ws');
    const show = (text) => { document.getElementById('live').textContent = text; };
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': ${JSON.stringify(API_KEY)} } }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        show('subscribed');
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription($id: ID!) { deviceUpdated(id: $id) { id name } }', variables: { id: ${JSON.stringify(deviceId)} } } }));
      }
      if (message.type === 'next') show('update: ' + JSON.stringify(message.payload));
    };
    socket.onclose = (event) => { if (document.getElementById('live').textContent === 'waiting') show('refused: ' + event.code); };`;
  const script = `${live}
    fetch(${JSON.stringify(graphqlUrl)}, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ${JSON.stringify(API_KEY)} },
      body: JSON.stringify({ query: '{ health { loginOk } }' }),
    })
      .then((response) => response.json())
      .then((body) => { document.getElementById('result').textContent = 'answered: ' + JSON.stringify(body); },
            (error) => { document.getElementById('result').textContent = 'refused: ' + error.name; });`;
  return `<!doctype html><html><body><pre id="result">waiting</pre><pre id="live">waiting</pre><script>${script}</script></body></html>`;
}

/** Serves `html` at `/` from a port of its own: a page of another origin than the gateway's. */
async function servePage(html: string): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('cross-origin pages in a browser', { timeout: 60_000 }, () => {
  let stack: Stack;
  let gateway: TestGateway;
  let allowed: { port: number; server: Server };
  let other: { port: number; server: Server };
  let context: BrowserContext;
  let profile: string;
  const elsewhere: string[] = [];
  let deviceId = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium (.ci/run installs it)`);
    allowed = await servePage('');
    // The gateway needs the allowed page's origin, and the page the gateway's URL: the page is set once both exist.
    stack = await startStack({ platform: 'embedded', env: { GATEWAY_CORS_ORIGINS: `http://localhost:${allowed.port}`, GATEWAY_API_KEYS: `${API_KEY}:read`, MIRROR_BUDGET_SHARE: '0.5' } });
    gateway = stack.gateway;
    await mirrorReady(gateway);
    deviceId = (await gateway.query('{ fleet(first: 1) { nodes { id } } }')).data.fleet.nodes[0]?.id ?? '';
    allowed.server.removeAllListeners('request');
    allowed.server.on('request', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(pageQuerying(gateway.url, deviceId)));
    other = await servePage(pageQuerying(gateway.url));
    profile = mkdtempSync(join(tmpdir(), 'cors-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS });
    // Every other host fails to resolve. Not `context.route`: with interception on, Playwright answers CORS
    // preflights itself, allowing everything, and the gateway's answer would never be tested.
    context.on('request', (request) => {
      if (!isLocal(request.url())) elsewhere.push(request.url());
    });
  });
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.close();
    allowed?.server.close();
    other?.server.close();
    expect(elsewhere).toEqual([]);
  });

  it('lets a page from an allowed origin query the gateway', async () => {
    const page = await context.newPage();
    await page.goto(`http://localhost:${allowed.port}/`);
    await expect.poll(() => page.locator('#result').innerText()).toMatch(/^(answered|refused)/);
    expect(await page.locator('#result').innerText()).toBe('answered: {"data":{"health":{"loginOk":true}}}');
    // The page's subscription hears of a change the platform pushes.
    await expect.poll(() => page.locator('#live').innerText()).toBe('subscribed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stack.platform.control(`devices/${deviceId}`, { name: 'renamed-live' });
    await expect.poll(() => page.locator('#live').innerText(), { timeout: 10_000 }).toBe(`update: {"data":{"deviceUpdated":{"id":"${deviceId}","name":"renamed-live"}}}`);
  });

  it('keeps the answer from a page of another origin: the browser refuses the request', async () => {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    // Same host and scheme as the allowed page, another port: another origin.
    await page.goto(`http://localhost:${other.port}/`);
    await expect.poll(() => page.locator('#result').innerText()).toMatch(/^(answered|refused)/);
    expect(await page.locator('#result').innerText()).toBe('refused: TypeError');
    expect(consoleErrors.join('\n')).toContain('blocked by CORS policy');
    // Its WebSocket is refused at the upgrade.
    await expect.poll(() => page.locator('#live').innerText()).toMatch(/^refused: \d+$/);
  });
});
