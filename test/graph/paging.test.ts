// Windows over the platform's paged lists: the same items as the platform's list, in its order, fetched with the
// fewest upstream pages (in parallel), and connection fields that tell a client where it is.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DetailWindowDocument,
  GroupMemberWindowDocument,
  GroupWindowDocument,
  ManyDevicesDocument,
  OperationWindowDocument,
  PackageWindowDocument,
  SubtaskWindowDocument,
} from '../generated/graphql.js';
import { overlapped, pagesOf } from '../harness/proxy.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startGraphStack, type GraphStack, type Json } from './support.js';

let stack: GraphStack;
/** Every operation id, newest first, as the platform lists them. */
let operationIds: string[];
let groups: Json[];
/** The biggest task: more subtasks than one platform page (100) holds. */
let bigTask: { id: string; subtaskIds: string[] };
/** The biggest group: more members than one platform page (1000) holds. */
let bigGroup: { index: number; members: string[] };
/** A batch task with more details than one platform page (250) holds. */
let bigBatch: { id: string; commandIds: string[] };

beforeAll(async () => {
  // 4000 devices: 400 operations, tasks of up to 256 devices, a group of over 1000 members.
  stack = await startGraphStack({ devices: 4000 });
  const { truth } = stack;
  const operations = await truth.operations();
  operationIds = operations.map((o) => o.operationId);
  const biggest = operations.reduce((a, b) => (b.staResult.total > a.staResult.total ? b : a));
  const state = await truth.state('operations', biggest.operationId);
  bigTask = { id: biggest.operationId, subtaskIds: state.subtasks.map((s: Json) => s.subOperationId) };
  groups = await truth.list(PATH.groups, 'list', 500);
  const index = groups.reduce((best, g, i) => (g.curDevNum > (groups[best]?.curDevNum ?? 0) ? i : best), 0);
  bigGroup = { index, members: await truth.list(PATH.members, 'deviceIds', 1000, { devGroupId: groups[index].id }) };
  const created = await truth.post(PATH.batchTasks, {
    appId: truth.api.appId,
    taskName: 'graph-test-every-wm100',
    taskType: 'DeviceCmd',
    timeout: 30,
    param: { type: 'DeviceType', deviceType: 'WaterMeter', model: 'WM100', command: { serviceId: 'Meter', method: 'READ_NOW' } },
  });
  const batch = await truth.state('batchTasks', created.taskID);
  bigBatch = { id: created.taskID, commandIds: batch.details.map((d: Json) => d.commandId) };
});
afterEach(async () => {
  await stack.platform.control('faults', undefined, 'DELETE');
});
afterAll(async () => {
  await stack?.close();
});

/** Slows a route down, so that calls made in parallel are visibly in flight together. */
const slow = (route: string) => stack.platform.control('faults', { latencyMs: 150, routes: [route] });

describe('a window wider than the platform’s page', () => {
  it('operations(first: 150) reads two pages of 100 in parallel', async () => {
    expect(operationIds.length).toBeGreaterThan(400);
    await slow(ROUTE.operations);
    const calls = await stack.callsDuring(() => stack.gateway.run(OperationWindowDocument, { first: 150 }));
    const result = calls.result;

    const { data, errors } = result;
    expect(errors).toBeUndefined();
    const edges = data?.operations?.edges ?? [];
    expect(edges.map((e) => e.node.id)).toEqual(operationIds.slice(0, 150));
    expect(data?.operations?.totalCount).toBe(operationIds.length);
    expect(data?.operations?.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor,
      endCursor: edges[149]?.cursor,
    });
    expect(new Set(edges.map((e) => e.cursor)).size).toBe(150);
    expect(calls.byRoute).toEqual({ [ROUTE.operations]: 2 });
    expect(pagesOf(calls.recorded)).toEqual([
      { pageNo: 0, pageSize: 100 },
      { pageNo: 1, pageSize: 100 },
    ]);
    expect(overlapped(calls.recorded)).toBe(true);
  });

  it('operations(first: 250) reads three pages in parallel', async () => {
    await slow(ROUTE.operations);
    let ids: string[] = [];

    const calls = await stack.callsDuring(async () => {
      const { data } = await stack.gateway.run(OperationWindowDocument, { first: 250 });
      ids = data?.operations?.edges.map((e) => e.node.id) ?? [];
    });

    expect(ids).toEqual(operationIds.slice(0, 250));
    expect(calls.byRoute).toEqual({ [ROUTE.operations]: 3 });
    expect(overlapped(calls.recorded)).toBe(true);
  });

  it('operations(first: 30, offset: 90) crosses item 100 with one page that covers the window', async () => {
    const calls = await stack.callsDuring(() => stack.gateway.run(OperationWindowDocument, { first: 30, offset: 90 }));
    const result = calls.result;

    const { data } = result;
    expect(data?.operations?.edges.map((e) => e.node.id)).toEqual(operationIds.slice(90, 120));
    expect(data?.operations?.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect(calls.byRoute).toEqual({ [ROUTE.operations]: 1 });
    // Whatever page size the gateway chose, its page holds items 90..119.
    const [page] = pagesOf(calls.recorded);
    expect(page && page.pageNo * page.pageSize).toBeLessThanOrEqual(90);
    expect(page && (page.pageNo + 1) * page.pageSize).toBeGreaterThanOrEqual(120);
  });

  it('subtasks(first: 250) of a task with more than 250 subtasks reads three pages in parallel', async () => {
    expect(bigTask.subtaskIds.length).toBeGreaterThan(250);
    await slow(ROUTE.subOperations);
    const calls = await stack.callsDuring(() => stack.gateway.run(SubtaskWindowDocument, { id: bigTask.id, first: 250 }));
    const result = calls.result;

    const { data, errors } = result;
    expect(errors).toBeUndefined();
    const subtasks = data?.operation?.subtasks;
    expect(subtasks?.edges.map((e) => e.node.id)).toEqual(bigTask.subtaskIds.slice(0, 250));
    expect(subtasks?.totalCount).toBe(bigTask.subtaskIds.length);
    expect(subtasks?.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(calls.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 3 });
    const pages = pagesOf(calls.recorded.filter((c) => c.path.endsWith('/subOperations')));
    expect(pages).toEqual([0, 1, 2].map((pageNo) => ({ pageNo, pageSize: 100 })));
    expect(overlapped(calls.recorded.filter((c) => c.path.endsWith('/subOperations')))).toBe(true);

    // The rest, after the last cursor.
    const rest = await stack.gateway.run(SubtaskWindowDocument, { id: bigTask.id, first: 250, after: subtasks?.pageInfo.endCursor });
    expect(rest.data?.operation?.subtasks!.edges.map((e) => e.node.id)).toEqual(bigTask.subtaskIds.slice(250));
    expect(rest.data?.operation?.subtasks!.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('a window wider than a task’s subtasks costs one page: the task’s stats say how many there are', async () => {
    const small = (await stack.truth.operations()).find((o) => o.staResult.total > 10 && o.staResult.total <= 100);

    const calls = await stack.callsDuring(() => stack.gateway.run(SubtaskWindowDocument, { id: small.operationId, first: 500 }));

    expect(calls.result.data?.operation?.subtasks!.edges).toHaveLength(small.staResult.total);
    expect(calls.byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.subOperations]: 1 });
  });

  it('batch task details(first: 300, offset: 100) reads two pages of 250 in parallel', async () => {
    expect(bigBatch.commandIds.length).toBeGreaterThan(400);
    await slow(ROUTE.batchTaskDetails);
    const calls = await stack.callsDuring(() => stack.gateway.run(DetailWindowDocument, { id: bigBatch.id, first: 300, offset: 100 }));
    const result = calls.result;

    const { data, errors } = result;
    expect(errors).toBeUndefined();
    expect(data?.batchTask?.details!.edges.map((e) => e.node.commandId)).toEqual(bigBatch.commandIds.slice(100, 400));
    expect(data?.batchTask?.details!.totalCount).toBe(bigBatch.commandIds.length);
    // A task that targets a device type has no device list.
    expect(data?.batchTask?.devices).toEqual([]);
    expect(calls.byRoute).toEqual({ [ROUTE.batchTask]: 1, [ROUTE.batchTaskDetails]: 2 });
    const detailCalls = calls.recorded.filter((c) => c.path === PATH.batchDetails);
    expect(pagesOf(detailCalls)).toEqual([
      { pageNo: 0, pageSize: 250 },
      { pageNo: 1, pageSize: 250 },
    ]);
    expect(overlapped(detailCalls)).toBe(true);
  });

  it('a group’s members beyond the first 1000: one members page, one call per device shown', async () => {
    expect(bigGroup.members.length).toBeGreaterThan(1000);
    const calls = await stack.callsDuring(() => stack.gateway.run(GroupMemberWindowDocument, { group: bigGroup.index, first: 200, offset: 1000 }));
    const result = calls.result;

    const { data, errors } = result;
    expect(errors).toBeUndefined();
    const devices = data?.deviceGroups?.nodes[0]?.devices;
    const expected = bigGroup.members.slice(1000, 1200);
    expect(devices?.edges.map((e) => e.node.id)).toEqual(expected);
    expect(devices?.edges.every((e) => e.node.name)).toBe(true);
    expect(devices?.totalCount).toBe(bigGroup.members.length);
    expect(devices?.pageInfo).toMatchObject({ hasNextPage: bigGroup.members.length > 1200, hasPreviousPage: true });
    expect(calls.byRoute).toEqual({ [ROUTE.deviceGroups]: 1, [ROUTE.deviceGroupMembers]: 1, [ROUTE.device]: expected.length });
    const [page] = pagesOf(calls.recorded.filter((c) => c.path === PATH.members));
    expect(page && page.pageNo * page.pageSize).toBeLessThanOrEqual(1000);
    expect(page && (page.pageNo + 1) * page.pageSize).toBeGreaterThanOrEqual(Math.min(1200, bigGroup.members.length));
  });
});

describe('cursors', () => {
  it('after the end cursor continues where offset would', async () => {
    const first = await stack.gateway.run(OperationWindowDocument, { first: 40 });
    const endCursor = first.data?.operations?.pageInfo.endCursor;

    const [byCursor, byOffset] = await Promise.all([
      stack.gateway.run(OperationWindowDocument, { first: 40, after: endCursor }),
      stack.gateway.run(OperationWindowDocument, { first: 40, offset: 40 }),
    ]);

    expect(byCursor.data?.operations?.edges.map((e) => e.node.id)).toEqual(operationIds.slice(40, 80));
    expect(byCursor.data?.operations).toEqual(byOffset.data?.operations);
  });

  it('an offset after a cursor skips from the cursor', async () => {
    const first = await stack.gateway.run(OperationWindowDocument, { first: 40 });

    const { data } = await stack.gateway.run(OperationWindowDocument, { first: 10, after: first.data?.operations?.pageInfo.endCursor, offset: 5 });

    expect(data?.operations?.edges.map((e) => e.node.id)).toEqual(operationIds.slice(45, 55));
  });

  it('following endCursor walks the whole list once, in order', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    for (;;) {
      const { data } = await stack.gateway.run(OperationWindowDocument, { first: 100, after });
      seen.push(...(data?.operations?.edges.map((e) => e.node.id) ?? []));
      pages += 1;
      if (!data?.operations?.pageInfo.hasNextPage || pages > 10) break;
      after = data.operations.pageInfo.endCursor;
    }

    expect(seen).toEqual(operationIds);
    expect(pages).toBe(Math.ceil(operationIds.length / 100));
  });

  it('deviceGroups: pages of 10 by cursor add up to the platform’s list', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    let hasNextPage = true;
    let calls = 0;
    while (hasNextPage && calls < 10) {
      const counted = await stack.callsDuring(async () => {
        const { data } = await stack.gateway.run(GroupWindowDocument, { first: 10, after });
        seen.push(...(data?.deviceGroups?.edges.map((e) => e.node.id) ?? []));
        hasNextPage = data?.deviceGroups?.pageInfo.hasNextPage ?? false;
        after = data?.deviceGroups?.pageInfo.endCursor;
        expect(data?.deviceGroups?.totalCount).toBe(groups.length);
      });
      expect(counted.byRoute).toEqual({ [ROUTE.deviceGroups]: 1 });
      calls += 1;
    }

    expect(seen).toEqual(groups.map((g) => g.id));
    expect(calls).toBe(Math.ceil(groups.length / 10));
  });

  it('a window past the end of the list is empty and says so', async () => {
    const { data, errors } = await stack.gateway.run(GroupWindowDocument, { first: 10, offset: groups.length + 5 });

    expect(errors).toBeUndefined();
    expect(data?.deviceGroups).toEqual({
      totalCount: groups.length,
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
      edges: [],
    });
  });

  it('the last partial window of a list has no next page', async () => {
    const packages = await stack.truth.list(PATH.packages, 'data', 100);

    const { data } = await stack.gateway.run(PackageWindowDocument, { first: 20, offset: packages.length - 7 });

    expect(data?.upgradePackages?.edges.map((e) => e.node.id)).toEqual(packages.slice(-7).map((p) => p.fileId));
    expect(data?.upgradePackages?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });
});

describe('window arguments', () => {
  it('first: 0 answers the total alone, with one platform call', async () => {
    const calls = await stack.callsDuring(() => stack.gateway.run(OperationWindowDocument, { first: 0 }));
    const result = calls.result;

    expect(result).toMatchObject({
      data: {
        operations: {
          totalCount: operationIds.length,
          edges: [],
          pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null },
        },
      },
    });
    expect(calls.byRoute).toEqual({ [ROUTE.operations]: 1 });
  });

  it.each([
    ['first: 501', { first: 501 }, 'first'],
    ['first: -1', { first: -1 }, 'first'],
    ['offset: -1', { offset: -1 }, 'offset'],
    ['a cursor this gateway never issued', { after: 'not-a-cursor' }, 'after'],
    ['a forged cursor (negative position)', { after: Buffer.from('i:-4').toString('base64url') }, 'after'],
  ])('rejects %s as BAD_USER_INPUT without calling the platform', async (_name, window, argument) => {
    const calls = await stack.callsDuring(() => stack.gateway.run(OperationWindowDocument, window));
    const result = calls.result;

    const { data, errors } = result;
    // The root field is nullable: the error nulls it alone.
    expect(data).toEqual({ operations: null });
    expect(errors).toHaveLength(1);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.path).toEqual(['operations']);
    expect(errors?.[0]?.message).toContain(argument);
    expect(calls.total).toBe(0);
  });

  it('rejects more than 500 ids in devices(ids) without calling the platform', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const calls = await stack.callsDuring(() => stack.gateway.run(ManyDevicesDocument, { ids }));
    const result = calls.result;

    const { errors } = result;
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(calls.total).toBe(0);
  });

  it('rejects a nested window the same way, leaving no platform call for it', async () => {
    const calls = await stack.callsDuring(() => stack.gateway.run(SubtaskWindowDocument, { id: bigTask.id, first: 501 }));
    const result = calls.result;

    const { errors } = result;
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.path).toEqual(['operation', 'subtasks']);
    expect(calls.byRoute[ROUTE.subOperations]).toBeUndefined();
  });
});
