// Ids stay in their path segment: an id that URL resolution would turn into another route ("." and "..": the
// collection), that would leave its segment empty, or that is over the platform's size is refused with
// BAD_USER_INPUT before any platform call and before any slot of the call budget; anything else is sent, encoded,
// as one segment, and logs name the route that was called.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchTaskLookupDocument, DeviceLookupDocument, DeviceLookupsDocument, HealthDocument, OperationLookupDocument, PackageLookupDocument } from '../generated/graphql.js';
import type { TestGateway } from '../harness/gateway.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startGraphStack, type GraphStack, type Json } from './support.js';

const MALFORMED: [string, string, string][] = [
  ['empty', '', 'must not be empty'],
  ['"."', '.', 'must not be "."'],
  ['".."', '..', 'must not be ".."'],
  ['257 characters', 'a'.repeat(257), 'must have at most 256 characters'],
];

const LOOKUPS: [string, TypedDocumentNode<Json, Json>][] = [
  ['operation', OperationLookupDocument],
  ['device', DeviceLookupDocument],
  ['upgradePackage', PackageLookupDocument],
  ['batchTask', BatchTaskLookupDocument],
];

let stack: GraphStack;
let deviceIds: string[];

beforeAll(async () => {
  stack = await startGraphStack({ seed: 7, devices: 50 });
  const operations = await stack.truth.operations();
  deviceIds = operations.find((o) => o.targets.devices?.length >= 2).targets.devices;
});
afterAll(async () => {
  await stack?.close();
});

describe.each(LOOKUPS)('%s(id:)', (field, document) => {
  it.each(MALFORMED)('an id that is %s: BAD_USER_INPUT naming the argument, no platform call', async (_name, id, problem) => {
    const { result, total, recorded } = await stack.callsDuring(() => stack.gateway.run(document, { id }));

    expect(result.data).toEqual({ [field]: null });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.message).toBe(`Invalid arguments: id: ${problem}`);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', validationErrors: [{ path: 'id', rule: 'platformId', message: problem }] });
    expect(total).toBe(0);
    expect(recorded).toEqual([]);
  });
});

describe('devices(ids:)', () => {
  it.each(MALFORMED)('an id that is %s fails its item alone, before any call for it', async (_name, id, problem) => {
    const [a, b] = deviceIds as [string, string];

    const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(DeviceLookupsDocument, { ids: [a, id, b] }));

    expect(result.data?.devices.map((d: Json) => d?.id ?? null)).toEqual([a, null, b]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.path).toEqual(['devices', 1]);
    expect(result.errors?.[0]?.message).toBe(`deviceId ${problem}`);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'deviceId' });
    // Two reads of the two good ids, and nothing else (no list of all devices).
    expect(byRoute).toEqual({ [ROUTE.device]: 2 });
  });
});

describe('ids that are sent', () => {
  it('an id with a slash or dots inside stays one segment: the platform is asked about it, and the log names that route', async () => {
    const { result, byRoute, recorded } = await stack.callsDuring(() => stack.gateway.run(DeviceLookupDocument, { id: '../devices' }));

    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(byRoute).toEqual({ [ROUTE.device]: 1 });
    expect(recorded.map((c) => c.path)).toEqual([`${PATH.devices}/..%2Fdevices`]);
    const line = stack.gateway.log.records().findLast((r) => String(r.msg).startsWith('platform call'));
    expect(line?.route).toBe(ROUTE.device);
  });

  it('a well-formed id the platform does not know is still null without an error', async () => {
    const { result, total } = await stack.callsDuring(() => stack.gateway.run(OperationLookupDocument, { id: 'ffffffffffffffffffffffff' }));

    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ operation: null });
    expect(total).toBe(1);
  });
});

describe('the call budget', () => {
  let gateway: TestGateway;
  afterAll(async () => {
    await gateway?.close();
  });

  it('malformed ids take no slot: with a budget of one call, the call is still free after them', async () => {
    gateway = await stack.startGateway({ env: { NORTHBOUND_RATE_LIMIT: '1/60s', GATEWAY_REQUEST_DEADLINE_MS: '500' } });

    for (const [, document] of LOOKUPS) {
      const response = await gateway.run(document, { id: '..' });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    // One id a query: a query that may need more calls than the whole budget is refused before its ids are read.
    for (const id of ['.', '..', '']) {
      const refused = await gateway.run(DeviceLookupsDocument, { ids: [id] });
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }

    const health = await gateway.run(HealthDocument);
    expect(health.errors).toBeUndefined();
    expect(health.data?.health?.loginOk).toBe(true);
  });
});
