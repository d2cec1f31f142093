// What only the platform can judge (does the package fit the devices? do they exist?) comes back as the GraphQL
// error model: the gateway's code, the argument when the code names one, and extensions.upstream. And a key
// without the operate role cannot create anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBatchDocument,
  CreateFirmwareUpgradeDocument,
  CreateSoftwareUpgradeDocument,
  CreatedOperationsDocument,
  type CreateUpgradeTaskInput,
} from '../generated/graphql.js';
import { ROUTE } from '../harness/routes.js';
import type { Stack } from '../harness/stack.js';
import {
  callsDuring,
  loadFixtures,
  onlyError,
  READ_ONLY_KEY,
  startMutationStack,
  UNKNOWN_DEVICE_ID,
  UNKNOWN_FILE_ID,
  type Fixtures,
} from './support.js';

let stack: Stack;
let f: Fixtures;
beforeAll(async () => {
  stack = await startMutationStack();
  f = await loadFixtures(stack);
});
afterAll(async () => {
  await stack?.close();
});

const firmware = (input: CreateUpgradeTaskInput) => callsDuring(stack, () => stack.gateway.run(CreateFirmwareUpgradeDocument, { input }));
const software = (input: CreateUpgradeTaskInput) => callsDuring(stack, () => stack.gateway.run(CreateSoftwareUpgradeDocument, { input }));

describe('a package that does not fit the targets (123016) is BAD_USER_INPUT about input.fileId', () => {
  it('devices of another product than the package', async () => {
    const calls = await firmware({ fileId: f.otherFirmware, targets: { deviceIds: f.devices.slice(0, 2) } });
    const error = onlyError(calls.result);
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'input.fileId',
      upstream: { status: 400, code: '123016', endpoint: ROUTE.createFirmwareUpgrade },
    });
    expect(calls.result.data ?? null).toBeNull();
    // One attempt, nothing read back: there is nothing to read.
    expect(calls.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
  });

  it('groups whose deviceType, model and manufacturerName are not the package’s', async () => {
    const calls = await firmware({ fileId: f.firmware, targets: { deviceGroups: [f.otherGroup], ...f.otherProduct } });
    expect(onlyError(calls.result).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'input.fileId',
      upstream: { status: 400, code: '123016', endpoint: ROUTE.createFirmwareUpgrade },
    });
    expect(calls.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
  });

  it('on the software route too', async () => {
    const calls = await software({ fileId: f.software, targets: { deviceGroups: [f.group], ...f.otherProduct } });
    expect(onlyError(calls.result).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'input.fileId',
      upstream: { status: 400, code: '123016', endpoint: ROUTE.createSoftwareUpgrade },
    });
    expect(calls.byRoute).toEqual({ [ROUTE.createSoftwareUpgrade]: 1 });
  });
});

describe('what does not exist (123002) is NOT_FOUND', () => {
  const notFound = { code: 'NOT_FOUND', upstream: { status: 404, code: '123002', endpoint: ROUTE.createFirmwareUpgrade } };

  it('an unknown package', async () => {
    const calls = await firmware({ fileId: UNKNOWN_FILE_ID, targets: { deviceIds: [f.devices[0] as string] } });
    expect(onlyError(calls.result).extensions).toMatchObject(notFound);
    expect(calls.result.data ?? null).toBeNull();
    expect(calls.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
  });

  it('an unknown device among known ones', async () => {
    const calls = await firmware({ fileId: f.firmware, targets: { deviceIds: [f.devices[0] as string, UNKNOWN_DEVICE_ID] } });
    expect(onlyError(calls.result).extensions).toMatchObject(notFound);
    expect(calls.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
  });

  it('an unknown group', async () => {
    const calls = await firmware({ fileId: f.firmware, targets: { deviceGroups: ['NoSuchGroup'], ...f.product } });
    expect(onlyError(calls.result).extensions).toMatchObject(notFound);
  });

  it('a software package on the firmware route', async () => {
    const calls = await firmware({ fileId: f.software, targets: { deviceIds: [f.devices[0] as string] } });
    expect(onlyError(calls.result).extensions).toMatchObject(notFound);
  });
});

it('a malformed fileId the gateway cannot judge (the platform’s 120015) is BAD_USER_INPUT with upstream', async () => {
  const calls = await firmware({ fileId: 'not-a-file-id', targets: { deviceIds: [f.devices[0] as string] } });
  expect(onlyError(calls.result).extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    upstream: { status: 400, code: '120015', endpoint: ROUTE.createFirmwareUpgrade },
  });
  expect(calls.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
});

it('no task is left behind by a refused create', async () => {
  // The refusals above created nothing: the device's history has no task of this run.
  const history = await stack.gateway.run(CreatedOperationsDocument, { first: 100 });
  const refusedTargets = new Set([f.devices[0], f.devices[1], UNKNOWN_DEVICE_ID]);
  const start = Date.parse('2026-03-01T00:00:00Z');
  const created = history.data?.operations?.nodes.filter(
    (o) => Date.parse(o.createdAt ?? '') >= start && o.targets.deviceIds.some((id) => refusedTargets.has(id)),
  );
  expect(history.errors).toBeUndefined();
  expect(created).toEqual([]);
});

describe('a read-only API key', () => {
  it('may read but not create: FORBIDDEN, and the platform is not asked', async () => {
    const read = await stack.gateway.runAs(READ_ONLY_KEY, CreatedOperationsDocument, { first: 1 });
    expect(read.errors).toBeUndefined();

    const upgrade = await callsDuring(stack, () =>
      stack.gateway.runAs(READ_ONLY_KEY, CreateFirmwareUpgradeDocument, { input: { fileId: f.firmware, targets: { deviceIds: [f.devices[0] as string] } } }),
    );
    expect(onlyError(upgrade.result).extensions?.code).toBe('FORBIDDEN');
    expect(upgrade.result.data ?? null).toBeNull();
    expect(upgrade.total).toBe(0);

    const softwareUpgrade = await callsDuring(stack, () =>
      stack.gateway.runAs(READ_ONLY_KEY, CreateSoftwareUpgradeDocument, { input: { fileId: f.software, targets: { deviceIds: [f.devices[0] as string] } } }),
    );
    expect(onlyError(softwareUpgrade.result).extensions?.code).toBe('FORBIDDEN');
    expect(softwareUpgrade.total).toBe(0);

    const batch = await callsDuring(stack, () =>
      stack.gateway.runAs(READ_ONLY_KEY, CreateBatchDocument, {
        input: { name: 'reboot', timeout: 10, target: { type: 'BROADCAST' }, command: { serviceId: 'Maintenance', method: 'REBOOT' } },
      }),
    );
    expect(onlyError(batch.result).extensions?.code).toBe('FORBIDDEN');
    expect(batch.total).toBe(0);

    // The role is checked before the input: a read-only caller learns nothing about the rules.
    const invalid = await callsDuring(stack, () => stack.gateway.runAs(READ_ONLY_KEY, CreateFirmwareUpgradeDocument, { input: { fileId: '', targets: {} } }));
    expect(onlyError(invalid.result).extensions).toEqual({ code: 'FORBIDDEN' });
    expect(invalid.total).toBe(0);
  });
});
