// What the gateway can tell before asking the platform, beyond the input's own rules: a task's devices that the mirror
// knows to be of another product than the package (the platform's 123016), and device group names of a form the
// platform documents no group can have. Each is refused with no platform call at all; what the mirror does not hold
// is left to the platform, as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBatchDocument, CreateFirmwareUpgradeDocument, CreateSoftwareUpgradeDocument, type CreateUpgradeTaskInput } from '../generated/graphql.js';
import { mirrorReady } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import type { Stack } from '../harness/stack.js';
import { callsDuring, expectRefusedBeforePlatform, loadFixtures, onlyError, startMutationStack, UNKNOWN_DEVICE_ID, UNKNOWN_FILE_ID, type Fixtures } from './support.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: Stack;
let f: Fixtures;
/** Devices of another product than the fixtures' packages, as the mirror lists them. */
let others: string[];
beforeAll(async () => {
  stack = await startMutationStack({ env: { MIRROR_BUDGET_SHARE: '0.5' } });
  await mirrorReady(stack.gateway, 60_000);
  f = await loadFixtures(stack);
  const fleet = await stack.gateway.query('query($f: DeviceFilter) { fleet(filter: $f, first: 2) { nodes { id } } }', { f: { model: f.otherProduct.model } });
  others = fleet.data.fleet.nodes.map((d: Json) => d.id);
  expect(others).toHaveLength(2);
  await mirrorQuiet();
}, 150_000);

/**
 * After READY the mirror backfills (group members, older tasks' subtasks): the counts below are the test's alone
 * once it has done so, which is when the platform hears nothing from the gateway for 3 s.
 */
async function mirrorQuiet(): Promise<void> {
  const until = Date.now() + 120_000;
  while ((await callsDuring(stack, () => new Promise((resolve) => setTimeout(resolve, 3_000)))).total > 0) {
    if (Date.now() > until) throw new Error('the mirror still calls the platform after 2 minutes');
  }
}
afterAll(async () => {
  await stack?.close();
});

const firmware = (input: CreateUpgradeTaskInput) => callsDuring(stack, () => stack.gateway.run(CreateFirmwareUpgradeDocument, { input }));
const software = (input: CreateUpgradeTaskInput) => callsDuring(stack, () => stack.gateway.run(CreateSoftwareUpgradeDocument, { input }));
const name = (product: Fixtures['product']) => `${product.deviceType} / ${product.model} / ${product.manufacturerName}`;

describe("a task's devices against its package's product, from the mirror", () => {
  it('refuses the devices of another product, each named by its path, without a platform call', async () => {
    const deviceIds = [f.devices[0] as string, others[0] as string, f.devices[1] as string, others[1] as string];
    const calls = await firmware({ fileId: f.firmware, targets: { deviceIds } });
    const error = onlyError(calls.result);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.upstream).toMatchObject({ code: '123016' });
    expect(error.extensions?.validationErrors).toEqual([1, 3].map((index) => ({
      path: `input.targets.deviceIds.${index}`,
      rule: 'packageFits',
      upstreamCode: '123016',
      message: `device ${deviceIds[index]} is a ${name(f.otherProduct)}; package ${f.firmware} is for ${name(f.product)}`,
    })));
    expect(calls.result.data ?? null).toBeNull();
    expect(calls.total).toBe(0);
  });

  it('on the software route too', async () => {
    const calls = await software({ fileId: f.software, targets: { deviceIds: [others[0] as string] } });
    expect(onlyError(calls.result).extensions?.validationErrors).toEqual([expect.objectContaining({ path: 'input.targets.deviceIds.0', rule: 'packageFits' })]);
    expect(calls.total).toBe(0);
  });

  it('leaves to the platform what the mirror does not hold: an unknown device, an unknown package', async () => {
    const device = await firmware({ fileId: f.firmware, targets: { deviceIds: [UNKNOWN_DEVICE_ID] } });
    expect(onlyError(device.result).extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { code: '123002' } });
    expect(device.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });

    const pkg = await firmware({ fileId: UNKNOWN_FILE_ID, targets: { deviceIds: [others[0] as string] } });
    expect(onlyError(pkg.result).extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { code: '123002' } });
    expect(pkg.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
  });
});

describe('device group names of a form no group can have (^[A-Za-z0-9]+$, at most 50)', () => {
  const byGroups = (deviceGroups: string[]): CreateUpgradeTaskInput => ({ fileId: f.firmware, targets: { deviceGroups, ...f.product } });

  it.each([
    ['a space', 'Site Harbor'],
    ['a hyphen', 'Pilot-1'],
    ['51 characters', 'G'.repeat(51)],
  ])('a name with %s is refused before any call', async (_what, group) => {
    expectRefusedBeforePlatform(await firmware(byGroups([f.group, group])), { path: 'input.targets.deviceGroups', rule: 'groupName' }, undefined);
  });

  it('a name of the form that names no group is the platform’s to judge', async () => {
    const calls = await firmware(byGroups(['NoSuchGroup']));
    expect(onlyError(calls.result).extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { code: '123002' } });
    expect(calls.byRoute).toEqual({ [ROUTE.createFirmwareUpgrade]: 1 });
  });

  it('in a batch task: group names (GROUP_LIST) of the form, group ids (GROUP_ID_LIST) of at most 50 characters', async () => {
    const batch = (target: Json) =>
      callsDuring(stack, () => stack.gateway.run(CreateBatchDocument, { input: { name: 'reboot', timeout: 30, target, command: { serviceId: 'Maintenance', method: 'REBOOT' } } }));
    expectRefusedBeforePlatform(await batch({ type: 'GROUP_LIST', groups: ['Pilot 1'] }), { path: 'input.target.groups', rule: 'groupName', upstreamCode: '100022' });
    expectRefusedBeforePlatform(await batch({ type: 'GROUP_ID_LIST', groups: ['f'.repeat(51)] }), { path: 'input.target.groups', rule: 'groupId', upstreamCode: '100022' });
  });
});

describe('what fits', () => {
  it('goes to the platform once and is created', async () => {
    const calls = await firmware({ fileId: f.firmware, targets: { deviceIds: f.devices.slice(0, 2) } });
    expect(calls.result.errors).toBeUndefined();
    expect(calls.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
  });
});
