// Acceptance item 6: management notifications reach a subscribed callback with the right ids and validate
// against the spec's Notify*DTO schemas; one result notice per run (so retries show up as extra notices).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Api, START_TIME, allPages, sleep, startTestEmulator, waitFor, type Started } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { schemaErrors } from '../harness/spec.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPTIONS = { seed: 7, devices: 300, clock: 'manual', startTime: START_TIME, throttlePerMinute: 1_000_000 };
const SCHEMA: Record<string, string> = {
  fwUpgradeStateChangeNotify: 'NotifyFwUpgradeStateChangedDTO',
  fwUpgradeResultNotify: 'NotifyFwUpgradeResultDTO',
  swUpgradeStateChangeNotify: 'NotifySwUpgradeStateChangedDTO',
  swUpgradeResultNotify: 'NotifySwUpgradeResultDTO',
};
const STEP_DESC = ['idle', 'downloading', 'downloaded', 'updating'];

let emu: Started;
let api: Api;
let rx: Receiver;

const sameProduct = (d: Json, p: Json) =>
  d.deviceInfo?.deviceType === p.deviceType && d.deviceInfo?.model === p.model && d.deviceInfo?.manufacturerName === p.manufacturerName;

async function pick(kind: 'fw' | 'sw', n: number): Promise<{ pkg: Json; devices: Json[] }> {
  const devices: Json[] = await allPages(api, PATH.devices, {}, 'devices', 250);
  const versionField = kind === 'fw' ? 'fwVersion' : 'swVersion';
  const pkgs: Json[] = (await api.ok(PATH.packages, { fileType: kind === 'fw' ? 'firmwarePackage' : 'softwarePackage', pageSize: 100 })).data;
  const best = pkgs
    .map((pkg) => ({ pkg, devices: devices.filter((d) => sameProduct(d, pkg) && d.deviceInfo[versionField] !== pkg.version) }))
    .sort((a, b) => b.devices.length - a.devices.length)[0]!;
  expect(best.devices.length).toBeGreaterThan(0);
  return { pkg: best.pkg, devices: best.devices.slice(0, n) };
}

async function subscribe(...types: string[]) {
  for (const notifyType of types) {
    const res = await api.post(PATH.subscribe, { notifyType, callbackUrl: rx.url });
    expect([res.status, res.text]).toEqual([200, '']);
  }
}

/** Creates a task, runs the clock until it ends, and returns it with its subtasks. */
async function runTask(path: string, body: Json): Promise<{ operationId: string; task: Json; subs: Json[] }> {
  const created = await api.post(path, body);
  expect(created.status, created.text).toBe(200);
  const operationId = created.body.operationId;
  let task: Json = {};
  for (let i = 0; i < 200 && !['success', 'failed'].includes(task.status); i++) {
    await api.advance(30);
    task = await api.ok(`${PATH.operations}/${operationId}`);
  }
  expect(['success', 'failed']).toContain(task.status);
  const subs = await allPages<Json>(api, `${PATH.operations}/${operationId}/subOperations`, {}, 'data', 100);
  return { operationId, task, subs };
}

async function expectValidNotices(notices: Json[]) {
  for (const n of notices) {
    expect(Object.keys(SCHEMA), JSON.stringify(n)).toContain(n.notifyType);
    expect(await schemaErrors(SCHEMA[n.notifyType]!, n)).toEqual([]);
  }
}

beforeAll(async () => {
  emu = await startTestEmulator(OPTIONS);
  api = emu.api;
  api.autoLogin = true; // runs span hours of emulated time
  rx = await startReceiver();
});
afterAll(async () => {
  await emu?.close();
  await rx?.close();
});
beforeEach(async () => {
  await api.reset(OPTIONS); // also clears subscriptions
  await sleep(200); // let deliveries still in flight from the previous test land before clearing
  rx.notices.length = 0;
  rx.paths.length = 0;
});

describe('firmware task', () => {
  test('state-change and result notices for every subtask, with matching ids and versions', async () => {
    await subscribe('fwUpgradeStateChangeNotify', 'fwUpgradeResultNotify');
    const { pkg, devices } = await pick('fw', 6);
    const { operationId, subs } = await runTask(PATH.fwUpgrade, { fileId: pkg.fileId, targets: { devices: devices.map((d) => d.deviceId) } });
    // Tasks from the generated history that are still running notify too: look at this task's notices.
    const ours = () => rx.notices.filter((n) => n.operationId === operationId);
    const results = () => ours().filter((n) => n.notifyType === 'fwUpgradeResultNotify');
    expect(await waitFor(() => results().length >= subs.length), `${results().length} of ${subs.length} result notices`).toBe(true);
    await sleep(100); // anything extra would arrive now

    await expectValidNotices(rx.notices);
    expect(new Set(rx.paths)).toEqual(new Set(['POST /v1.0.0/messageReceiver']));
    expect(rx.notices.every((n) => n.notifyType.startsWith('fw'))).toBe(true);
    for (const s of subs) {
      const mine = ours().filter((n) => n.subOperationId === s.subOperationId);
      for (const n of mine) expect([n.operationId, n.deviceId, n.appId]).toEqual([operationId, s.deviceId, api.appId]);
      const states = mine.filter((n) => n.notifyType === 'fwUpgradeStateChangeNotify');
      expect(states.length, `state notices for ${s.subOperationId}`).toBeGreaterThan(0);
      for (const n of states) expect(n.stepDesc).toBe(STEP_DESC[Number(n.step)]);
      const result = mine.filter((n) => n.notifyType === 'fwUpgradeResultNotify');
      expect(result.length, `one result notice for ${s.subOperationId}`).toBe(1);
      const before = devices.find((d) => d.deviceId === s.deviceId).deviceInfo.fwVersion;
      expect(result[0]).toMatchObject({
        status: s.status === 'success' ? 'SUCCESS' : 'FAIL',
        targetVersion: pkg.version,
        sourceVersion: before,
        curVersion: s.status === 'success' ? pkg.version : before,
      });
    }
    // Every notice of this task belongs to one of its subtasks.
    expect(ours().filter((n) => !subs.some((s) => s.subOperationId === n.subOperationId))).toEqual([]);
  });

  test('only subscribed types are sent, and nothing before a subscription', async () => {
    const { pkg, devices } = await pick('fw', 3);
    const body = { fileId: pkg.fileId, targets: { devices: devices.map((d) => d.deviceId) } };
    await runTask(PATH.fwUpgrade, body); // no subscription yet
    await sleep(200);
    expect(rx.notices).toEqual([]);
    await subscribe('fwUpgradeResultNotify');
    const { operationId, subs } = await runTask(PATH.fwUpgrade, body);
    const ours = () => rx.notices.filter((n) => n.operationId === operationId);
    expect(await waitFor(() => ours().length >= subs.length)).toBe(true);
    await sleep(100);
    expect(ours().map((n) => n.notifyType)).toEqual(Array(subs.length).fill('fwUpgradeResultNotify'));
    expect(new Set(rx.notices.map((n) => n.notifyType))).toEqual(new Set(['fwUpgradeResultNotify']));
    await expectValidNotices(rx.notices);
  });
});

describe('software task', () => {
  test('swUpgradeStateChangeNotify and swUpgradeResultNotify validate and match the subtasks', async () => {
    await subscribe('swUpgradeStateChangeNotify', 'swUpgradeResultNotify', 'fwUpgradeResultNotify');
    const { pkg, devices } = await pick('sw', 5);
    const { operationId, subs } = await runTask(PATH.swUpgrade, { fileId: pkg.fileId, targets: { devices: devices.map((d) => d.deviceId) } });
    const ours = () => rx.notices.filter((n) => n.operationId === operationId);
    const results = () => ours().filter((n) => n.notifyType === 'swUpgradeResultNotify');
    expect(await waitFor(() => results().length >= subs.length)).toBe(true);
    await sleep(100);
    await expectValidNotices(rx.notices);
    expect(ours().filter((n) => n.notifyType.startsWith('fw')), 'no firmware notices for a software task').toEqual([]);
    for (const s of subs) {
      const mine = ours().filter((n) => n.subOperationId === s.subOperationId);
      for (const n of mine) expect([n.operationId, n.deviceId, n.appId]).toEqual([operationId, s.deviceId, api.appId]);
      expect(mine.filter((n) => n.notifyType === 'swUpgradeStateChangeNotify').length).toBeGreaterThan(0);
      const result = mine.filter((n) => n.notifyType === 'swUpgradeResultNotify');
      expect(result.length).toBe(1);
      const before = devices.find((d) => d.deviceId === s.deviceId).deviceInfo.swVersion;
      expect(result[0]).toMatchObject({ swUpgradeResult: s.status === 'success' ? 'SUCCESS' : 'FAIL', targetVersion: pkg.version, sourceVersion: before });
      const device = await api.ok(`${PATH.devices}/${s.deviceId}`);
      expect(device.deviceInfo.swVersion).toBe(s.status === 'success' ? pkg.version : before);
    }
  });
});

describe('retries seen through notifications', () => {
  // README: state-change notices while a subtask runs, one result notice at its end. A retried run goes back to
  // wait (state "idle", step 0) and starts again (state "downloading", step 1), so each run shows as one
  // "downloading" notice and the subtask still ends with exactly one result notice.
  test('each run starts with a downloading notice; failed runs are retried at most retryTimes times; one result per subtask', async () => {
    await subscribe('fwUpgradeStateChangeNotify', 'fwUpgradeResultNotify');
    const retryTimes = 2;
    const { pkg, devices } = await pick('fw', 40);
    const { operationId, subs } = await runTask(PATH.fwUpgrade, {
      fileId: pkg.fileId, targets: { devices: devices.map((d) => d.deviceId) }, policy: { executeType: 'now', retryType: true, retryTimes },
    });
    const ours = () => rx.notices.filter((n) => n.operationId === operationId);
    const resultOf = (id: string) => ours().filter((n) => n.subOperationId === id && n.notifyType === 'fwUpgradeResultNotify');
    expect(await waitFor(() => subs.every((s) => resultOf(s.subOperationId).length > 0))).toBe(true);
    await sleep(200);
    await expectValidNotices(rx.notices);
    let runsTotal = 0;
    for (const s of subs) {
      const mine = ours().filter((n) => n.subOperationId === s.subOperationId);
      const runs = mine.filter((n) => n.stepDesc === 'downloading').length;
      const retries = mine.filter((n) => n.stepDesc === 'idle').length;
      expect(runs, s.subOperationId).toBe(retries + 1);
      expect(runs, s.subOperationId).toBeLessThanOrEqual(1 + retryTimes);
      if (s.status !== 'success') expect(runs, `${s.subOperationId} ended ${s.status} after every retry`).toBe(1 + retryTimes);
      expect(resultOf(s.subOperationId).map((n) => n.status)).toEqual([s.status === 'success' ? 'SUCCESS' : 'FAIL']);
      runsTotal += runs;
    }
    expect(runsTotal, 'more runs than devices: some subtasks were retried').toBeGreaterThan(subs.length);
  });
});
