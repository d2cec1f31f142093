// Who am I, and how much of the call budget is spent: `viewer` and `health.budget`, read from what the gateway itself
// knows (the key, the ledger of the window), never from the platform. The emulator on its own, the mirror off, so that
// the only calls of the window are the test's own.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { clientNameOf } from '../harness/keys.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const READER = 'budget-reader-key';
const BUDGET = '{ health { budget { used limit windowSeconds resetsInSeconds byClient { client used } } } }';

/** The client name the README documents: `key-` and the first 8 hex digits of the key's SHA-256. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_API_KEYS: `${TEST_API_KEY}:operate,${READER}:read` } });
});
afterAll(async () => {
  await stack?.close();
});

async function ask(query: string, apiKey: string | undefined): Promise<{ status: number; body: Json; calls: number }> {
  const { result, total } = await stack.callsDuring(() => stack.gateway.graphql(query, { apiKey }), { warm: false });
  return { status: result.status, body: result.json, calls: total };
}

/** The budget as `apiKey` sees it, checked to have cost no platform call. */
async function budgetAs(apiKey: string): Promise<Json> {
  const { body, calls } = await ask(BUDGET, apiKey);
  expect(body.errors).toBeUndefined();
  expect(calls).toBe(0);
  return body.data.health.budget;
}

describe('viewer', () => {
  it("names the presented key's role and the client its calls are counted under, without a platform call", async () => {
    const operator = await ask('{ viewer { role client } }', TEST_API_KEY);
    expect(operator).toEqual({ status: 200, body: { data: { viewer: { role: 'OPERATE', client: clientNameOf(TEST_API_KEY) } } }, calls: 0 });
    const reader = await ask('{ viewer { role client } }', READER);
    expect(reader).toEqual({ status: 200, body: { data: { viewer: { role: 'READ', client: clientNameOf(READER) } } }, calls: 0 });
  });

  it('is refused without a known key, like every query', async () => {
    for (const key of [undefined, 'not-a-key']) {
      const { status, body } = await ask('{ viewer { role } }', key);
      expect(status).toBe(401);
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('health.budget', () => {
  it('counts the calls as they are spent, a read key seeing its own line alone and an operate key every line', async () => {
    // The operate key spends a call (and the login) first: another client's line in the window.
    expect((await stack.gateway.query('{ health { loginOk } }')).data.health.loginOk).toBe(true);

    const before = await budgetAs(READER);
    expect(before).toMatchObject({ limit: stack.platform.throttlePerMinute, windowSeconds: 60 });
    expect(before.used).toBeGreaterThanOrEqual(1);
    expect(before.byClient).toEqual([{ client: clientNameOf(READER), used: 0 }]);

    // Three lookups of tasks nobody has heard of: one platform call each, for the read key.
    const ids = Array.from({ length: 3 }, () => randomBytes(12).toString('hex'));
    const spent = await stack.callsDuring(
      () => Promise.all(ids.map((id) => stack.gateway.graphql('query($id: ID!) { operation(id: $id) { id } }', { apiKey: READER, variables: { id } }))),
      { warm: false },
    );
    expect(spent.result.map((r) => r.json.data.operation)).toEqual([null, null, null]);
    expect(spent.byRoute).toEqual({ [ROUTE.operation]: 3 });

    const after = await budgetAs(READER);
    expect(after.used).toBe(before.used + 3);
    expect(after.byClient).toEqual([{ client: clientNameOf(READER), used: 3 }]);
    expect(after.resetsInSeconds).toBeGreaterThanOrEqual(1);
    expect(after.resetsInSeconds).toBeLessThanOrEqual(61);

    const all = await budgetAs(TEST_API_KEY);
    expect(all.used).toBe(after.used);
    expect(all.byClient).toContainEqual({ client: clientNameOf(READER), used: 3 });
    const operatorLine = all.byClient.find((line: Json) => line.client === clientNameOf(TEST_API_KEY));
    expect(operatorLine.used).toBeGreaterThanOrEqual(1);
    expect(all.byClient.reduce((sum: number, line: Json) => sum + line.used, 0)).toBe(all.used);
    const counts = all.byClient.map((line: Json) => line.used);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('runs the platform check only for the fields that need it', async () => {
    const alone = await ask('{ health { platformUrl emulator budget { used } } }', READER);
    expect(alone.body.data.health).toMatchObject({ platformUrl: stack.platform.url, emulator: false });
    expect(alone.calls).toBe(0);

    // The check's fields share one check; the budget read after it shows its call.
    const before = await budgetAs(READER);
    const checked = await ask('{ health { loginOk checkedAt error budget { used } } }', READER);
    expect(checked.body.data.health).toMatchObject({ loginOk: true, error: null });
    expect(checked.calls).toBe(1);
    expect((await budgetAs(READER)).byClient).toEqual([{ client: clientNameOf(READER), used: before.byClient[0].used + 1 }]);
  });
});
