import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../harness/stack.js';
import type { TestBrowser } from '../harness/browser.js';
import { accessibilityProblems, graphqlData, openPage as openConsolePage, packageWithTargets, signIn as signInWith, visit as visitRoute, SCREENSHOTS, startConsoleStack, type ConsoleStack } from './console-support.js';

/** Written by every run for a person to look at; git-ignored. */
const OPERATOR = 'console-operator-key';
const READER = 'console-reader-key';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: Stack;
let browser: TestBrowser;
let consoleUrl: string;
let running: ConsoleStack;

const graphql = (query: string, variables?: Json) => graphqlData(stack.gateway, query, variables);

const openPage = (viewport?: { width: number; height: number }) => openConsolePage(browser, viewport);
const signIn = (page: Page, key: string) => signInWith(page, consoleUrl, key);
const visit = (page: Page, route: string, heading: string | RegExp) => visitRoute(page, consoleUrl, route, heading);

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function progressOf(page: Page, name: string): Promise<number> {
  return Number(await page.getByRole('progressbar', { name }).getAttribute('aria-valuenow'));
}

beforeAll(async () => {
  running = await startConsoleStack({ operator: OPERATOR, reader: READER });
  ({ stack, browser, consoleUrl } = running);
}, 60_000);
afterAll(async () => {
  await running?.close();
});

describe("the operators' console in a browser", { timeout: 120_000 }, () => {
  it('walks an operator through a rollout: the form, the first wave moving live, pause and resume, a failed device', async () => {
    // A product with online devices some of which do not run the package's version yet.
    const { pkg, filter } = await packageWithTargets(stack.gateway, 8);
    const { fleet, fleetSummary } = await graphql('query($f: DeviceFilter) { fleet(filter: $f, first: 500) { nodes { id name } } fleetSummary(filter: $f) { total } }', { f: filter });
    // The first wave is the first 4 targets by name; the second of them is made to fail.
    const failing = fleet.nodes[1] as Json;
    await stack.platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: [failing.id] });

    const { page, errors } = await openPage();
    const loadStarted = Date.now();
    await signIn(page, OPERATOR);
    const loadedMs = Date.now() - loadStarted;
    const paint = (await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime")) as number | undefined;
    console.log(`console: first contentful paint ${Math.round(paint ?? NaN)} ms, key given and fleet shown ${loadedMs} ms after navigation`);
    expect(await page.getByText('operate', { exact: true }).isVisible()).toBe(true);

    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('link', { name: 'New rollout' }).click();
    await page.getByRole('heading', { level: 1, name: 'New rollout' }).waitFor();
    await page.getByLabel('Package', { exact: true }).selectOption(pkg.id as string);
    // The package fills in its product and version; the operator narrows to online devices.
    expect(await page.getByLabel('Device type').inputValue()).toBe(pkg.deviceType);
    await page.getByRole('checkbox', { name: 'online' }).check();
    await expect.poll(() => page.getByTestId('matching').innerText()).toBe(`${fleetSummary.total} matching devices`);
    await page.getByLabel('Name (optional)').fill('console test');
    await page.getByLabel('Wave 1 size').fill('4');
    await page.getByLabel('Wave 1 unit').selectOption('count');
    await page.getByLabel('Halt when this % of finished devices failed (empty: never)').fill('75');
    await page.getByLabel('Once at least this many finished').fill('4');
    // A value the gateway refuses: its message shows next to the field.
    await page.getByLabel('Soak between waves (minutes)').fill('-1');
    await page.getByRole('button', { name: 'Create rollout' }).click();
    const soak = page.getByLabel('Soak between waves (minutes)');
    await expect.poll(() => soak.getAttribute('aria-invalid')).toBe('true');
    const soakError = page.locator(`#${await soak.getAttribute('aria-describedby')}`);
    expect(await soakError.innerText()).toMatch(/soakMinutes is a whole number from 0/);
    await screenshot(page, 'rollout-form');
    expect(await accessibilityProblems(page)).toEqual([]);

    await soak.fill('0');
    await page.getByRole('button', { name: 'Create rollout' }).click();
    await page.getByRole('heading', { level: 1, name: 'Rollout console test' }).waitFor();
    const rolloutId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    const { rollout } = await graphql('query($id: ID!) { rollout(id: $id) { total waves { size deviceIds } } }', { id: rolloutId });
    expect(rollout.total).toBe(fleetSummary.total);
    expect(rollout.waves[0].deviceIds).toEqual(fleet.nodes.slice(0, 4).map((d: Json) => d.id));

    // The orchestrator starts the first wave within a tick; then the platform's clock moves the upgrades on, and the
    // page (never reloaded: the marker survives) shows each step as it comes.
    const wave = page.locator('.waves > li').first();
    await expect.poll(() => wave.locator('.badge').first().innerText(), { timeout: 15_000 }).toBe('running');
    await page.evaluate('window.consoleTestMarker = 1');
    const seen = [await progressOf(page, 'Wave 1 progress')];
    expect(seen[0]).toBe(0);
    // An upgrade starts 5-30 s after its task and runs 30-300 s (platform time).
    for (let step = 0; step < 20 && seen.at(-1) !== 100; step++) {
      await stack.platform.control('clock', { advanceSeconds: 30 });
      // Give the mirror's poll and the subscription a moment before the next step.
      await page.waitForTimeout(1100);
      const now = await progressOf(page, 'Wave 1 progress');
      if (now !== seen.at(-1)) seen.push(now);
    }
    expect(seen.at(-1)).toBe(100);
    // Moved in more than one step, never backwards.
    expect(seen.length).toBeGreaterThan(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(await page.evaluate('window.consoleTestMarker')).toBe(1);
    await screenshot(page, 'rollout');

    // The second wave has started and waits on the platform's clock: pause, then resume.
    const state = page.locator('.state-line .badge');
    expect(await state.innerText()).toBe('running');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => state.innerText()).toBe('paused');
    expect((await graphql('query($id: ID!) { rollout(id: $id) { state } }', { id: rolloutId })).rollout.state).toBe('PAUSED');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => state.innerText()).toBe('running');
    expect((await graphql('query($id: ID!) { rollout(id: $id) { state } }', { id: rolloutId })).rollout.state).toBe('RUNNING');
    expect(await accessibilityProblems(page)).toEqual([]);

    // The first wave's task: its failed device listed first, with its cause, and the retry offered.
    await wave.getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: /^Task / }).waitFor();
    const firstRow = page.locator('tbody tr').first();
    await expect.poll(() => firstRow.locator('.badge').innerText()).toBe('failed');
    expect(await firstRow.getByRole('link').innerText()).toBe(failing.name);
    expect((await firstRow.locator('td').last().innerText()).length).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Retry failed devices' }).isVisible()).toBe(true);
    await screenshot(page, 'task');
    expect(await accessibilityProblems(page)).toEqual([]);
    const taskId = (await page.getByRole('heading', { level: 1 }).innerText()).replace(/^Task /, '');

    await firstRow.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: `Device ${failing.name}` }).waitFor();
    await page.getByRole('link', { name: taskId }).waitFor();
    await screenshot(page, 'device');
    expect(await accessibilityProblems(page)).toEqual([]);

    expect(browser.blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a read key everything and no button that changes anything; every page passes axe at desktop and phone width', async () => {
    // Something to look at whatever ran before: a rollout, and a task of the history with failed devices.
    const { fleet, upgradePackages } = await graphql(
      '{ fleet(filter: { deviceType: "WaterMeter", model: "WM100" }, first: 3) { nodes { id fwVersion } } upgradePackages(filter: { type: FIRMWARE, deviceType: "WaterMeter", model: "WM100" }, first: 50) { nodes { id version } } }',
    );
    const pkg = (upgradePackages.nodes as Json[]).find((p) => (fleet.nodes as Json[]).every((d) => d.fwVersion !== p.version));
    // It waits for a daily maintenance window three hours ahead on the platform's clock: its page shows why, and when.
    const opensAt = Math.ceil((Date.parse((await stack.platform.control('clock', undefined, 'GET')).now) + 3 * 3_600_000) / 60_000) * 60_000;
    const window = { days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'], start: new Date(opensAt).toISOString().slice(11, 16), durationMinutes: 60, timeZone: 'UTC' };
    const created = await graphql('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }', {
      input: { fileId: pkg?.id, name: 'read test', targets: { deviceIds: fleet.nodes.map((d: Json) => d.id) }, waves: [{ percent: 100 }], maintenanceWindows: [window] },
    });
    const rolloutId = created.createRollout.rolloutId as string;
    const failedTask = (await graphql('{ operations(filter: { status: FAILED }, first: 1) { nodes { id } } }')).operations.nodes[0] as Json;

    for (const [viewport, suffix] of [
      [{ width: 1280, height: 800 }, ''],
      [{ width: 390, height: 844 }, '-phone'],
    ] as const) {
      const { page, errors } = await openPage(viewport);
      await signIn(page, READER);
      expect(await page.getByText('read only').isVisible()).toBe(true);
      if (suffix === '') {
        // Without a mouse: from the page's heading (focused on arrival) back to the sections, Enter opens one, and its
        // heading takes the focus; then on to the first task.
        for (let i = 0; i < 10 && (await page.evaluate('document.activeElement?.textContent')) !== 'Tasks'; i++) await page.keyboard.press('Shift+Tab');
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: 'Upgrade tasks' }).waitFor();
        await expect.poll(() => page.evaluate('document.activeElement?.tagName')).toBe('H1');
        for (let i = 0; i < 30 && !String(await page.evaluate('document.activeElement?.getAttribute("href")')).startsWith('#/tasks/'); i++) await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: /^Task / }).waitFor();
      }
      const pages: Array<[string, string | RegExp, string]> = [
        ['fleet', 'Fleet', 'fleet'],
        ['tasks', 'Upgrade tasks', 'tasks'],
        [`tasks/${failedTask.id}`, `Task ${failedTask.id}`, 'task-read'],
        ['rollouts', 'Rollouts', 'rollouts'],
        [`rollouts/${rolloutId}`, 'Rollout read test', 'rollout-read'],
        ['rollouts/new', 'New rollout', 'rollout-form-read'],
        ['groups', 'Dynamic groups', 'groups'],
        ['status', 'Status', 'status'],
      ];
      // At phone width, the pages with the widest content.
      for (const [route, heading, name] of suffix === '' ? pages : pages.filter(([, , n]) => ['fleet', 'task-read', 'rollout-read', 'status'].includes(n))) {
        await visit(page, route, heading);
        // Wait for the page's data: the loading line goes.
        await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
        await screenshot(page, `${name}${suffix}`);
        if (name === 'rollout-read') {
          expect(await page.getByRole('status').filter({ hasText: 'Waiting for the next maintenance window, opening at ' }).count()).toBe(1);
          expect(await page.getByTestId('next-window').innerText()).toBe(await page.evaluate(`new Date(${opensAt}).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })`));
        }
        expect(await page.getByRole('button', { name: /pause|resume|cancel|retry|create/i }).count(), route).toBe(0);
        expect(await page.getByRole('link', { name: 'New rollout' }).count(), route).toBe(0);
        expect(await accessibilityProblems(page), route).toEqual([]);
      }
      await visit(page, 'rollouts/new', 'New rollout');
      expect(await page.getByText('Creating a rollout needs an API key with the operate role.').isVisible()).toBe(true);
      // Nothing wider than the screen (the tables scroll inside their own box).
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    }
    expect(browser.blocked).toEqual([]);
  });

  it('refuses an unknown key and asks again, keeping nothing', async () => {
    const { page } = await openPage();
    await page.goto(consoleUrl);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByLabel('API key').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The gateway does not know this key.' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.close();
  });
});
