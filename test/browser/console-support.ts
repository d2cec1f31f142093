// What the console's browser tests share: a page that records console errors, signing in with a key, going to a
// section, and axe-core's serious findings.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { openBrowser, type TestBrowser } from '../harness/browser.js';
import { mirrorReady, TEST_API_KEY } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';

/** Where the console's tests write a screenshot of each page (not committed). */
export const SCREENSHOTS = fileURLToPath(new URL('../../screenshots/console/', import.meta.url));

export interface ConsoleStack {
  stack: Stack;
  browser: TestBrowser;
  consoleUrl: string;
  close(): Promise<void>;
}

/**
 * A gateway with an operate and a read key beside the tests' own, its mirror READY, and a browser. Without push the
 * mirror reads running tasks again every second: what the page shows lags the platform by about that.
 */
export async function startConsoleStack(keys: { operator: string; reader: string }): Promise<ConsoleStack> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const stack = await startStack({
    env: { GATEWAY_API_KEYS: `${TEST_API_KEY}:operate,${keys.operator}:operate,${keys.reader}:read`, MIRROR_BUDGET_SHARE: '0.5', MIRROR_POLL_SECONDS: '1' },
  });
  await mirrorReady(stack.gateway);
  const browser = await openBrowser();
  return {
    stack,
    browser,
    consoleUrl: `${stack.gateway.baseUrl}/console`,
    close: async () => {
      await browser.close();
      await stack.close();
    },
  };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A query's data as the API answers it (with the tests' operate key unless another is given); errors throw. */
export async function graphqlData(gateway: { url: string }, query: string, variables?: Json, apiKey = TEST_API_KEY): Promise<Json> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Json;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as Json;
}

/**
 * The first firmware package with at least `count` ONLINE devices of its product not on its version yet, and the
 * filter that finds them (a rollout's target).
 */
export async function packageWithTargets(gateway: { url: string }, count: number): Promise<{ pkg: Json; filter: Json }> {
  const { upgradePackages } = await graphqlData(gateway, '{ upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id deviceType model manufacturerName version } } }');
  for (const pkg of upgradePackages.nodes as Json[]) {
    const filter = { deviceType: pkg.deviceType, model: pkg.model, manufacturerName: pkg.manufacturerName, fwVersionNot: pkg.version, status: ['ONLINE'] };
    if ((await graphqlData(gateway, 'query($f: DeviceFilter) { fleetSummary(filter: $f) { total } }', { f: filter })).fleetSummary.total >= count) return { pkg, filter };
  }
  throw new Error(`no firmware package with ${count} online devices to upgrade`);
}

/** From node_modules, evaluated in the page (an injected <script> would be refused by the console's CSP). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A page that records what the console must never produce: console errors, uncaught exceptions. */
export async function openPage(browser: TestBrowser, viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors };
}

export async function signIn(page: Page, consoleUrl: string, key: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API key').press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
}

export async function visit(page: Page, consoleUrl: string, route: string, heading: string | RegExp): Promise<void> {
  await page.goto(`${consoleUrl}#/${route}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** axe-core's serious and critical findings on the page as it stands. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))",
  )) as Array<{ id: string; impact: string; help: string; targets: string[] }>;
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.slice(0, 3).join(', ')}`);
}
