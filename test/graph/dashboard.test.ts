// The product's promise: the dashboard question answered in one query, with exactly the platform calls it needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument, DashboardWithDeviceIdsDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../gateway/helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('the dashboard query', () => {
  it('makes 1 + 20 + (distinct devices) platform calls and returns every subtask with its device', async () => {
    // Which devices the subtasks name, read once beforehand; then the counters start from zero.
    const ids = await stack.run(DashboardWithDeviceIdsDocument);
    const distinctDevices = new Set(ids.data?.operations.nodes.flatMap((o) => o.subtasks!.nodes.map((s) => s.deviceId)));
    const subtaskCount = ids.data?.operations.nodes.reduce((n, o) => n + o.subtasks!.nodes.length, 0) ?? 0;
    // The fleet's history must make the count meaningful: devices shared between tasks are fetched once.
    expect(subtaskCount).toBeGreaterThan(distinctDevices.size);
    await stack.resetCounters();

    const result = await stack.run(DashboardDocument);

    expect(result.errors).toBeUndefined();
    const operations = result.data?.operations.nodes ?? [];
    expect(operations).toHaveLength(20);
    for (const operation of operations) {
      expect(operation.subtasks!.nodes.length).toBe(Math.min(10, operation.stats.total));
      for (const subtask of operation.subtasks!.nodes) expect(subtask.device?.name).toBeTruthy();
    }
    const stats = await stack.stats();
    expect(stats.byRoute).toEqual({
      'GET /iodm/northbound/v1.5.0/operations': 1,
      'GET /iodm/northbound/v1.5.0/operations/{operationId}/subOperations': 20,
      'GET /iocm/app/dm/v1.4.0/devices/{deviceId}': distinctDevices.size,
    });
    expect(stats.total).toBe(1 + 20 + distinctDevices.size);
  });
});
