// Refused requests are logged per client and interval, not one warn line each: a burst of RATE_LIMITED answers
// leaves the first refusal of each client at once and one line with the count of the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import type { Json } from './support.js';

const KEY_A = 'refusal-log-key-a-0b7e51';
const KEY_B = 'refusal-log-key-b-9c2d44';
const BURST = 120;

let stack: Stack;
let ops: TestGateway;

beforeAll(async () => {
  stack = await startStack({ platform: { devices: 50 }, env: { LOG_LEVEL: 'debug', GATEWAY_API_KEYS: `${KEY_A}:read,${KEY_B}:read`, NORTHBOUND_RATE_LIMIT: '1/60s' } });
  ops = stack.gateway;
});
afterAll(async () => {
  await stack?.close();
});

describe('a burst of RATE_LIMITED requests', () => {
  it('gives each client a bounded number of warn lines, and their counts add up to the refusals', async () => {
    // The one call of the budget.
    expect((await ops.graphql('{ operations(first: 1) { totalCount } }', { apiKey: KEY_A })).json.errors).toBeUndefined();

    const codes: string[] = [];
    for (let i = 0; i < BURST / 20; i++) {
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, j) => ops.graphql('{ operations(first: 1) { totalCount } }', { apiKey: j % 4 === 0 ? KEY_B : KEY_A })),
      );
      for (const reply of replies) codes.push(reply.json.errors?.[0]?.extensions?.code);
    }
    expect(codes).toEqual(Array(BURST).fill('RATE_LIMITED'));
    // Closing writes the counts still pending.
    await ops.close();

    const warnings = ops.log.records().filter((r: Json) => r.level === 'warn' && r.code === 'RATE_LIMITED');
    const clients = [...new Set(warnings.map((r: Json) => r.client))];
    expect(clients).toHaveLength(2);
    for (const client of clients) {
      const lines = warnings.filter((r: Json) => r.client === client);
      // The first refusal at once, the rest in one line for the interval.
      expect(lines).toHaveLength(2);
      expect(lines[0].count).toBe(1);
      expect(lines[0].requestId).toEqual(expect.any(String));
      expect(lines[1]).toMatchObject({ count: expect.any(Number), intervalSeconds: 10 });
      expect(lines[1].msg).toContain(`client ${client} refused with RATE_LIMITED in 10 s`);
    }
    expect(warnings.reduce((sum: number, r: Json) => sum + r.count, 0)).toBe(BURST);
  });
});
