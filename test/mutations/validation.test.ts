// Invalid create inputs are refused by the gateway before any platform call, in the words of the platform:
// BAD_USER_INPUT naming each field and rule, and extensions.upstream.code = the code the platform would answer.
// The emulator runs on the wall clock, because "startTime not in the past" is judged against it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBatchDocument,
  CreateFirmwareUpgradeDocument,
  CreateSoftwareUpgradeDocument,
  type CreateBatchTaskInput,
  type CreateUpgradeTaskInput,
  type OperationPolicyInput,
} from '../generated/graphql.js';
import { ROUTE } from '../harness/routes.js';
import type { Stack } from '../harness/stack.js';
import {
  callsDuring,
  expectRefusedBeforePlatform,
  fromNow,
  loadFixtures,
  onlyError,
  startMutationStack,
  type ExpectedViolation,
  type Fixtures,
} from './support.js';

let stack: Stack;
let f: Fixtures;
beforeAll(async () => {
  stack = await startMutationStack({ platform: { clock: 'realtime', startTime: undefined } });
  f = await loadFixtures(stack);
});
afterAll(async () => {
  await stack?.close();
});

const long = (n: number) => 'x'.repeat(n);
const uuid = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

const byDevices = (): CreateUpgradeTaskInput => ({ fileId: f.firmware, targets: { deviceIds: [f.devices[0] as string] } });
const byGroup = (): CreateUpgradeTaskInput => ({ fileId: f.firmware, targets: { deviceGroups: [f.group], ...f.product } });
const withPolicy = (policy: OperationPolicyInput): CreateUpgradeTaskInput => ({ ...byDevices(), policy });
/** A CUSTOM window of `minutes` starting `startsIn` minutes from now. */
const custom = (startsIn: number, minutes: number): OperationPolicyInput => {
  const start = Date.now() + startsIn * 60_000;
  return { executeType: 'CUSTOM', startTime: new Date(start).toISOString(), endTime: new Date(start + minutes * 60_000).toISOString() };
};

const firmware = (input: CreateUpgradeTaskInput) => callsDuring(stack, () => stack.gateway.run(CreateFirmwareUpgradeDocument, { input }));
const software = (input: CreateUpgradeTaskInput) => callsDuring(stack, () => stack.gateway.run(CreateSoftwareUpgradeDocument, { input }));

interface UpgradeCase extends ExpectedViolation {
  name: string;
  input: () => CreateUpgradeTaskInput;
}

describe('createFirmwareUpgradeTask refuses, without calling the platform', () => {
  const cases: UpgradeCase[] = [
    { name: 'neither deviceIds nor deviceGroups', input: () => ({ fileId: f.firmware, targets: {} }), path: 'input.targets.deviceIds', rule: 'targetsGiven', upstreamCode: '123022' },
    {
      name: 'empty deviceIds and deviceGroups (as absent, like the platform)',
      input: () => ({ fileId: f.firmware, targets: { deviceIds: [], deviceGroups: [] } }),
      path: 'input.targets.deviceIds',
      rule: 'targetsGiven',
      upstreamCode: '123022',
    },
    {
      name: 'both deviceIds and deviceGroups',
      input: () => ({ fileId: f.firmware, targets: { deviceIds: [f.devices[0] as string], deviceGroups: [f.group], ...f.product } }),
      path: 'input.targets.deviceIds',
      rule: 'notBothTargets',
      upstreamCode: '123023',
    },
    {
      name: 'more than 256 devices',
      input: () => ({ fileId: f.firmware, targets: { deviceIds: Array.from({ length: 257 }, (_, i) => uuid(i)) } }),
      path: 'input.targets.deviceIds',
      rule: 'MaxItems',
      upstreamCode: '123024',
    },
    {
      name: 'more than 256 device groups',
      input: () => ({ fileId: f.firmware, targets: { deviceGroups: Array.from({ length: 257 }, (_, i) => `Group${i}`), ...f.product } }),
      path: 'input.targets.deviceGroups',
      rule: 'MaxItems',
      upstreamCode: '123024',
    },
    {
      name: 'groups without manufacturerName',
      input: () => ({ ...byGroup(), targets: { ...byGroup().targets, manufacturerName: undefined } }),
      path: 'input.targets.manufacturerName',
      rule: 'requiredWithGroups',
      upstreamCode: '123019',
    },
    {
      name: 'groups without deviceType',
      input: () => ({ ...byGroup(), targets: { ...byGroup().targets, deviceType: null } }),
      path: 'input.targets.deviceType',
      rule: 'requiredWithGroups',
      upstreamCode: '123020',
    },
    {
      name: 'groups with an empty model',
      input: () => ({ ...byGroup(), targets: { ...byGroup().targets, model: '' } }),
      path: 'input.targets.model',
      rule: 'requiredWithGroups',
      upstreamCode: '123021',
    },
    {
      name: 'CUSTOM without startTime',
      input: () => withPolicy({ executeType: 'CUSTOM', endTime: fromNow(60) }),
      path: 'input.policy.startTime',
      rule: 'requiredForCustom',
      upstreamCode: '123026',
    },
    {
      name: 'CUSTOM without endTime',
      input: () => withPolicy({ executeType: 'CUSTOM', startTime: fromNow(10) }),
      path: 'input.policy.endTime',
      rule: 'requiredForCustom',
      upstreamCode: '123026',
    },
    {
      name: 'startTime after endTime',
      input: () => withPolicy({ executeType: 'CUSTOM', startTime: fromNow(60), endTime: fromNow(30) }),
      path: 'input.policy.startTime',
      rule: 'notAfterEnd',
      upstreamCode: '123032',
    },
    { name: 'startTime in the past', input: () => withPolicy(custom(-10, 60)), path: 'input.policy.startTime', rule: 'notInPast', upstreamCode: '123033' },
    { name: 'a window of exactly 5 minutes', input: () => withPolicy(custom(10, 5)), path: 'input.policy.endTime', rule: 'windowLongerThan5Minutes', upstreamCode: '123034' },
    { name: 'a window of 1 minute', input: () => withPolicy(custom(10, 1)), path: 'input.policy.endTime', rule: 'windowLongerThan5Minutes', upstreamCode: '123034' },
    { name: 'retry without retryTimes', input: () => withPolicy({ retry: true }), path: 'input.policy.retryTimes', rule: 'requiredWithRetry', upstreamCode: '123028' },
    { name: 'retryTimes 0', input: () => withPolicy({ retry: true, retryTimes: 0 }), path: 'input.policy.retryTimes', rule: 'range1to5', upstreamCode: '123028' },
    { name: 'retryTimes 6', input: () => withPolicy({ retry: true, retryTimes: 6 }), path: 'input.policy.retryTimes', rule: 'range1to5', upstreamCode: '123028' },
    { name: 'an empty fileId', input: () => ({ ...byDevices(), fileId: '' }), path: 'input.fileId', rule: 'platformId', upstreamCode: '120015' },
    { name: 'a fileId of 257 characters', input: () => ({ ...byDevices(), fileId: long(257) }), path: 'input.fileId', rule: 'platformId', upstreamCode: '120015' },
    { name: 'a fileId of ".."', input: () => ({ ...byDevices(), fileId: '..' }), path: 'input.fileId', rule: 'platformId', upstreamCode: '120015' },
    {
      name: 'a device id of "."',
      input: () => ({ fileId: f.firmware, targets: { deviceIds: [f.devices[0] as string, '.'] } }),
      path: 'input.targets.deviceIds',
      rule: 'platformId',
      upstreamCode: '120015',
    },
    {
      name: 'a device id of 257 characters',
      input: () => ({ fileId: f.firmware, targets: { deviceIds: [f.devices[0] as string, long(257)] } }),
      path: 'input.targets.deviceIds',
      rule: 'platformId',
      upstreamCode: '120015',
    },
    {
      name: 'a group name of 257 characters',
      input: () => ({ ...byGroup(), targets: { ...byGroup().targets, deviceGroups: [long(257)] } }),
      path: 'input.targets.deviceGroups',
      rule: 'MaxText',
      upstreamCode: '120015',
    },
    {
      name: 'a deviceType of 257 characters',
      input: () => ({ ...byGroup(), targets: { ...byGroup().targets, deviceType: long(257) } }),
      path: 'input.targets.deviceType',
      rule: 'MaxText',
      upstreamCode: '120015',
    },
    {
      name: 'a model of 257 characters',
      input: () => ({ ...byGroup(), targets: { ...byGroup().targets, model: long(257) } }),
      path: 'input.targets.model',
      rule: 'MaxText',
      upstreamCode: '120015',
    },
    {
      name: 'a manufacturerName of 257 characters',
      input: () => ({ ...byGroup(), targets: { ...byGroup().targets, manufacturerName: long(257) } }),
      path: 'input.targets.manufacturerName',
      rule: 'MaxText',
      upstreamCode: '120015',
    },
  ];

  it.each(cases)('$name → $upstreamCode at $path', async ({ input, name: _name, ...violation }) => {
    expectRefusedBeforePlatform(await firmware(input()), violation);
  });

  it('an idempotencyKey longer than 128 characters (a gateway rule: no platform code)', async () => {
    const calls = await firmware({ ...byDevices(), idempotencyKey: long(129) });
    expectRefusedBeforePlatform(calls, { path: 'input.idempotencyKey', rule: 'isLength' });
  });

  it('an executeType outside the enum (123025) is refused by GraphQL itself', async () => {
    // Sent as a variable, as a client would; GraphQL's coercion refuses it before any resolver runs.
    const input = withPolicy({ executeType: 'LATER' as OperationPolicyInput['executeType'] });
    const calls = await firmware(input);
    const error = onlyError(calls.result);
    expect(calls.result.status).toBe(400);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('executeType');
    expect(calls.result.data ?? null).toBeNull();
    expect(calls.total).toBe(0);
  });

  it('several violations: every one is listed, and the code is the first the platform would check', async () => {
    // The platform checks the fileId, then targets, then the policy; it answers with the first failure.
    const calls = await firmware({
      fileId: long(300),
      targets: { deviceGroups: [f.group] },
      policy: { executeType: 'CUSTOM', retry: true, retryTimes: 9 },
    });
    expectRefusedBeforePlatform(calls, { path: 'input.fileId', rule: 'platformId', upstreamCode: '120015' });
    const paths = (calls.result.errors?.[0]?.extensions?.validationErrors as ExpectedViolation[]).map((v) => `${v.path} ${v.upstreamCode}`);
    expect(paths.sort()).toEqual(
      [
        'input.fileId 120015',
        'input.targets.deviceType 123020',
        'input.targets.model 123021',
        'input.targets.manufacturerName 123019',
        'input.policy.startTime 123026',
        'input.policy.endTime 123026',
        'input.policy.retryTimes 123028',
      ].sort(),
    );

    const targetsFirst = await firmware({ ...byGroup(), targets: { deviceGroups: [f.group] }, policy: custom(-10, 3) });
    expectRefusedBeforePlatform(targetsFirst, { path: 'input.targets.manufacturerName', rule: 'requiredWithGroups', upstreamCode: '123019' });
    const policyOrder = await firmware(withPolicy({ ...custom(-10, 3), retry: true }));
    expectRefusedBeforePlatform(policyOrder, { path: 'input.policy.startTime', rule: 'notInPast', upstreamCode: '123033' });
  });
});

describe('createSoftwareUpgradeTask applies the same rules', () => {
  const onSoftware = (input: CreateUpgradeTaskInput): CreateUpgradeTaskInput => ({ ...input, fileId: f.software });

  it('neither targets → 123022', async () => {
    expectRefusedBeforePlatform(await software({ fileId: f.software, targets: {} }), { path: 'input.targets.deviceIds', rule: 'targetsGiven', upstreamCode: '123022' });
  });

  it('groups without model → 123021', async () => {
    const input = onSoftware({ ...byGroup(), targets: { ...byGroup().targets, model: undefined } });
    expectRefusedBeforePlatform(await software(input), { path: 'input.targets.model', rule: 'requiredWithGroups', upstreamCode: '123021' });
  });

  it('a window of 5 minutes → 123034', async () => {
    expectRefusedBeforePlatform(await software(onSoftware(withPolicy(custom(10, 5)))), {
      path: 'input.policy.endTime',
      rule: 'windowLongerThan5Minutes',
      upstreamCode: '123034',
    });
  });

  it('retryTimes 6 → 123028', async () => {
    expectRefusedBeforePlatform(await software(onSoftware(withPolicy({ retry: true, retryTimes: 6 }))), {
      path: 'input.policy.retryTimes',
      rule: 'range1to5',
      upstreamCode: '123028',
    });
  });
});

describe('inputs just inside the limits reach the platform, which agrees', () => {
  it('a CUSTOM window starting in 2 minutes and lasting 5 minutes and 1 second, with retryTimes 5', async () => {
    const policy: OperationPolicyInput = { ...custom(2, 5 + 1 / 60), retry: true, retryTimes: 5 };
    const calls = await firmware({ ...withPolicy(policy), targets: { deviceIds: [f.devices[1] as string] } });
    expect(calls.result.errors).toBeUndefined();
    expect(calls.byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    const operation = calls.result.data?.createFirmwareUpgradeTask.operation;
    expect(operation?.status).toBe('WAIT');
    // The window comes back as sent (to the second: the platform's times have no milliseconds).
    const seconds = (iso: string | null | undefined) => Math.floor(Date.parse(iso ?? '') / 1000);
    expect(operation?.policy).toMatchObject({ executeType: 'CUSTOM', retry: true, retryTimes: 5 });
    expect(seconds(operation?.policy?.startTime)).toBe(seconds(policy.startTime));
    expect(seconds(operation?.policy?.endTime)).toBe(seconds(policy.endTime));
  });
});

const batchInput = (): CreateBatchTaskInput => ({
  name: 'reboot pilot',
  timeout: 30,
  target: { type: 'DEVICE_LIST', deviceIds: [f.devices[0] as string] },
  command: { serviceId: 'Maintenance', method: 'REBOOT', paras: { delay: 5 } },
});
const batch = (input: CreateBatchTaskInput) => callsDuring(stack, () => stack.gateway.run(CreateBatchDocument, { input }));

interface BatchCase extends ExpectedViolation {
  name: string;
  input: () => CreateBatchTaskInput;
}

describe('createBatchTask refuses (100022), without calling the platform', () => {
  const target = (t: CreateBatchTaskInput['target']) => () => ({ ...batchInput(), target: t });
  const cases: BatchCase[] = [
    { name: 'timeout 9 minutes', input: () => ({ ...batchInput(), timeout: 9 }), path: 'input.timeout', rule: 'min' },
    { name: 'timeout 2881 minutes', input: () => ({ ...batchInput(), timeout: 2881 }), path: 'input.timeout', rule: 'max' },
    { name: 'an empty name', input: () => ({ ...batchInput(), name: '' }), path: 'input.name', rule: 'isLength' },
    { name: 'a name of 257 characters', input: () => ({ ...batchInput(), name: long(257) }), path: 'input.name', rule: 'isLength' },
    { name: 'a type other than DeviceCmd', input: () => ({ ...batchInput(), type: 'DeviceReg' }), path: 'input.type', rule: 'supportedType' },
    { name: 'DEVICE_LIST without deviceIds', input: target({ type: 'DEVICE_LIST' }), path: 'input.target.deviceIds', rule: 'requiredForDeviceList' },
    { name: 'DEVICE_LIST with no device', input: target({ type: 'DEVICE_LIST', deviceIds: [] }), path: 'input.target.deviceIds', rule: 'requiredForDeviceList' },
    { name: 'DEVICE_LIST with a device id of ".."', input: target({ type: 'DEVICE_LIST', deviceIds: ['..'] }), path: 'input.target.deviceIds', rule: 'platformId' },
    { name: 'DEVICE_TYPE without deviceType', input: target({ type: 'DEVICE_TYPE', model: 'WM100' }), path: 'input.target.deviceType', rule: 'requiredForDeviceType' },
    { name: 'DEVICE_AREA without location', input: target({ type: 'DEVICE_AREA' }), path: 'input.target.location', rule: 'requiredForDeviceArea' },
    { name: 'GROUP_LIST without groups', input: target({ type: 'GROUP_LIST' }), path: 'input.target.groups', rule: 'requiredForGroupList' },
    { name: 'GROUP_ID_LIST without groups', input: target({ type: 'GROUP_ID_LIST', groups: [] }), path: 'input.target.groups', rule: 'requiredForGroupIdList' },
    {
      name: 'an empty command serviceId',
      input: () => ({ ...batchInput(), command: { ...batchInput().command, serviceId: '' } }),
      path: 'input.command.serviceId',
      rule: 'isLength',
    },
    {
      name: 'an empty command method',
      input: () => ({ ...batchInput(), command: { ...batchInput().command, method: '' } }),
      path: 'input.command.method',
      rule: 'isLength',
    },
    { name: 'a callbackUrl that is no URL', input: () => ({ ...batchInput(), callbackUrl: 'results please' }), path: 'input.callbackUrl', rule: 'isUrl' },
    { name: 'a callbackUrl that is not http(s)', input: () => ({ ...batchInput(), callbackUrl: 'ftp://example.com/results' }), path: 'input.callbackUrl', rule: 'isUrl' },
  ];

  it.each(cases)('$name → at $path', async ({ input, name: _name, ...violation }) => {
    expectRefusedBeforePlatform(await batch(input()), { ...violation, upstreamCode: '100022' });
  });

  it('timeouts of 10 and 2880 minutes are accepted, by the gateway and the platform', async () => {
    for (const timeout of [10, 2880]) {
      const calls = await batch({ ...batchInput(), timeout, callbackUrl: 'http://localhost:9000/results' });
      expect(calls.result.errors).toBeUndefined();
      expect(calls.byRoute[ROUTE.createBatchTask]).toBe(1);
      expect(calls.result.data?.createBatchTask.batchTask?.status).toBe('PENDING');
    }
  });
});
