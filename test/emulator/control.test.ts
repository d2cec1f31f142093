// The control API of DESIGN.md §4 / the emulator README: clock, stats, credentials, reset and fault rules, seen
// through what a client of the platform API would observe.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Api, START_TIME, compact, sleep, startTestEmulator, type Started } from '../harness/emulator.js';
import { PATH, ROUTE } from '../harness/routes.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPTIONS = { seed: 9, devices: 100, clock: 'manual', startTime: START_TIME, throttlePerMinute: 1_000_000 };
const DEVICE_ROUTE = ROUTE.device;
const PACKAGES_ROUTE = ROUTE.packages;

let emu: Started;
let api: Api;
let deviceId: string;

beforeAll(async () => {
  emu = await startTestEmulator(OPTIONS);
  api = emu.api;
  deviceId = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 1 })).devices[0].deviceId;
});
afterAll(async () => { await emu?.close(); });
beforeEach(async () => {
  await api.reset(OPTIONS);
  await api.login(); // reset keeps each token's remaining lifetime; some tests here use it up
});

describe('clock', () => {
  test('manual: starts at startTime, moves only when advanced, and reports ISO and compact forms', async () => {
    const c0 = await api.clock();
    expect(c0.mode).toBe('manual');
    expect(Date.parse(c0.now)).toBe(Date.parse(START_TIME));
    expect(c0.compact).toBe('20260301T000000Z');
    await sleep(1100);
    expect(Date.parse((await api.clock()).now)).toBe(Date.parse(START_TIME)); // wall time does not move it
    const c1 = await api.advance(90);
    expect(Date.parse(c1.now)).toBe(Date.parse(START_TIME) + 90_000);
    expect(c1.compact).toBe(compact(START_TIME, 90));
  });

  test('realtime: emulated time runs with the wall clock, plus any advance', async () => {
    await api.reset({ ...OPTIONS, clock: 'realtime' });
    // A platform call first: the emulator brings its clock up to date on each platform call (the control
    // read alone may lag by up to its 1 s tick).
    const read = async () => { await api.get(PATH.packages); return api.clock(); };
    const c0 = await read();
    expect(c0.mode).toBe('realtime');
    const wall0 = Date.now();
    await sleep(1200);
    const c1 = await read();
    const elapsed = Date.parse(c1.now) - Date.parse(c0.now);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThanOrEqual(Date.now() - wall0 + 1000);
    const c2 = await api.advance(600);
    expect(Date.parse(c2.now) - Date.parse(c1.now)).toBeGreaterThanOrEqual(600_000);
  });

  test('reset puts the clock back to startTime', async () => {
    await api.advance(3000);
    await api.reset(OPTIONS);
    expect(Date.parse((await api.clock()).now)).toBe(Date.parse(START_TIME));
  });
});

describe('stats and credentials', () => {
  test('counts platform calls by route template; control calls are not counted', async () => {
    await api.reset(OPTIONS); // zeroes the counters (the login of beforeEach was counted)
    await api.get(`${PATH.devices}/${deviceId}`);
    await api.get(`${PATH.devices}/${deviceId}`);
    await api.get(PATH.packages);
    await api.clock();
    await api.control('GET', '/credentials');
    const stats = await api.stats();
    expect(stats.byRoute[DEVICE_ROUTE]).toBe(2);
    expect(stats.byRoute[PACKAGES_ROUTE]).toBe(1);
    expect(stats.total).toBe(3);
    expect(stats.throttled).toBe(0);
  });

  test('credentials name the main app and the other applications of the contract', async () => {
    const creds = await api.control('GET', '/credentials');
    expect([creds.appId, creds.secret]).toEqual([api.appId, api.secret]);
    const apps = JSON.stringify(creds.apps);
    for (const app of ['authorised-app', 'unauthorised-app', 'frozen-app']) expect(apps).toContain(app);
  });

  test('the control API is not throttled', async () => {
    await api.reset({ ...OPTIONS, throttlePerMinute: 1 });
    expect((await api.get(PATH.packages)).status).toBe(200);
    expect((await api.get(PATH.packages)).body?.error_code).toBe('1010009');
    for (let i = 0; i < 5; i++) await api.stats();
    expect((await api.clock()).mode).toBe('manual');
  });
});

describe('state views', () => {
  test('devices/{id}, operations/{id} and batchTasks/{id} answer for known ids, 404 otherwise, and are not counted', async () => {
    const op = (await api.ok(PATH.operations, { pageSize: 1 })).data[0];
    const batch = await api.post(PATH.batchTasks, {
      appId: api.appId, taskName: 'state', taskType: 'DeviceCmd', timeout: 10,
      param: { type: 'DeviceList', deviceList: [deviceId], command: { serviceId: 'Sensor', method: 'RESET' } },
    });
    const before = (await api.stats()).total;
    expect((await api.control('GET', `/state/devices/${deviceId}`)).deviceId).toBe(deviceId);
    const opState = await api.control('GET', `/state/operations/${op.operationId}`);
    expect(opState.operationId).toBe(op.operationId);
    expect(opState.subtasks.length).toBe(op.staResult.total); // all subtasks, unpaged
    expect((await api.control('GET', `/state/batchTasks/${batch.body.taskID}`)).taskId).toBe(batch.body.taskID);
    for (const path of ['/state/devices/00000000-0000-4000-8000-000000000000', '/state/operations/0123456789abcdef01234567']) {
      expect((await fetch(`${api.url}/_emulator${path}`)).status).toBe(404);
    }
    expect((await api.stats()).total).toBe(before);
  });
});

describe('faults', () => {
  test('errorStatus 500 answers 50252 on the listed routes only; DELETE clears it; reset clears it too', async () => {
    const { faults } = await api.addFault({ errorStatus: 500, routes: [DEVICE_ROUTE] });
    expect(faults.length).toBe(1);
    const hit = await api.get(`${PATH.devices}/${deviceId}`);
    expect([hit.status, hit.body?.error_code]).toEqual([500, '50252']);
    expect((await api.get(PATH.packages)).status).toBe(200);
    await api.clearFaults();
    expect((await api.get(`${PATH.devices}/${deviceId}`)).status).toBe(200);
    await api.addFault({ errorStatus: 500 });
    expect((await api.get(PATH.packages)).status).toBe(500);
    await api.reset(OPTIONS);
    expect((await api.get(PATH.packages)).status).toBe(200);
  });

  test('another errorStatus sends a proxy-style text body, not a platform error', async () => {
    await api.addFault({ errorStatus: 503, routes: [PACKAGES_ROUTE] });
    const res = await api.get(PATH.packages);
    expect(res.status).toBe(503);
    expect(res.body).toBeUndefined(); // not JSON
    expect(res.text.length).toBeGreaterThan(0);
  });

  test('errorRate 0.5 fails some calls and lets others through', async () => {
    await api.addFault({ errorStatus: 500, errorRate: 0.5, routes: [PACKAGES_ROUTE] });
    const statuses = [];
    for (let i = 0; i < 40; i++) statuses.push((await api.get(PATH.packages)).status);
    const failed = statuses.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    expect(statuses.filter((s) => s === 200).length).toBe(40 - failed);
  });

  test('dropConnections resets the socket without an answer', async () => {
    await api.addFault({ dropConnections: true, routes: [DEVICE_ROUTE] });
    await expect(api.get(`${PATH.devices}/${deviceId}`)).rejects.toThrow();
    expect((await api.get(PATH.packages)).status).toBe(200);
  });

  test('latencyMs delays the answer, and a create that the client gave up on still creates', async () => {
    await api.addFault({ latencyMs: 400, routes: [PACKAGES_ROUTE] });
    const t0 = performance.now();
    expect((await api.get(PATH.packages)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(380);

    const devices: Json[] = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 100 })).devices;
    const pkgs: Json[] = (await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data;
    const pair = pkgs.flatMap((p) => devices.filter((d) => d.deviceInfo.deviceType === p.deviceType && d.deviceInfo.model === p.model
      && d.deviceInfo.manufacturerName === p.manufacturerName).map((d) => ({ p, d })))[0]!;
    const route = ROUTE.createFirmwareUpgrade;
    await api.addFault({ latencyMs: 500, routes: [route] });
    const abort = AbortSignal.timeout(100);
    await expect(fetch(api.url + PATH.fwUpgrade, {
      method: 'POST', signal: abort,
      headers: { app_key: api.appId, authorization: `Bearer ${api.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fileId: pair.p.fileId, targets: { devices: [pair.d.deviceId] } }),
    })).rejects.toThrow();
    await sleep(600);
    const list = await api.ok(PATH.operations, { deviceId: pair.d.deviceId, pageSize: 100 });
    const now = (await api.clock()).compact;
    expect(list.data.filter((o: Json) => o.createTime === now).length, 'the abandoned create made its task').toBe(1);
  });
});

describe('devices/{deviceId}', () => {
  const post = (id: string, body: unknown) =>
    fetch(`${api.url}/_emulator/devices/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  test.each([
    [{ status: 'SLEEPING' }, /status/],
    [{ fwVersion: 3 }, /fwVersion/],
    [{ name: '' }, /name/],
    [{ swVersion: 'x'.repeat(257) }, /swVersion/],
    [{}, /Nothing to change/],
    [{ colour: 'red' }, /colour/],
    ['{not json', /JSON object/],
  ])('%j answers 400 naming the problem', async (body, message) => {
    const res = await post(deviceId, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(message);
  });

  test('an unknown device answers 404; a change shows in the platform reads', async () => {
    expect((await post('00000000-0000-4000-8000-000000000000', { name: 'x' })).status).toBe(404);
    const res = await post(deviceId, { status: 'OFFLINE', fwVersion: 'V0.0.1' });
    expect(res.status).toBe(200);
    const read = await api.ok(`${PATH.devices}/${deviceId}`);
    expect(read.deviceInfo).toMatchObject({ status: 'OFFLINE', fwVersion: 'V0.0.1' });
    expect(read.lastModifiedTime).toBe(compact(START_TIME));
  });
});

describe('devices (a new one)', () => {
  const post = (body: unknown) =>
    fetch(`${api.url}/_emulator/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  test.each([
    [{ model: 'XX1' }, /model must be one of/],
    [{ status: 'SLEEPING' }, /status/],
    [{ fwVersion: 3 }, /fwVersion/],
    [{ name: '' }, /name/],
    [{ colour: 'red' }, /colour/],
    ['{not json', /JSON object/],
  ])('%j answers 400 naming the problem, and adds nothing', async (body, message) => {
    const before = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 1 })).totalCount;
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(message);
    expect((await api.ok(PATH.devices, { pageNo: 0, pageSize: 1 })).totalCount).toBe(before);
  });

  test('201 with the device read; the platform lists it, of the product and with the fields given', async () => {
    const before = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 1 })).totalCount;
    const res = await post({ model: 'SD1', name: 'Added-1', fwVersion: 'V1.1.0', status: 'OFFLINE' });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Json;
    expect((await api.ok(PATH.devices, { pageNo: 0, pageSize: 1 })).totalCount).toBe(before + 1);
    const read = await api.ok(`${PATH.devices}/${created.deviceId}`);
    expect(read.deviceInfo).toMatchObject({ model: 'SD1', name: 'Added-1', fwVersion: 'V1.1.0', swVersion: 'S0.9.0', status: 'OFFLINE' });
    expect(read.createTime).toBe(compact(START_TIME));
  });
});

describe('outcomes', () => {
  const sameProduct = (d: Json, p: Json) => d.deviceInfo.model === p.model && d.deviceInfo.manufacturerName === p.manufacturerName;

  /** Creates a firmware task for up to `n` devices of the best-matching package; returns its id and devices. */
  async function fwTask(n: number): Promise<{ operationId: string; deviceIds: string[] }> {
    const devices: Json[] = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 100 })).devices;
    const pkgs: Json[] = (await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data;
    const best = pkgs.map((p) => ({ p, ds: devices.filter((d) => sameProduct(d, p)) })).sort((a, b) => b.ds.length - a.ds.length)[0]!;
    const deviceIds = best.ds.slice(0, n).map((d) => d.deviceId);
    const res = await api.post(PATH.fwUpgrade, { fileId: best.p.fileId, targets: { devices: deviceIds } });
    expect(res.status, res.text).toBe(200);
    return { operationId: res.body.operationId, deviceIds };
  }

  const statuses = async (operationId: string): Promise<string[]> =>
    (await api.control('GET', `/state/operations/${operationId}`)).subtasks.map((s: Json) => s.status);

  async function finished(operationId: string): Promise<string[]> {
    await api.advance(400); // start within 30 s, run at most 300 s
    return statuses(operationId);
  }

  test('upgradeFailureRate 1 fails every subtask of a new task; upgradeTimeoutRate 1 times them out; DELETE restores', async () => {
    const seeded = await finished((await fwTask(12)).operationId);
    expect(new Set(seeded).has('success'), 'the seeded mix has successes').toBe(true);
    await api.control('POST', '/outcomes', { upgradeFailureRate: 1 });
    const failed = await finished((await fwTask(12)).operationId);
    expect(failed).toEqual(Array(failed.length).fill('fail'));
    await api.control('POST', '/outcomes', { upgradeTimeoutRate: 1 });
    const timedOut = await finished((await fwTask(12)).operationId);
    expect(timedOut).toEqual(Array(timedOut.length).fill('timeout'));
    const cleared = await api.control('DELETE', '/outcomes');
    expect(cleared.outcomes).toEqual({ fleetWide: {}, devices: {} });
    const again = await finished((await fwTask(12)).operationId);
    expect(new Set(again).has('success')).toBe(true);
  });

  test('a rate applies to runs that start after the call, and deviceIds limit it', async () => {
    await api.control('POST', '/outcomes', { upgradeFailureRate: 1 });
    const early = await fwTask(6);
    await api.advance(35); // every subtask has started under the rule
    await api.control('DELETE', '/outcomes');
    expect(await finished(early.operationId)).toEqual(Array(early.deviceIds.length).fill('fail'));

    const { deviceIds } = await fwTask(1); // only to learn device ids of one product
    await api.advance(400);
    await api.control('POST', '/outcomes', { upgradeFailureRate: 0 });
    await api.control('POST', '/outcomes', { upgradeFailureRate: 1, deviceIds });
    const mixed = await fwTask(6);
    const result = await finished(mixed.operationId);
    expect(result).toEqual(mixed.deviceIds.map((id) => (id === deviceIds[0] ? 'fail' : 'success')));
  });

  test('batchFailureRate 1 fails every command of a new batch task', async () => {
    const devices: Json[] = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 5 })).devices;
    for (const d of devices) await api.control('POST', `/devices/${d.deviceId}`, { status: 'ONLINE' });
    const batch = async () => {
      const res = await api.post(PATH.batchTasks, {
        appId: api.appId, taskName: 'outcomes', taskType: 'DeviceCmd', timeout: 10,
        param: { type: 'DeviceList', deviceList: devices.map((d) => d.deviceId), command: { serviceId: 'S', method: 'PING', paras: {} } },
      });
      expect(res.status, res.text).toBe(200);
      await api.advance(200);
      return (await api.control('GET', `/state/batchTasks/${res.body.taskID}`)).details.map((d: Json) => d.status);
    };
    await api.control('POST', '/outcomes', { batchFailureRate: 1 });
    expect(await batch()).toEqual(Array(5).fill('Fail'));
    await api.control('POST', '/outcomes', { batchFailureRate: 0 });
    expect(await batch()).toEqual(Array(5).fill('Success'));
  });

  test('the same seed and call sequence give the same steered outcomes', async () => {
    const run = async () => {
      await api.reset(OPTIONS);
      await api.login();
      await api.control('POST', '/outcomes', { upgradeFailureRate: 0.4, upgradeTimeoutRate: 0.2 });
      return finished((await fwTask(20)).operationId);
    };
    const first = await run();
    expect(new Set(first).size, 'a mix of outcomes').toBeGreaterThan(1);
    expect(await run()).toEqual(first);
  });

  test.each([
    [{ upgradeFailureRate: 1.5 }, /upgradeFailureRate/],
    [{ upgradeFailureRate: 0.7, upgradeTimeoutRate: 0.5 }, /exceed 1/],
    [{ batchFailureRate: 0.5, deviceIds: ['no-such-device'] }, /Unknown deviceIds/],
    [{ deviceIds: [] }, /at least one/],
    [{ upgradeFailureRate: 0.1, colour: 'red' }, /colour/],
  ])('%j answers 400', async (body, message) => {
    const res = await fetch(`${api.url}/_emulator/outcomes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(message);
  });
});

describe('reset throttlePerMinute', () => {
  test('accepts 5,000,000 and null (no throttle); refuses 0 and fractions', async () => {
    expect((await api.reset({ ...OPTIONS, throttlePerMinute: 5_000_000 })).reset).toBe(true);
    await api.reset({ ...OPTIONS, throttlePerMinute: null });
    await api.login();
    for (let i = 0; i < 150; i++) expect((await api.get(PATH.packages)).status).toBe(200);
    expect((await api.stats()).throttled).toBe(0);
    await api.reset({ ...OPTIONS, throttlePerMinute: 100 });
    await api.login();
    const codes = [];
    for (let i = 0; i < 101; i++) codes.push((await api.get(PATH.packages)).status);
    expect(codes.filter((c) => c === 403)).toHaveLength(1);
    for (const bad of [0, 1.5, -3, '100']) {
      await expect(api.reset({ ...OPTIONS, throttlePerMinute: bad })).rejects.toThrow(/throttlePerMinute/);
    }
  });
});
