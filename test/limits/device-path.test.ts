// The cheaper device path: a task's targets are all of one product, so the gateway lists the device type (250 a
// page) instead of reading 256 devices one by one, when the counts say that costs fewer calls.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitsCreateFirmwareDocument, LimitsDevicesDocument, LimitsTargetDevicesDocument } from '../generated/graphql.js';
import { ROUTE } from '../harness/routes.js';
import { readFleet, startLimitsStack, type Fleet, type LimitsStack } from './support.js';

/** The most devices one upgrade task may target. */
const MAX_TARGETS = 256;
const DEVICE_PAGE = 250;

let stack: LimitsStack;
let fleet: Fleet;
let big: { operationId: string; deviceIds: string[] };
let small: { operationId: string; deviceIds: string[] };
/** The emulator's fwVersion of each device, by id. */
const fwVersion = new Map<string, string | null>();

beforeAll(async () => {
  stack = await startLimitsStack({ platform: { devices: 1500 }, deferGateway: true });
  fleet = await readFleet(stack.api);
  await stack.useGateway();
  const { product } = fleet;
  if (product.devices.length < MAX_TARGETS + 3) throw new Error(`fixtures: ${product.model} has only ${product.devices.length} devices`);
  const create = async (deviceIds: string[]) => {
    const reply = await stack.gateway.run(LimitsCreateFirmwareDocument, { input: { fileId: product.firmware, targets: { deviceIds }, idempotencyKey: randomUUID() } });
    const operationId = reply.data?.createFirmwareUpgradeTask.operationId;
    if (!operationId) throw new Error(`create: ${JSON.stringify(reply.errors)}`);
    return { operationId, deviceIds };
  };
  big = await create(product.devices.slice(0, MAX_TARGETS));
  small = await create(product.devices.slice(MAX_TARGETS, MAX_TARGETS + 3));
  for (const id of [...big.deviceIds, ...small.deviceIds]) fwVersion.set(id, (await stack.platform.state('devices', id)).deviceInfo.fwVersion ?? null);
});
afterAll(async () => {
  await stack?.close();
});

describe('Operation.targets.devices', () => {
  it(`at ${MAX_TARGETS} devices: one probe, the type's size, and its pages (not ${MAX_TARGETS} reads), with the emulator's data`, async () => {
    // A fresh gateway: nothing cached.
    await stack.useGateway();
    const pages = Math.ceil(fleet.product.typeSize / DEVICE_PAGE);
    expect(pages + 2).toBeLessThan(MAX_TARGETS / 10);

    const { result, byRoute, total } = await stack.callsDuring(() => stack.gateway.run(LimitsTargetDevicesDocument, { id: big.operationId }));

    expect(result.errors).toBeUndefined();
    const targets = result.data?.operation?.targets;
    expect(targets?.deviceIds).toEqual(big.deviceIds);
    expect(targets?.devices.map((d) => d?.id)).toEqual(big.deviceIds);
    expect(targets?.devices.map((d) => d?.fwVersion ?? null)).toEqual(big.deviceIds.map((id) => fwVersion.get(id)));
    // The task; one device read (it tells the type); the type's size (a one-item page); the type's pages.
    expect(byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.device]: 1, [ROUTE.devices]: 1 + pages });
    expect(total).toBe(3 + pages);
  });

  it('a second view of the task finds every device in the cache the listing filled', async () => {
    const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(LimitsTargetDevicesDocument, { id: big.operationId }));
    expect(result.data?.operation?.targets.devices.map((d) => d?.id)).toEqual(big.deviceIds);
    // The task is still running (the clock has not moved): it is read again, its devices are not.
    expect(byRoute).toEqual({ [ROUTE.operation]: 1 });
  });

  it(`the same ${MAX_TARGETS} devices read by id on a fresh gateway: ${MAX_TARGETS} calls, the same data`, async () => {
    await stack.useGateway();
    const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(LimitsDevicesDocument, { ids: big.deviceIds }));
    expect(result.errors).toBeUndefined();
    expect(result.data?.devices.map((d) => d?.id)).toEqual(big.deviceIds);
    expect(result.data?.devices.map((d) => d?.fwVersion ?? null)).toEqual(big.deviceIds.map((id) => fwVersion.get(id)));
    expect(byRoute).toEqual({ [ROUTE.device]: MAX_TARGETS });
  });

  it('at 3 devices, reading them one by one is cheaper, and that is what the gateway does', async () => {
    await stack.useGateway();
    const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(LimitsTargetDevicesDocument, { id: small.operationId }));
    expect(result.errors).toBeUndefined();
    expect(result.data?.operation?.targets.devices.map((d) => d?.id)).toEqual(small.deviceIds);
    expect(result.data?.operation?.targets.devices.map((d) => d?.fwVersion ?? null)).toEqual(small.deviceIds.map((id) => fwVersion.get(id)));
    expect(byRoute).toEqual({ [ROUTE.operation]: 1, [ROUTE.device]: 3 });
  });
});
