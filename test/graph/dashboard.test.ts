// The product's promise: the dashboard question answered in one query, with exactly the platform calls it needs
// the first time, and only the calls for what can still change the next time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

const ROUTES = { list: ROUTE.operations, subtasks: ROUTE.subOperations, device: ROUTE.device, login: ROUTE.login };

let stack: Stack;
/** What the emulator holds for the dashboard: the 20 newest tasks, and the devices of their first 10 subtasks. */
let truth: { distinctDevices: number; subtasks: number; running: number };

beforeAll(async () => {
  stack = await startStack();
  // Read straight from the emulator, so the gateway's caches stay cold for the first run.
  const { url, credentials } = stack.platform;
  const login = (await (await fetch(`${url}${PATH.login}`, { method: 'POST', body: new URLSearchParams(credentials) })).json()) as { accessToken: string };
  const headers = { app_key: credentials.appId, authorization: `Bearer ${login.accessToken}` };
  const get = async (path: string) => (await fetch(`${url}${path}`, { headers })).json() as Promise<{ data: Record<string, string>[] }>;
  const operations = (await get(`${PATH.operations}?pageNo=0&pageSize=20`)).data;
  const pages = await Promise.all(operations.map((o) => get(`${PATH.operations}/${o.operationId}/subOperations?pageNo=0&pageSize=10`)));
  const deviceIds = pages.flatMap((p) => p.data.map((s) => s.deviceId));
  truth = {
    distinctDevices: new Set(deviceIds).size,
    subtasks: deviceIds.length,
    running: operations.filter((o) => o.status === 'wait' || o.status === 'processing').length,
  };
  await stack.platform.reset();
});
afterAll(async () => {
  await stack?.close();
});

describe('the dashboard query', () => {
  it('cold: makes 1 + 20 + (distinct devices) platform calls and returns every subtask with its device', async () => {
    // The fleet's history must make the count meaningful: devices shared between tasks are fetched once.
    expect(truth.subtasks).toBeGreaterThan(truth.distinctDevices);

    const result = await stack.gateway.run(DashboardDocument);

    expect(result.errors).toBeUndefined();
    const operations = result.data?.operations?.nodes ?? [];
    expect(operations).toHaveLength(20);
    for (const operation of operations) {
      expect(operation.subtasks!.nodes.length).toBe(Math.min(10, operation.stats.total));
      for (const subtask of operation.subtasks!.nodes) expect(subtask.device?.name).toBeTruthy();
    }
    // The first query of a fresh gateway also logs in; the platform does not count logins against the budget.
    const { [ROUTES.login]: logins = 0, ...calls } = (await stack.platform.stats()).byRoute;
    expect(calls).toEqual({ [ROUTES.list]: 1, [ROUTES.subtasks]: 20, [ROUTES.device]: truth.distinctDevices });
    expect(logins).toBe(1);
  });

  it('warm: ended tasks cost nothing, devices come from the cache; only the list and running tasks are read again', async () => {
    // Some tasks must have ended and some still run, or this shows nothing.
    expect(truth.running).toBeGreaterThan(0);
    expect(truth.running).toBeLessThan(20);
    await stack.platform.reset();

    const result = await stack.gateway.run(DashboardDocument);

    expect(result.errors).toBeUndefined();
    expect(result.data?.operations?.nodes).toHaveLength(20);
    expect((await stack.platform.stats()).byRoute).toEqual({ [ROUTES.list]: 1, [ROUTES.subtasks]: truth.running });
  });
});
