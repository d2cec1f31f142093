// What a client sees when the platform says no, fails, or cannot be reached (DESIGN.md §3), and that a failing
// field leaves the rest of the answer intact.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchTaskLookupDocument,
  DeviceLookupDocument,
  DeviceLookupsDocument,
  GroupMembersDocument,
  HealthBesidePackagesDocument,
  OperationLookupDocument,
  OperationsOfDeviceDocument,
  PackageLookupDocument,
  RecentOperationsDocument,
  TaskWithDevicesDocument,
} from '../generated/graphql.js';
import type { TestGateway } from '../harness/gateway.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { SUBTASK_STATUS } from './expected.js';
import { startGraphStack, type GraphStack, type Json } from './support.js';

const UNKNOWN_HEX = 'ffffffffffffffffffffffff';
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const WRONG_SECRET = 'wrong-secret-0f3c9a';
const EMULATOR_OPTIONS = { seed: 7, devices: 400 };

let stack: GraphStack;
let credentials: { appId: string; secret: string };
/** A task of the fleet with a few subtasks, and the package it installs. */
let task: { id: string; packageId: string; version: string; subtasks: Json[] };
let deviceIds: string[];
/** A device of the application that authorised ours: not ours to read without its appId. */
let foreignDeviceId: string;
/** Gateways started by single tests (closed with the stack); their responses and logs are checked for leaks too. */
const extraGateways: TestGateway[] = [];

beforeAll(async () => {
  stack = await startGraphStack(EMULATOR_OPTIONS);
  credentials = await stack.platform.control('credentials');
  const operations = await stack.truth.operations();
  const raw = operations.find((o) => o.staResult.total >= 3 && o.staResult.total <= 20 && o.targets.devices);
  const state = await stack.truth.state('operations', raw.operationId);
  task = { id: raw.operationId, packageId: raw.extendPara.fileId, version: raw.extendPara.fileVersion, subtasks: state.subtasks };
  deviceIds = raw.targets.devices;
  foreignDeviceId = (await stack.truth.get(PATH.devices, { appId: 'authorised-app', pageNo: 0, pageSize: 1 })).devices[0].deviceId;
});
afterEach(async () => {
  await stack.platform.control('faults', undefined, 'DELETE');
});
afterAll(async () => {
  await stack?.close();
});

/** Another gateway in front of the same emulator (through the proxy), e.g. with other credentials. */
async function gatewayWith(env: Record<string, string>, as = credentials): Promise<TestGateway> {
  const gateway = await stack.startGateway({ env: { NORTHBOUND_APP_ID: as.appId, NORTHBOUND_SECRET: as.secret, ...env } });
  extraGateways.push(gateway);
  return gateway;
}

function onlyError(response: { errors?: GraphQLFormattedError[] }): GraphQLFormattedError {
  expect(response.errors).toHaveLength(1);
  return response.errors?.[0] as GraphQLFormattedError;
}

describe('the gateway’s own client authentication', () => {
  it('a request without a known API key is UNAUTHENTICATED, and the platform is not called', async () => {
    const { result, total } = await stack.callsDuring(async () => {
      const response = await fetch(stack.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'not-a-key' },
        body: JSON.stringify({ query: '{ operations { totalCount } }' }),
      });
      return { status: response.status, body: (await response.json()) as { errors?: GraphQLFormattedError[] } };
    });

    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(total).toBe(0);
  });
});

describe('a lookup of something the platform does not have', () => {
  const cases: [string, TypedDocumentNode<Json, Json>, () => Json, string][] = [
    ['an operation (123009)', OperationLookupDocument, () => ({ id: UNKNOWN_HEX }), '123009'],
    ['a device (100403)', DeviceLookupDocument, () => ({ id: UNKNOWN_UUID }), '100403'],
    ['a device of another application (100418)', DeviceLookupDocument, () => ({ id: foreignDeviceId }), '100418'],
    ['a package (123002)', PackageLookupDocument, () => ({ id: UNKNOWN_HEX }), '123002'],
    ['a batch task (105005)', BatchTaskLookupDocument, () => ({ id: UNKNOWN_HEX }), '105005'],
  ];

  it.each(cases)('answers null without an error: %s', async (_name, document, variables, platformCode) => {
    const { result, recorded } = await stack.callsDuring(() => stack.gateway.run(document, variables()));

    expect(result.errors).toBeUndefined();
    expect(Object.values(result.data ?? { none: 'no data' })).toEqual([null]);
    // The platform was asked, and said so.
    expect(recorded.map((c) => c.errorCode)).toEqual([platformCode]);
  });
});

describe('invalid arguments the platform rejects', () => {
  const cases: [string, TypedDocumentNode<Json, Json>, string, string, string][] = [
    ['an operation id that is not 24 hex digits', OperationLookupDocument, 'operation', '120015', ROUTE.operation],
    ['a device id that is not a UUID', DeviceLookupDocument, 'device', '100405', ROUTE.device],
    ['a package id that is not 24 hex digits', PackageLookupDocument, 'upgradePackage', '120015', ROUTE.package],
  ];

  it.each(cases)('%s: BAD_USER_INPUT with the platform’s answer', async (_name, document, field, code, endpoint) => {
    const response = await stack.gateway.run(document, { id: 'NOT-AN-ID' });

    expect(response.data).toEqual({ [field]: null });
    const error = onlyError(response);
    expect(error.path).toEqual([field]);
    expect(error.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      upstream: { status: 400, code, description: expect.any(String), endpoint },
    });
  });

  it('a malformed id among devices(ids) fails that item alone', async () => {
    const [a, b] = deviceIds as [string, string];

    const response = await stack.gateway.run(DeviceLookupsDocument, { ids: [a, 'NOT-AN-ID', b] });

    expect(response.data?.devices.map((d) => d?.id ?? null)).toEqual([a, null, b]);
    const error = onlyError(response);
    expect(error.path).toEqual(['devices', 1]);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', upstream: { code: '100405' } });
  });

  it('filtering operations by a device that does not exist is NOT_FOUND', async () => {
    const response = await stack.gateway.run(OperationsOfDeviceDocument, { deviceId: UNKNOWN_UUID });

    const error = onlyError(response);
    expect(error.path).toEqual(['operations']);
    expect(error.extensions).toEqual({
      code: 'NOT_FOUND',
      upstream: { status: 404, code: '123009', description: expect.any(String), endpoint: ROUTE.operations },
    });
  });
});

describe('the platform failing', () => {
  it('a platform 500 (50252) is UPSTREAM_UNAVAILABLE', async () => {
    await stack.platform.control('faults', { errorStatus: 500, routes: [ROUTE.operations] });

    const error = onlyError(await stack.gateway.run(RecentOperationsDocument));

    expect(error.path).toEqual(['operations']);
    expect(error.extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 500, code: '50252', description: expect.any(String), endpoint: ROUTE.operations },
    });
  });

  it('a failing root field leaves its siblings: health survives a failing upgradePackages', async () => {
    await stack.platform.control('faults', { errorStatus: 500, routes: [ROUTE.packages] });

    const response = await stack.gateway.run(HealthBesidePackagesDocument);

    expect(response.data).toEqual({ health: { loginOk: true }, upgradePackages: null });
    const error = onlyError(response);
    expect(error.path).toEqual(['upgradePackages']);
    expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it.each([502, 503])('a proxy’s %i page without a platform body is UPSTREAM_UNAVAILABLE', async (status) => {
    await stack.platform.control('faults', { errorStatus: status, routes: [ROUTE.operations] });

    const error = onlyError(await stack.gateway.run(RecentOperationsDocument));

    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status, endpoint: ROUTE.operations } });
    // The proxy's HTML is not passed on.
    expect(JSON.stringify(error)).not.toContain('<html');
  });

  it('a dropped connection is UPSTREAM_UNAVAILABLE', async () => {
    const { result, recorded } = await stack.callsDuring(async () => {
      // After the warm-up: its health check reads the same route.
      await stack.platform.fault({ dropConnections: true, routes: [ROUTE.operations] });
      return stack.gateway.run(RecentOperationsDocument);
    });

    expect(recorded.some((c) => c.dropped)).toBe(true);
    expect(onlyError(result).extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { endpoint: ROUTE.operations } });
  });

  it('a platform nobody listens at is UPSTREAM_UNAVAILABLE', async () => {
    // Port 9 (discard) on loopback: nothing listens there in a test environment, so the connection is refused.
    const gateway = await gatewayWith({ NORTHBOUND_URL: 'http://127.0.0.1:9' });

    const error = onlyError(await gateway.run(RecentOperationsDocument));

    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { code: 'ECONNREFUSED' } });
  });

  it('no answer in time is UPSTREAM_TIMEOUT', async () => {
    // A gateway that waits 300 ms for an answer (NORTHBOUND_TIMEOUT_MS), before a platform that answers in 2 s.
    const gateway = await gatewayWith({ NORTHBOUND_TIMEOUT_MS: '300' });
    await stack.platform.fault({ latencyMs: 2000, routes: [ROUTE.operations] });

    const error = onlyError(await gateway.run(RecentOperationsDocument));

    expect(error.path).toEqual(['operations']);
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', upstream: { endpoint: ROUTE.operations } });
  });

  it('a throttled call (1010009) is RATE_LIMITED', async () => {
    await stack.platform.control('faults', { throttlePerMinute: 0 });

    const error = onlyError(await stack.gateway.run(RecentOperationsDocument));

    expect(error.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      upstream: { status: 403, code: '1010009', endpoint: ROUTE.operations },
    });
  });

  it('RATE_LIMITED tells the client when to retry', async () => {
    await stack.platform.control('faults', { throttlePerMinute: 0 });

    const error = onlyError(await stack.gateway.run(RecentOperationsDocument));

    expect(error.extensions?.code).toBe('RATE_LIMITED');
    expect(error.extensions?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('the gateway’s own budget keeps it from provoking the platform’s throttle', async () => {
    // The platform's real limit (100 calls a minute, sliding), a fresh window, and a gateway with the default
    // budget; the query needs 150 device lookups.
    const ids = (await stack.truth.list(PATH.devices, 'devices', 250)).slice(0, 150).map((d) => d.deviceId);
    await stack.platform.control('clock', { advanceSeconds: 61 });
    await stack.platform.control('faults', { throttlePerMinute: 100 });
    const gateway = await gatewayWith({ NORTHBOUND_RATE_LIMIT: '100/60s' });
    const before = await stack.platform.stats();

    await gateway.run(DeviceLookupsDocument, { ids });

    const after = await stack.platform.stats();
    expect(after.throttled - before.throttled).toBe(0);
  });

  it('an application that did not authorise ours is FORBIDDEN (100217)', async () => {
    const error = onlyError(await stack.gateway.run(BatchTaskLookupDocument, { id: UNKNOWN_HEX, appId: 'unauthorised-app' }));

    expect(error.path).toEqual(['batchTask']);
    expect(error.extensions).toEqual({
      code: 'FORBIDDEN',
      upstream: { status: 403, code: '100217', description: expect.any(String), endpoint: ROUTE.batchTask },
    });
  });

  it('an application that does not exist is FORBIDDEN (100203)', async () => {
    const error = onlyError(await stack.gateway.run(BatchTaskLookupDocument, { id: UNKNOWN_HEX, appId: 'no-such-app' }));

    expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', upstream: { status: 403, code: '100203' } });
  });

  it('wrong platform credentials are UPSTREAM_AUTH_FAILED (100208), without the secret', async () => {
    const gateway = await gatewayWith({}, { appId: credentials.appId, secret: WRONG_SECRET });

    const response = await gateway.run(RecentOperationsDocument);

    const error = onlyError(response);
    expect(error.path).toEqual(['operations']);
    expect(error.extensions).toEqual({
      code: 'UPSTREAM_AUTH_FAILED',
      upstream: { status: 401, code: '100208', description: expect.any(String), endpoint: ROUTE.login },
    });
    expect(response.text).not.toContain(WRONG_SECRET);
  });

  it('a frozen application is UPSTREAM_AUTH_FAILED (100247)', async () => {
    const gateway = await gatewayWith({}, { appId: 'frozen-app', secret: 'frozen-secret' });

    const error = onlyError(await gateway.run(RecentOperationsDocument));

    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', upstream: { code: '100247', endpoint: ROUTE.login } });
  });
});

describe('partial results', () => {
  it('devices failing leave the task, its subtasks and the other root field intact', async () => {
    await stack.platform.control('faults', { errorStatus: 500, routes: [ROUTE.device] });

    const response = await stack.gateway.run(TaskWithDevicesDocument, { id: task.id, packageId: task.packageId });

    const state = await stack.truth.state('operations', task.id);
    expect(response.data?.upgradePackage).toEqual({ id: task.packageId, version: task.version });
    const subtasks = response.data?.operation?.subtasks;
    expect(subtasks?.totalCount).toBe(task.subtasks.length);
    expect(subtasks?.nodes).toEqual(
      (state.subtasks as Json[]).map((s) => ({ id: s.subOperationId, status: SUBTASK_STATUS[s.status], deviceId: s.deviceId, device: null })),
    );
    // One error per device field, each at its own path. Once enough device calls have failed, the circuit opens
    // and the rest fail fast without reaching the platform: the same code for the client, another upstream code.
    expect(response.errors?.map((e) => e.path)).toEqual(task.subtasks.map((_, i) => ['operation', 'subtasks', 'nodes', i, 'device']));
    for (const error of response.errors ?? []) {
      expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { code: expect.stringMatching(/^(50252|CIRCUIT_OPEN)$/), endpoint: ROUTE.device } });
    }
    // Close the circuit again before the next test: once it half-opens, one call probes the healed platform.
    await stack.platform.control('faults', undefined, 'DELETE');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await stack.gateway.run(RecentOperationsDocument)).errors).toBeUndefined();
  });

  it('a root field failing leaves the other root field intact', async () => {
    await stack.platform.control('faults', { dropConnections: true, routes: [ROUTE.operation] });

    const response = await stack.gateway.run(TaskWithDevicesDocument, { id: task.id, packageId: task.packageId });

    expect(response.data).toEqual({ operation: null, upgradePackage: { id: task.packageId, version: task.version } });
    expect(onlyError(response)).toMatchObject({ path: ['operation'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
  });
});

describe('a resource that disappears mid-query', () => {
  it('is NOT_FOUND at its own path, with the platform code; the log has it with the request id', async () => {
    // A group deleted between the groups page and its members page: the members call answers 107001, which the
    // error model reads as "does not exist". The groups page is held back while the fleet is regenerated under it.
    await stack.platform.control('faults', { latencyMs: 300, routes: [ROUTE.deviceGroups] });
    const before = (await stack.platform.stats()).byRoute[ROUTE.deviceGroups] ?? 0;
    const pending = stack.gateway.run(GroupMembersDocument, { group: 0, first: 5 });
    while (((await stack.platform.stats()).byRoute[ROUTE.deviceGroups] ?? 0) === before) await new Promise((r) => setTimeout(r, 10));
    await stack.platform.control('reset', { ...EMULATOR_OPTIONS, seed: 8 });
    const response = await pending;
    await stack.platform.control('reset', EMULATOR_OPTIONS);

    const error = response.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { code: '107001', endpoint: ROUTE.deviceGroupMembers } });
    expect(error?.path?.slice(-1)).toEqual(['devices']);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    expect(stack.gateway.log.lines.some((line) => line.includes(requestId as string) && line.includes('107001'))).toBe(true);
  });
});

describe('secrets', () => {
  it('no response and no log line of any gateway here carries the platform secret or an access token', async () => {
    // A fresh token, and an error to log, whatever ran before.
    await stack.gateway.run(RecentOperationsDocument);
    await stack.platform.control('faults', { expireTokens: true });
    await stack.gateway.run(RecentOperationsDocument);
    await stack.gateway.run(OperationLookupDocument, { id: 'NOT-AN-ID' });
    const gateways: TestGateway[] = [stack.gateway, ...extraGateways];
    const text = gateways.flatMap((g) => [...g.responses, ...g.log.lines]).join('\n');
    const tokens = new Set([...stack.proxy.tokens, ...stack.proxy.calls.map((c) => c.token).filter((t): t is string => t !== undefined)]);
    // The check means something only if there was something to leak.
    expect(tokens.size).toBeGreaterThanOrEqual(2);
    expect(stack.gateway.log.lines.length).toBeGreaterThan(0);

    for (const secret of [credentials.secret, WRONG_SECRET, 'frozen-secret']) expect(text).not.toContain(secret);
    for (const token of tokens) expect(text).not.toContain(token);
  });
});
