// The full sync resumes where it stood: a gateway killed in the middle of it, started again on the same data dir,
// reads on from its cursor instead of starting over. A small budget (10 calls / 5 s, the mirror's hard half of it 5)
// makes the first sync last: packages, groups and 3 of the 8 device pages in the first window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config.js';
import type { GatewayProcess } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

const { devices: DEVICES_ROUTE, packages: PACKAGES_ROUTE } = ROUTE;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    platform: { seed: 1, devices: 2000, throttlePerMinute: null },
    store: 'sqlite',
    env: { NORTHBOUND_RATE_LIMIT: '10/5s', MIRROR_BUDGET_SHARE: '0.5' },
    gateway: 'none',
  });
});
afterAll(async () => {
  await stack?.close();
});

const stats = () => stack.platform.stats();
const gateway = (env?: Env): Promise<GatewayProcess> => stack.startGateway({ process: true, env });
async function mirrorState(gateway: GatewayProcess): Promise<{ state: string; devices: number }> {
  return (await gateway.query('{ mirror { state devices } }')).data.mirror;
}

describe('the full sync', () => {
  it('continues after a SIGKILL from the page it had reached, without reading the fleet again', async () => {
    const first = await gateway();
    // Wait until it is among the device pages (packages and groups done, some devices in).
    for (let i = 0; i < 200 && (await mirrorState(first)).devices === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await first.stop('SIGKILL');
    const before = await stats();
    const pagesBefore = before.byRoute[DEVICES_ROUTE] ?? 0;
    expect(pagesBefore).toBeGreaterThan(0);
    expect(pagesBefore).toBeLessThan(8);

    // The rest of the sync may go fast: what matters is where it starts.
    const second = await gateway({ NORTHBOUND_RATE_LIMIT: '200/5s' });
    for (let i = 0; i < 600 && (await mirrorState(second)).state !== 'READY'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await mirrorState(second)).toEqual({ state: 'READY', devices: 2000 });
    const after = await stats();
    // 8 pages of 250 devices in all; at most the page in flight at the kill was read twice.
    expect(after.byRoute[DEVICES_ROUTE]).toBeGreaterThanOrEqual(8);
    expect(after.byRoute[DEVICES_ROUTE]).toBeLessThanOrEqual(9);
    // The packages (the first step) were not listed again.
    expect(after.byRoute[PACKAGES_ROUTE]).toBe(before.byRoute[PACKAGES_ROUTE]);
  });
});
