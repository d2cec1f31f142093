// Dynamic groups in the console, as an operator sees them in Chromium: the Groups page lists each group with its
// member count as the API gives it, and the new-rollout form takes a group as its target, continuous if ticked.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accessibilityProblems, graphqlData, openPage, signIn, visit, startConsoleStack, type ConsoleStack } from './console-support.js';

const OPERATOR = 'groups-operator-key';
const READER = 'groups-reader-key';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let running: ConsoleStack;

const graphql = (query: string, variables?: Json) => graphqlData(running.stack.gateway, query, variables);

beforeAll(async () => {
  running = await startConsoleStack({ operator: OPERATOR, reader: READER });
}, 60_000);
afterAll(async () => {
  await running?.close();
});

it('lists the groups with their member counts, and creates a continuous rollout on one', async () => {
  const { upgradePackages } = await graphql('{ upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id model version } } }');
  const pkg = (upgradePackages.nodes as Json[])[0] as Json;
  const filter = { model: pkg.model, fwVersionNot: pkg.version };
  const { createDynamicGroup: group } = await graphql('mutation($input: CreateDynamicGroupInput!) { createDynamicGroup(input: $input) { id memberCount } }', {
    input: { name: 'Console ring', filter },
  });
  expect(group.memberCount).toBeGreaterThan(0);

  const { page, errors } = await openPage(running.browser);
  await signIn(page, running.consoleUrl, OPERATOR);
  await page.getByRole('link', { name: 'Groups' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dynamic groups' }).waitFor();
  const row = page.getByRole('row', { name: /Console ring/ });
  expect(await row.getByTestId('members').innerText()).toBe(String(group.memberCount));
  expect(await row.locator('code').innerText()).toBe(`model = ${pkg.model}, fwVersionNot = ${pkg.version}`);
  expect(await accessibilityProblems(page)).toEqual([]);

  await visit(page, running.consoleUrl, 'rollouts/new', 'New rollout');
  await page.getByLabel('Package', { exact: true }).selectOption(pkg.id as string);
  await page.getByLabel('Dynamic group').selectOption(group.id as string);
  await expect.poll(() => page.getByTestId('matching').innerText()).toBe(`${group.memberCount} devices in the group now`);
  await page.getByRole('checkbox', { name: /Continuous/ }).check();
  await page.getByLabel('Name (optional)').fill('console ring');
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.getByRole('button', { name: 'Create rollout' }).click();
  await page.getByRole('heading', { level: 1, name: 'Rollout console ring' }).waitFor();
  const rolloutId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
  const { rollout } = await graphql('query($id: ID!) { rollout(id: $id) { total continuous dynamicGroup { id } } }', { id: rolloutId });
  expect(rollout).toEqual({ total: group.memberCount, continuous: true, dynamicGroup: { id: group.id } });
  expect(errors).toEqual([]);
}, 120_000);
