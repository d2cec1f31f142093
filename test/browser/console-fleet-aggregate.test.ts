// The console's fleet page in Chromium: its "most common model and firmware" table shows what fleetAggregate answers
// at the same moment, bucket for bucket, and the page stays free of serious accessibility findings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from '../harness/gateway.js';
import { accessibilityProblems, openPage, signIn, startConsoleStack, type ConsoleStack } from './console-support.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const READER = 'aggregate-reader-key';
let running: ConsoleStack;

beforeAll(async () => {
  running = await startConsoleStack({ operator: 'aggregate-operator-key', reader: READER });
}, 120_000);
afterAll(async () => {
  await running?.close();
});

describe('the fleet page', () => {
  it('lists the ten most common combinations of model and firmware as fleetAggregate counts them', async () => {
    const response = await fetch(running.stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
      body: JSON.stringify({ query: '{ fleetAggregate(groupBy: [MODEL, FW_VERSION], first: 10) { total bucketCount buckets { values count } } }' }),
    });
    const aggregate = ((await response.json()) as Json).data.fleetAggregate;
    expect(aggregate.buckets.length).toBe(10);

    const { page, errors } = await openPage(running.browser);
    await signIn(page, running.consoleUrl, READER);
    const table = page.getByRole('region', { name: 'Most common model and firmware' });
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(10);
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual(aggregate.buckets.map((b: Json) => [b.values[0], b.values[1], String(b.count)]));
    expect(await table.getByText(`The 10 largest of ${aggregate.bucketCount} combinations over ${aggregate.total} devices.`).count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
