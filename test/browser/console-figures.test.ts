// The console's figures, as an operator reads them in Chromium, against what the API says at the same moment: the
// failure threshold's line says when the threshold starts to apply; the Status page shows the call budget (used of
// the limit, when a slot frees, the caller's own line, every line for an operate key) and follows it as calls are
// spent; the role comes from `viewer`; the version bars of every device type share one scale.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from '../harness/browser.js';
import type { Stack } from '../harness/stack.js';
import { accessibilityProblems, graphqlData, openPage, packageWithTargets, signIn, visit, SCREENSHOTS, startConsoleStack, type ConsoleStack } from './console-support.js';
import { clientNameOf } from '../harness/keys.js';

const OPERATOR = 'figures-operator-key';
const READER = 'figures-reader-key';
const BUDGET = '{ health { budget { used limit windowSeconds byClient { client used } } } }';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: Stack;
let browser: TestBrowser;
let consoleUrl: string;
let running: ConsoleStack;

/** As the README names a key's client: `key-` and the first 8 hex digits of its SHA-256. */

const graphql = (query: string, variables?: Json, apiKey?: string) => graphqlData(stack.gateway, query, variables, apiKey);

/** The budget's rows on the page: client (with " (you)" for the caller's own) and calls. */
async function budgetLines(page: Page): Promise<Array<[string, number]>> {
  const rows = await page.getByTestId('budget-line').all();
  return Promise.all(rows.map(async (row) => [await row.locator('td').first().innerText(), Number(await row.locator('td').last().innerText())] as [string, number]));
}

beforeAll(async () => {
  running = await startConsoleStack({ operator: OPERATOR, reader: READER });
  ({ stack, browser, consoleUrl } = running);
}, 60_000);
afterAll(async () => {
  await running?.close();
});

describe("the console's figures in a browser", { timeout: 120_000 }, () => {
  it('says the failure threshold waits for its minimum of finished devices, and does not halt before', async () => {
    // Six online devices of one product not on the package's version yet; the second is made to fail.
    const { pkg, filter } = await packageWithTargets(stack.gateway, 6);
    const deviceIds: string[] = (await graphql('query($f: DeviceFilter) { fleet(filter: $f, first: 6) { nodes { id } } }', { f: filter })).fleet.nodes.map((d: Json) => d.id);
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
    await stack.platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: [deviceIds[1]] });
    const input = {
      fileId: pkg.id,
      name: 'threshold test',
      targets: { deviceIds },
      // The first wave's three devices end; the long soak keeps the second from starting.
      waves: [{ count: 3 }, { percent: 100 }],
      soakMinutes: 60,
      failureThreshold: { percent: 20, minFinished: 5 },
    };
    const { createRollout } = await graphql('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId rollout { waves { deviceIds } } } }', { input });
    const id = createRollout.rolloutId as string;
    expect(createRollout.rollout.waves[0].deviceIds).toEqual(deviceIds.slice(0, 3));

    const { page, errors } = await openPage(browser);
    await signIn(page, consoleUrl, OPERATOR);
    await visit(page, consoleUrl, `rollouts/${id}`, 'Rollout threshold test');
    const line = page.getByTestId('threshold');
    expect(await line.innerText()).toBe('No device has finished yet. The 20% threshold applies once 5 devices have finished: 0 so far.');

    const standing = async () => (await graphql('query($id: ID!) { rollout(id: $id) { state waves { state operations { id } } thresholdStanding { failed finished appliesAt applies } } }', { id })).rollout;
    // The orchestrator creates the first wave's task within a tick; then the platform's clock moves its upgrades on
    // (they start within 30 s and run up to 300 s), the mirror reading them every second.
    await expect.poll(async () => (await standing()).waves[0].operations.length, { timeout: 15_000 }).toBe(1);
    for (let step = 0; step < 20 && (await standing()).thresholdStanding.finished < 3; step++) {
      await stack.platform.control('clock', { advanceSeconds: 30 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    const after = await standing();
    expect(after).toMatchObject({ state: 'RUNNING', thresholdStanding: { failed: 1, finished: 3, appliesAt: 5, applies: false } });
    // 33 % failed is over the threshold's 20 %, but only 3 of the 5 devices it waits for have finished.
    await expect.poll(() => line.innerText(), { timeout: 10_000 }).toBe('Failed so far: 33% of 3 finished. The 20% threshold applies once 5 devices have finished: 3 so far.');
    expect(await page.locator('.state-line .badge').innerText()).toBe('running');
    // One line for the rollout, under its overall progress: the threshold judges all waves together.
    expect(await page.getByText(/threshold applies/).count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'threshold.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a read key the budget, its own line, and follows it as calls are spent; the role from viewer', async () => {
    const { page, errors } = await openPage(browser);
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') sent.push(request.postData() ?? '');
    });
    await signIn(page, consoleUrl, READER);
    expect(await page.getByText('read only').isVisible()).toBe(true);
    // Asked, not guessed from a refused mutation.
    expect(sent.some((body) => body.includes('viewer'))).toBe(true);
    expect(sent.filter((body) => body.includes('mutation'))).toEqual([]);

    await visit(page, consoleUrl, 'status', 'Status');
    const own = clientNameOf(READER);
    const line = async () => (await budgetLines(page))[0] ?? ['', NaN];
    await expect.poll(() => budgetLines(page).then((lines) => lines.length), { timeout: 10_000 }).toBe(1);
    // The page's line is the API's, once a refresh has followed the page's own health check.
    const api = async () => (await graphql(BUDGET, undefined, READER)).health.budget;
    await expect.poll(async () => JSON.stringify(await line()) === JSON.stringify([`${own} (you)`, (await api()).byClient[0].used]), { timeout: 15_000 }).toBe(true);
    const budget = await api();
    expect(budget.byClient).toHaveLength(1);
    const used = /^(\d+) of (\d+) calls used in the last (\d+) s$/.exec(await page.getByTestId('budget-used').innerText());
    expect(used?.slice(2)).toEqual([String(budget.limit), String(budget.windowSeconds)]);
    expect(Number(used?.[1])).toBeGreaterThanOrEqual((await line())[1]);
    expect(await page.getByTestId('budget-reset').innerText()).toMatch(/^The oldest call leaves the window in \d+ s, freeing a slot\.$/);
    expect(await page.getByRole('meter', { name: 'Call budget used' }).getAttribute('aria-valuemax')).toBe(String(budget.limit));

    // Three calls of the read key's: the page's line follows within a refresh.
    const before = (await line())[1];
    await Promise.all([1, 2, 3].map(() => graphql('query($id: ID!) { operation(id: $id) { id } }', { id: randomBytes(12).toString('hex') }, READER)));
    await expect.poll(() => line(), { timeout: 15_000 }).toEqual([`${own} (you)`, before + 3]);
    await page.screenshot({ path: join(SCREENSHOTS, 'status-budget-read.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows an operate key every client's line, its own marked", async () => {
    const { page, errors } = await openPage(browser);
    await signIn(page, consoleUrl, OPERATOR);
    await visit(page, consoleUrl, 'status', 'Status');
    await expect.poll(() => budgetLines(page).then((lines) => lines.length), { timeout: 10_000 }).toBeGreaterThan(1);
    const lines = await budgetLines(page);
    const clients = lines.map(([client]) => client);
    expect(clients).toContain(`${clientNameOf(OPERATOR)} (you)`);
    expect(clients).toContain('mirror');
    expect(clients.filter((client) => client.endsWith('(you)'))).toHaveLength(1);
    // Most calls first, as the API lists them.
    expect(lines.map(([, calls]) => calls)).toEqual([...lines.map(([, calls]) => calls)].sort((a, b) => b - a));
    await page.screenshot({ path: join(SCREENSHOTS, 'status-budget-operate.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws every version bar on one scale, whichever device type it belongs to', async () => {
    const { page, errors } = await openPage(browser);
    await signIn(page, consoleUrl, READER);
    const { fleetSummary } = await graphql('{ fleetSummary { byDeviceType { count } } }');
    const types = fleetSummary.byDeviceType.length as number;
    await expect.poll(() => page.locator('.chart').count(), { timeout: 10_000 }).toBe(2 * types);
    // In the page: each row's figure, its bar's width and its track's.
    const bars = (await page.evaluate(
      "[...document.querySelectorAll('.chart li')].map((li) => ({ value: Number(li.querySelector('.chart-value').firstChild.textContent.trim()), bar: li.querySelector('.chart-bar').getBoundingClientRect().width, track: li.querySelector('.chart-track').getBoundingClientRect().width }))",
    )) as Array<{ value: number; bar: number; track: number }>;
    expect(bars.length).toBeGreaterThan(2 * types);
    const scale = Math.max(...fleetSummary.byDeviceType.map((t: Json) => t.count));
    expect(await page.getByText(`a full bar is ${scale} devices`).count()).toBe(1);
    for (const { value, bar, track } of bars) expect(bar).toBeCloseTo((track * value) / scale, 0);
    // A scale of each chart's own would fill the largest bar of every chart: here most do not.
    const charts = (await page.evaluate(
      "[...document.querySelectorAll('.chart')].map((chart) => Math.max(...[...chart.querySelectorAll('li')].map((li) => li.querySelector('.chart-bar').getBoundingClientRect().width / li.querySelector('.chart-track').getBoundingClientRect().width)))",
    )) as number[];
    expect(charts.filter((fullest) => fullest < 0.95).length).toBeGreaterThan(types);
    expect(errors).toEqual([]);
    await page.close();
  });
});
