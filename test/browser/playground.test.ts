import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../src/playground/examples.js';
import { openBrowser } from '../harness/browser.js';
import { mirrorReady, type TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';

/** Left behind for a person to look at (and for a failed CI run). */
const SCREENSHOT = join(tmpdir(), 'playground.png');
/** Monaco loads well after the page under a parallel test run. */
const EDITOR_TIMEOUT_MS = 20_000;

const DASHBOARD = EXAMPLES[0]?.query ?? '';

/** An editor's text as a user reads it: Monaco renders spaces as non-breaking ones, and line breaks vary. */
async function editorText(page: Page, editor: 'query' | 'headers' | 'response'): Promise<string> {
  const selector = {
    query: '.graphiql-query-editor',
    headers: '.graphiql-editor-tool[aria-label="Headers"]',
    response: '.graphiql-response',
  }[editor];
  const text = await page.locator(`${selector} .view-lines`).filter({ visible: true }).first().innerText();
  return normalise(text);
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// Each test waits for a browser and, in turn, for three editors: more than the suite's default allows under load.
describe('the playground in a browser', { timeout: 90_000 }, () => {
  let stack: Stack | undefined;
  let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
  afterEach(async () => {
    await browser?.close();
    await stack?.close();
    browser = undefined;
    stack = undefined;
  });
  /** A gateway with its own emulator and the mirror on, READY. */
  async function startGateway(env: Record<string, string>): Promise<TestGateway> {
    stack = await startStack({ platform: 'embedded', env: { MIRROR_BUDGET_SHARE: '0.5', ...env } });
    await mirrorReady(stack.gateway);
    return stack.gateway;
  }

  it('opens on the dashboard query and shows its result from the gateway, needing nothing from elsewhere', async () => {
    // As on a first run: the fleet mirror answers the dashboard once it is ready.
    const gateway = await startGateway({});
    browser = await openBrowser();
    const expected = (await (
      await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: DASHBOARD }),
      })
    ).json()) as { data?: { operations: { nodes: Array<{ id: string }> } }; errors?: unknown };
    expect(expected.errors).toBeUndefined();
    const firstId = expected.data?.operations.nodes[0]?.id;
    expect(firstId).toBeDefined();

    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(gateway.url);

    await expect.poll(() => editorText(page, 'query'), { timeout: EDITOR_TIMEOUT_MS }).toBe(normalise(DASHBOARD));
    await page.getByRole('button', { name: /execute query/i }).click();

    await expect.poll(() => editorText(page, 'response'), { timeout: EDITOR_TIMEOUT_MS }).toContain(`"id": "${firstId}"`);
    const response = await editorText(page, 'response');
    expect(response).toMatch(/^\{ "data": \{ "operations": \{ "nodes": \[/);
    expect(response).not.toContain('"errors"');
    // One tab per example, the dashboard first and selected.
    await expect.poll(() => page.getByRole('tab').count()).toBe(EXAMPLES.length);
    expect(await page.getByRole('tab', { selected: true }).innerText()).toContain('Dashboard');
    await page.screenshot({ path: SCREENSHOT });

    expect(browser.blocked).toEqual([]);
    // Content-Security-Policy refusals are reported as console errors.
    expect(consoleErrors).toEqual([]);
  });

  it('keeps its title on one line and every example tab in sight at common widths', async () => {
    const gateway = await startGateway({});
    browser = await openBrowser();
    const measure = `(() => {
      const logo = document.querySelector('.graphiql-logo');
      const range = document.createRange();
      range.selectNodeContents(logo);
      const list = document.querySelector('[role=tablist]').getBoundingClientRect();
      const tabs = [...document.querySelectorAll('[role=tab]')];
      return {
        titleLines: new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size,
        scrolls: document.querySelector('[role=tablist]').scrollWidth > document.querySelector('[role=tablist]').clientWidth,
        outOfSight: tabs.filter((t) => t.getBoundingClientRect().right > list.right + 1 || t.getBoundingClientRect().left < list.left - 1).map((t) => t.innerText),
        shortened: tabs.map((t) => t.querySelector('.graphiql-tab-button')).filter((b) => b.scrollWidth > b.clientWidth).map((b) => b.title),
      };
    })()`;
    for (const width of [1024, 1280, 1366, 1920]) {
      const page = await browser.context.newPage();
      await page.setViewportSize({ width, height: 800 });
      await page.goto(gateway.url);
      await expect.poll(() => page.getByRole('tab').count(), { timeout: EDITOR_TIMEOUT_MS }).toBe(EXAMPLES.length);
      const header = (await page.evaluate(measure)) as { titleLines: number; scrolls: boolean; outOfSight: string[]; shortened: string[] };
      expect({ width, titleLines: header.titleLines, scrolls: header.scrolls, outOfSight: header.outOfSight }).toEqual({ width, titleLines: 1, scrolls: false, outOfSight: [] });
      // From 1280 pixels on, every name in full; narrower, shortened (the tooltip has it) but still there.
      if (width >= 1280) expect(header.shortened, `at ${width}`).toEqual([]);
      await page.screenshot({ path: join(tmpdir(), `playground-header-${width}.png`), clip: { x: 0, y: 0, width, height: 80 } });
      await page.close();
    }
  });

  /** Runs the live tab over the page's transport, and creates a task meanwhile; returns the page's WebSocket URLs and stream requests. */
  async function runLiveTab(query: string): Promise<{ sockets: string[]; streams: string[] }> {
    const gateway = await startGateway({});
    browser = await openBrowser();
    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const sockets: string[] = [];
    const streams: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('request', (request) => {
      if (request.headers().accept === 'text/event-stream') streams.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    await page.goto(`${gateway.url}${query}`);
    await expect.poll(() => editorText(page, 'query'), { timeout: EDITOR_TIMEOUT_MS }).toBe(normalise(DASHBOARD));
    await page.getByRole('tab', { name: /LiveProgress/ }).click();
    const live = EXAMPLES.find((e) => e.query.includes('subscription LiveProgress'))?.query ?? '';
    await expect.poll(() => editorText(page, 'query'), { timeout: EDITOR_TIMEOUT_MS }).toBe(normalise(live));
    await page.getByRole('button', { name: /execute query/i }).click();
    // Give the socket a moment, then create a task elsewhere (as another user would).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const post = (query: string, variables?: unknown) =>
      fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then((r) => r.json());
    const { data } = (await post('{ fleet(first: 20) { nodes { id deviceType model fwVersion } } upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id deviceType model version } } }')) as {
      data: { fleet: { nodes: Array<Record<string, string>> }; upgradePackages: { nodes: Array<Record<string, string>> } };
    };
    const device = data.fleet.nodes.find((d) => data.upgradePackages.nodes.some((p) => p.deviceType === d.deviceType && p.model === d.model && p.version !== d.fwVersion));
    const pkg = data.upgradePackages.nodes.find((p) => p.deviceType === device?.deviceType && p.model === device?.model && p.version !== device?.fwVersion);
    const created = (await post('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
      input: { fileId: pkg?.id, targets: { deviceIds: [device?.id] } },
    })) as { data: { createFirmwareUpgradeTask: { operationId: string } } };
    const id = created.data.createFirmwareUpgradeTask.operationId;
    await expect.poll(() => editorText(page, 'response'), { timeout: EDITOR_TIMEOUT_MS }).toContain(`"id": "${id}"`);
    expect(await editorText(page, 'response')).toContain('"operationsChanged"');
    await page.screenshot({ path: join(tmpdir(), 'playground-live.png') });
    expect(browser.blocked).toEqual([]);
    expect(consoleErrors).toEqual([]);
    return { sockets, streams };
  }

  it('runs the live tab: a subscription over graphql-ws shows a task created meanwhile', async () => {
    const { sockets, streams } = await runLiveTab('');
    expect(sockets.length).toBeGreaterThan(0);
    expect(streams).toEqual([]);
  });

  it('runs the live tab over Server-Sent Events when the page is opened with ?transport=sse', async () => {
    const { sockets, streams } = await runLiveTab('?transport=sse');
    expect(sockets).toEqual([]);
    expect(streams).toEqual(['POST /graphql/stream']);
  });

  it('lets the user send an API key in the headers editor when the gateway requires one', async () => {
    const gateway = await startGateway({ GATEWAY_API_KEYS: 'reader-key:read' });
    browser = await openBrowser();
    const page = await browser.context.newPage();
    await page.goto(gateway.url);

    // The headers editor is open, with the header to fill in.
    await expect.poll(() => editorText(page, 'headers'), { timeout: EDITOR_TIMEOUT_MS }).toContain('"x-api-key": ""');
    await expect.poll(() => editorText(page, 'query'), { timeout: EDITOR_TIMEOUT_MS }).toBe(normalise(DASHBOARD));

    // Type the key between the quotes, as a user would.
    await page.locator('.graphiql-editor-tool[aria-label="Headers"] .view-line', { hasText: 'x-api-key' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('reader-key');
    await expect.poll(() => editorText(page, 'headers')).toContain('"x-api-key": "reader-key"');
    await page.getByRole('button', { name: /execute query/i }).click();

    await expect.poll(() => editorText(page, 'response'), { timeout: EDITOR_TIMEOUT_MS }).toMatch(/^\{ "data": \{ "operations": /);
    expect(browser.blocked).toEqual([]);
  });
});
