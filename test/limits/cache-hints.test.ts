// Apollo cache hints (@cacheControl): clients and CDNs may keep what cannot change for a while — devices for the
// gateway's own cache lifetime, ended tasks for an hour — and nothing that still runs, lists, or failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LimitsDeviceAndOperationDocument,
  LimitsDeviceDocument,
  LimitsOperationDocument,
  LimitsOperationStatusDocument,
  LimitsRecentOperationsDocument,
} from '../generated/graphql.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { readFleet, startLimitsStack, type Json, type LimitsStack } from './support.js';

let stack: LimitsStack;
let deviceId: string;
let otherDeviceId: string;
let ended: Json;
let running: Json;

beforeAll(async () => {
  stack = await startLimitsStack({ deferGateway: true });
  const { devices } = await readFleet(stack.api);
  deviceId = devices[0].deviceId;
  otherDeviceId = devices[1].deviceId;
  const recent: Json[] = (await stack.api.ok(PATH.operations, { pageNo: 0, pageSize: 100 })).data;
  ended = recent.find((o) => o.status === 'success');
  running = recent.find((o) => o.status === 'processing' || o.status === 'wait');
  if (!ended || !running) throw new Error('fixtures: no ended and running task among the 100 newest');
  await stack.useGateway();
});
afterAll(async () => {
  await stack?.close();
});

describe('Cache-Control of query answers', () => {
  it('device(id): max-age=60, public (the default GATEWAY_CACHE_TTL_SECONDS)', async () => {
    const reply = await stack.gateway.run(LimitsDeviceDocument, { id: deviceId });
    expect(reply.data?.device?.id).toBe(deviceId);
    expect(reply.headers.get('cache-control')).toBe('max-age=60, public');
  });

  it('a running task: no max-age (no-store)', async () => {
    const reply = await stack.gateway.run(LimitsOperationStatusDocument, { id: running.operationId });
    expect(['WAIT', 'PROCESSING']).toContain(reply.data?.operation?.status);
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('an ended task with its subtasks: max-age=3600, public', async () => {
    const reply = await stack.gateway.run(LimitsOperationDocument, { id: ended.operationId });
    expect(reply.data?.operation?.status).toBe('SUCCESS');
    expect(reply.headers.get('cache-control')).toBe('max-age=3600, public');
  });

  it('a device and a running task in one query: the stricter wins (no-store)', async () => {
    const reply = await stack.gateway.run(LimitsDeviceAndOperationDocument, { deviceId, operationId: running.operationId });
    expect(reply.data?.device?.id).toBe(deviceId);
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('the task list: no-store (a new task may appear any time)', async () => {
    const reply = await stack.gateway.run(LimitsRecentOperationsDocument);
    expect(reply.data?.operations?.nodes.length).toBeGreaterThan(0);
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('a failed read is never cacheable', async () => {
    await stack.platform.fault({ errorStatus: 500, routes: [ROUTE.device] });
    try {
      const reply = await stack.gateway.run(LimitsDeviceDocument, { id: otherDeviceId });
      expect(reply.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(reply.headers.get('cache-control')).toBe('no-store');
    } finally {
      await stack.platform.clearFaults();
    }
  });
});
