// Service-data pushes (northbound-api README §11): deviceAdded / deviceInfoChanged / deviceDeleted reach a real
// receiver with the documented payloads; a finished upgrade, a control call and the devices' own connectivity
// changes each cause a deviceInfoChanged; a refused push is re-sent for 10 minutes of emulated time, then dropped.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Api, START_TIME, allPages, sleep, startTestEmulator, waitFor, type Started } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { schemaErrors } from '../harness/spec.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPTIONS = { seed: 5, devices: 300, clock: 'manual', startTime: START_TIME, throttlePerMinute: 1_000_000 };
const SCHEMA: Record<string, string> = {
  deviceAdded: 'NotifyDeviceAddedDTO',
  deviceInfoChanged: 'NotifyDeviceInfoChangedDTO',
  deviceDeleted: 'NotifyDeviceDeletedDTO',
  fwUpgradeResultNotify: 'NotifyFwUpgradeResultDTO',
};

let emu: Started;
let api: Api;
let rx: Receiver;

async function subscribe(...types: string[]) {
  for (const notifyType of types) {
    const res = notifyType.startsWith('fw')
      ? await api.post(PATH.subscribe, { notifyType, callbackUrl: rx.url })
      : await api.post(PATH.subscriptions, { notifyType, callbackUrl: rx.url });
    expect(res.status, res.text).toBe(notifyType.startsWith('fw') ? 200 : 201);
  }
}

async function expectValid(notices: Json[]) {
  for (const n of notices) expect(await schemaErrors(SCHEMA[n.notifyType]!, n), JSON.stringify(n)).toEqual([]);
}

const about = (deviceId: string, type?: string) => rx.notices.filter((n) => n.deviceId === deviceId && (!type || n.notifyType === type));

async function notifications(): Promise<{ sent: number; failed: number; retried: number; dropped: number }> {
  return (await api.control('GET', '/stats')).notifications;
}

/** Waits until the emulator has seen `failed` failed attempts (so the next re-send is on the clock). */
async function failedAttempts(failed: number) {
  const end = Date.now() + 5000;
  while ((await notifications()).failed < failed) {
    if (Date.now() > end) throw new Error(`expected ${failed} failed attempts, have ${(await notifications()).failed}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  emu = await startTestEmulator(OPTIONS);
  api = emu.api;
  api.autoLogin = true;
  rx = await startReceiver();
});
afterAll(async () => {
  await emu?.close();
  await rx?.close();
});
beforeEach(async () => {
  await api.reset(OPTIONS); // clears subscriptions and outcomes
  await sleep(100);
  rx.notices.length = 0;
  rx.status = 200;
});

describe('pushes of each kind', () => {
  test('deviceAdded: a device registered through the control API, INACTIVE until it connects', async () => {
    await subscribe('deviceAdded');
    const created = await api.control('POST', '/devices', { model: 'WM200', name: 'Pilot-meter-1' });
    expect(await waitFor(() => about(created.deviceId).length === 1)).toBe(true);
    const [n] = rx.notices;
    await expectValid(rx.notices);
    expect(n).toMatchObject({ notifyType: 'deviceAdded', deviceId: created.deviceId, gatewayId: created.deviceId, nodeType: 'ENDPOINT' });
    expect(n.deviceInfo).toMatchObject({ name: 'Pilot-meter-1', model: 'WM200', status: 'INACTIVE' });
    expect(n.deviceInfo).toEqual(created.deviceInfo);
    const read = await api.ok(`${PATH.devices}/${created.deviceId}`);
    expect(read.deviceInfo).toEqual(created.deviceInfo);
  });

  test('deviceAdded: the new device with the versions and status given (the status stays, as after a change)', async () => {
    await subscribe('deviceAdded');
    const fields = { name: 'Pilot-meter-2', fwVersion: 'V9.9.9', swVersion: 'S9.9.9', status: 'ONLINE' };
    const created = await api.control('POST', '/devices', { model: 'GM10', ...fields });
    expect(await waitFor(() => about(created.deviceId, 'deviceAdded').length === 1)).toBe(true);
    const [n] = about(created.deviceId, 'deviceAdded');
    await expectValid([n]);
    expect(n.deviceInfo).toMatchObject({ ...fields, model: 'GM10' });
    await api.advance(24 * 3600);
    expect((await api.ok(`${PATH.devices}/${created.deviceId}`)).deviceInfo).toMatchObject(fields);
  });

  test('deviceInfoChanged: a control call, once per real change, with the new values', async () => {
    await subscribe('deviceInfoChanged');
    rx.notices.length = 0; // subscribing does not push anything itself, but connectivity may change later
    const device = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 1 })).devices[0];
    const change = { status: 'ABNORMAL', fwVersion: 'V9.9.9', swVersion: 'S9.9.9', name: 'Renamed' };
    const answer = await api.control('POST', `/devices/${device.deviceId}`, change);
    expect(answer.changed).toBe(true);
    expect(await waitFor(() => about(device.deviceId).length === 1)).toBe(true);
    const [n] = about(device.deviceId);
    await expectValid([n]);
    expect(n).toMatchObject({ notifyType: 'deviceInfoChanged', deviceId: device.deviceId, gatewayId: device.gatewayId });
    expect(n.deviceInfo).toMatchObject(change);
    expect((await api.ok(`${PATH.devices}/${device.deviceId}`)).deviceInfo).toMatchObject(change);
    // The same values again change nothing and push nothing; the pinned status holds as time passes.
    expect((await api.control('POST', `/devices/${device.deviceId}`, change)).changed).toBe(false);
    await api.advance(6 * 3600);
    await sleep(200);
    expect(about(device.deviceId)).toHaveLength(1);
    expect((await api.ok(`${PATH.devices}/${device.deviceId}`)).deviceInfo.status).toBe('ABNORMAL');
  });

  test('deviceDeleted: a device deleted through the control API is gone from reads and groups', async () => {
    await subscribe('deviceDeleted');
    const groups: Json[] = (await api.ok(PATH.groups, { pageNo: 0, pageSize: 500 })).list;
    const group = groups.find((g) => g.curDevNum > 0);
    const deviceId = (await api.ok(PATH.members, { devGroupId: group.id, pageSize: 1 })).deviceIds[0];
    const device = await api.ok(`${PATH.devices}/${deviceId}`);
    await api.control('DELETE', `/devices/${deviceId}`);
    expect(await waitFor(() => rx.notices.length === 1)).toBe(true);
    await expectValid(rx.notices);
    expect(rx.notices[0]).toEqual({ notifyType: 'deviceDeleted', deviceId, gatewayId: device.gatewayId });
    expect((await api.get(`${PATH.devices}/${deviceId}`)).body.error_code).toBe('100403');
    const members = await api.ok(PATH.members, { devGroupId: group.id, pageSize: 1000 });
    expect(members.deviceIds).not.toContain(deviceId);
  });

  test('a finished upgrade pushes deviceInfoChanged with the new fwVersion, after its result notice', async () => {
    await subscribe('fwUpgradeResultNotify', 'deviceInfoChanged');
    await api.control('POST', '/outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
    const devices: Json[] = await allPages(api, PATH.devices, {}, 'devices', 250);
    const pkgs: Json[] = (await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data;
    const pair = pkgs.flatMap((pkg) => devices
      .filter((d) => d.deviceInfo.model === pkg.model && d.deviceInfo.fwVersion !== pkg.version)
      .map((d) => ({ pkg, d })))[0]!;
    const created = await api.post(PATH.fwUpgrade, { fileId: pair.pkg.fileId, targets: { devices: [pair.d.deviceId] } });
    expect(created.status, created.text).toBe(200);
    await api.advance(400);
    const result = () => about(pair.d.deviceId, 'fwUpgradeResultNotify').filter((n) => n.operationId === created.body.operationId);
    const newVersion = () => about(pair.d.deviceId, 'deviceInfoChanged').filter((n) => n.deviceInfo.fwVersion === pair.pkg.version);
    expect(await waitFor(() => result().length === 1 && newVersion().length === 1)).toBe(true);
    await expectValid([...result(), ...newVersion()]);
    expect(result()[0].status).toBe('SUCCESS');
    expect(rx.notices.indexOf(newVersion()[0])).toBeGreaterThan(rx.notices.indexOf(result()[0]));
  });

  test('connectivity: while deviceInfoChanged is subscribed, each status change of each device is pushed', async () => {
    const before: Json[] = await allPages(api, PATH.devices, {}, 'devices', 250);
    await subscribe('deviceInfoChanged');
    await api.advance(3 * 3600);
    const after: Json[] = await allPages(api, PATH.devices, {}, 'devices', 250);
    const moved = after.filter((d, i) => d.deviceInfo.status !== before[i].deviceInfo.status);
    expect(moved.length, 'some devices changed status in 3 h').toBeGreaterThan(10);
    // Wait for the last push of every moved device to show its current status.
    const last = (id: string) => about(id).at(-1);
    expect(await waitFor(() => moved.every((d) => last(d.deviceId)?.deviceInfo.status === d.deviceInfo.status), 15_000)).toBe(true);
    await sleep(200);
    await expectValid(rx.notices.slice(0, 50));
    for (const [i, d] of after.entries()) {
      // Each push is a change: (status, versions) differ from the previous state of that device.
      const states = [before[i], ...about(d.deviceId)].map((x) => [x.deviceInfo.status, x.deviceInfo.fwVersion, x.deviceInfo.swVersion].join());
      for (let k = 1; k < states.length; k++) expect(states[k], `${d.deviceId} push ${k}`).not.toBe(states[k - 1]);
      expect(states.at(-1)).toBe([d.deviceInfo.status, d.deviceInfo.fwVersion, d.deviceInfo.swVersion].join());
    }
    // Unsubscribed: no more pushes.
    expect((await api.delete(PATH.subscriptions, { notifyType: 'deviceInfoChanged' })).status).toBe(204);
    await sleep(300);
    const count = rx.notices.length;
    await api.advance(3 * 3600);
    await sleep(300);
    expect(rx.notices.length).toBe(count);
  });
});

describe('refused pushes', () => {
  const deleteOne = async () => {
    const deviceId = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 1 })).devices[0].deviceId;
    await api.control('DELETE', `/devices/${deviceId}`);
  };

  test('re-sent with a growing delay until the receiver takes it, then not again', async () => {
    await subscribe('deviceDeleted');
    rx.status = 500;
    await deleteOne();
    await failedAttempts(1);
    await api.advance(4); // not due yet (first re-send after 5 s)
    await sleep(100);
    expect(rx.notices).toHaveLength(1);
    await api.advance(1);
    await failedAttempts(2);
    await api.advance(10);
    await failedAttempts(3);
    rx.status = 200;
    await api.advance(20);
    expect(await waitFor(() => rx.notices.length === 4)).toBe(true);
    await sleep(100);
    expect(await notifications()).toEqual({ sent: 1, failed: 3, retried: 3, dropped: 0 });
    expect(new Set(rx.notices.map((n) => JSON.stringify(n))).size).toBe(1); // the same push each time
    await api.advance(1200);
    await sleep(200);
    expect(rx.notices).toHaveLength(4);
  });

  test('given up after 10 minutes of emulated time', async () => {
    await subscribe('deviceDeleted');
    rx.status = 503;
    await deleteOne();
    await failedAttempts(1);
    // Re-sends at +5, +15, +35, +75, +155, +315, +475 s; the next (+635 s) would be past the 10 minutes.
    for (const [i, step] of [5, 10, 20, 40, 80, 160, 160].entries()) {
      await api.advance(step);
      await failedAttempts(i + 2);
    }
    await sleep(100);
    expect(await notifications()).toEqual({ sent: 0, failed: 8, retried: 7, dropped: 1 });
    rx.status = 200;
    await api.advance(3600);
    await sleep(200);
    expect(rx.notices).toHaveLength(8);
    expect((await notifications()).sent).toBe(0);
  });
});

describe('control calls and waiting work', () => {
  test('a device_online subtask starts when a control call brings its device online', async () => {
    const devices: Json[] = await allPages(api, PATH.devices, {}, 'devices', 250);
    const pkgs: Json[] = (await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data;
    const pair = pkgs.flatMap((pkg) => devices.filter((d) => d.deviceInfo.model === pkg.model && d.deviceInfo.fwVersion !== pkg.version).map((d) => ({ pkg, d })))[0]!;
    await api.control('POST', `/devices/${pair.d.deviceId}`, { status: 'OFFLINE' });
    const created = await api.post(PATH.fwUpgrade, { fileId: pair.pkg.fileId, targets: { devices: [pair.d.deviceId] }, policy: { executeType: 'device_online' } });
    await api.advance(3600);
    const state = () => api.control('GET', `/state/operations/${created.body.operationId}`);
    expect((await state()).subtasks[0].status).toBe('wait');
    await api.control('POST', `/devices/${pair.d.deviceId}`, { status: 'ONLINE' });
    expect((await state()).subtasks[0].status).toBe('processing');
  });

  test('a device with an upgrade waiting on it cannot be deleted (409)', async () => {
    const op = (await api.ok(PATH.operations, { operationStatus: 'wait', pageSize: 1 })).data[0]
      ?? (await api.ok(PATH.operations, { operationStatus: 'processing', pageSize: 1 })).data[0];
    const subs = await api.ok(`${PATH.operations}/${op.operationId}/subOperations`, { pageSize: 100 });
    const active = subs.data.find((s: Json) => s.status === 'wait' || s.status === 'processing');
    const res = await fetch(`${api.url}/_emulator/devices/${active.deviceId}`, { method: 'DELETE' });
    expect(res.status).toBe(409);
    expect((await api.get(`${PATH.devices}/${active.deviceId}`)).status).toBe(200);
  });
});
