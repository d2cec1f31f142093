// The console's audit page: an operator sees every mutation call, newest first, with the key's name (never the key)
// and the outcome, filters it, and sees a rollout's history on its page; a read key is told the log is not for it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accessibilityProblems, openPage, signIn, visit, startConsoleStack, type ConsoleStack } from './console-support.js';
import { clientNameOf } from '../harness/keys.js';

const OPERATOR = 'console-audit-operator-key';
const READER = 'console-audit-reader-key';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let running: ConsoleStack;
const graphql = async (key: string, query: string, variables?: Json): Promise<Json> => {
  const response = await fetch(running.stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query, variables }) });
  return response.json();
};

beforeAll(async () => {
  running = await startConsoleStack({ operator: OPERATOR, reader: READER });
}, 60_000);
afterAll(async () => {
  await running?.close();
});

it('lists the calls with key names and outcomes, filters them, shows a rollout history, and keeps the log from a read key', async () => {
  const { upgradePackages } = await graphql(OPERATOR, '{ upgradePackages(filter: { type: FIRMWARE }, first: 1) { nodes { id model } } }').then((r) => r.data);
  const pkg = upgradePackages.nodes[0];
  const { fleet } = (await graphql(OPERATOR, 'query($m: String) { fleet(filter: { model: $m }, first: 2) { nodes { id } } }', { m: pkg.model })).data;
  const created = await graphql(OPERATOR, 'mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }', {
    input: { fileId: pkg.id, name: 'audited in the console', targets: { deviceIds: fleet.nodes.map((d: Json) => d.id) }, waves: [{ count: 1 }, { count: 1 }] },
  });
  const rolloutId = created.data.createRollout.rolloutId as string;
  expect((await graphql(OPERATOR, 'mutation($id: ID!) { pauseRollout(id: $id) { state } }', { id: rolloutId })).data.pauseRollout.state).toBe('PAUSED');
  expect((await graphql(READER, 'mutation($id: ID!) { cancelRollout(id: $id) { state } }', { id: rolloutId })).errors[0].extensions.code).toBe('FORBIDDEN');

  const { page, errors } = await openPage(running.browser);
  await signIn(page, running.consoleUrl, OPERATOR);
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  const rows = page.locator('tbody tr');
  await expect.poll(() => rows.count()).toBe(3);
  const cells = async () => (await rows.allInnerTexts()).map((row) => row.split('\t').slice(1).map((cell) => cell.trim()));
  expect(await cells()).toEqual([
    [`${clientNameOf(READER)} (read)`, 'cancelRollout', rolloutId, 'error FORBIDDEN'],
    [`${clientNameOf(OPERATOR)} (operate)`, 'pauseRollout', rolloutId, 'ok'],
    [`${clientNameOf(OPERATOR)} (operate)`, 'createRollout', rolloutId, 'ok'],
  ]);
  await page.getByLabel('Outcome').selectOption('ERROR');
  await expect.poll(() => rows.count()).toBe(1);
  expect(await page.content()).not.toContain(OPERATOR);
  expect(await accessibilityProblems(page)).toEqual([]);

  await visit(page, running.consoleUrl, `rollouts/${rolloutId}`, 'Rollout audited in the console');
  const history = page.getByRole('region', { name: 'History' }).locator('li');
  await expect.poll(async () => (await history.allInnerTexts()).filter((line) => !line.includes('wave')).map((line) => line.replace(/^.*?: /, ''))).toEqual([
    `createRollout by ${clientNameOf(OPERATOR)}: ok`,
    `pauseRollout by ${clientNameOf(OPERATOR)}: ok`,
    `cancelRollout by ${clientNameOf(READER)}: error FORBIDDEN`,
  ]);
  expect(errors).toEqual([]);
  await page.close();

  const reader = await openPage(running.browser);
  await signIn(reader.page, running.consoleUrl, READER);
  await visit(reader.page, running.consoleUrl, 'audit', 'Audit log');
  expect(await reader.page.getByText('The audit log is shown to operate keys only: this key reads.').isVisible()).toBe(true);
  await visit(reader.page, running.consoleUrl, `rollouts/${rolloutId}`, 'Rollout audited in the console');
  expect(await reader.page.getByRole('region', { name: 'History' }).count()).toBe(0);
  expect(reader.errors).toEqual([]);
  await reader.page.close();
}, 120_000);
