// Acceptance item 5: upgrade and batch task lifecycles under a manual clock, checked step by step against what a
// client reads: staResult always equals the subtasks, statuses only move forward, outcomes change device versions.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Api, START_TIME, allPages, compact, startTestEmulator, type Started } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPTIONS = { seed: 5, devices: 300, clock: 'manual', startTime: START_TIME, throttlePerMinute: 1_000_000 };
const TERMINAL = ['success', 'fail', 'timeout', 'stop'];
const BUCKETS = ['wait', 'processing', 'success', 'fail', 'stop', 'timeout'] as const;

let emu: Started;
let api: Api;

const sameProduct = (d: Json, p: Json) =>
  d.deviceInfo?.deviceType === p.deviceType && d.deviceInfo?.model === p.model && d.deviceInfo?.manufacturerName === p.manufacturerName;

async function fleet(): Promise<Json[]> {
  return allPages(api, PATH.devices, {}, 'devices', 250);
}

/** The package of `kind` whose product has the most devices passing `keep`, with those devices. */
async function pickPackage(kind: 'fw' | 'sw', keep: (d: Json, pkg: Json) => boolean): Promise<{ pkg: Json; devices: Json[] }> {
  const devices = await fleet();
  const pkgs: Json[] = (await api.ok(PATH.packages, { fileType: kind === 'fw' ? 'firmwarePackage' : 'softwarePackage', pageSize: 100 })).data;
  const best = pkgs
    .map((pkg) => ({ pkg, devices: devices.filter((d) => sameProduct(d, pkg) && keep(d, pkg)) }))
    .sort((a, b) => b.devices.length - a.devices.length)[0];
  if (!best?.devices.length) throw new Error(`no ${kind} package has a device that fits`);
  return best;
}

const notYetOnVersion = (d: Json, pkg: Json) => d.deviceInfo.fwVersion !== pkg.version;

/** Reads the task and all its subtasks; asserts staResult equals the subtask counts and total = number of targets. */
async function readTask(operationId: string, targets: number): Promise<{ task: Json; subs: Json[] }> {
  const task = await api.ok(`${PATH.operations}/${operationId}`);
  // Default page size (10): several pages per read, so paging is checked while the task changes state.
  const subs: Json[] = await allPages(api, `${PATH.operations}/${operationId}/subOperations`, {}, 'data', 10);
  const counts: Record<string, number> = { total: subs.length, wait: 0, processing: 0, success: 0, fail: 0, stop: 0, timeout: 0 };
  for (const s of subs) counts[s.status] = (counts[s.status] ?? 0) + 1;
  expect(subs.length).toBe(targets);
  expect(new Set(subs.map((s) => s.subOperationId)).size).toBe(targets); // pages do not overlap
  expect(task.staResult).toEqual(counts);
  expect(BUCKETS.reduce((n, b) => n + task.staResult[b], 0)).toBe(task.staResult.total);
  // Task status follows its subtasks: wait until one starts, processing until all end, then success | failed.
  const ended = subs.every((s) => TERMINAL.includes(s.status));
  const expected = subs.every((s) => s.status === 'wait') ? 'wait'
    : !ended ? 'processing'
      : subs.every((s) => s.status === 'success') ? 'success' : 'failed';
  expect(task.status).toBe(expected);
  return { task, subs };
}

/** Subtask status moves: wait → processing → terminal (wait again only with retry). */
function checkTransitions(prev: Map<string, string>, subs: Json[], retry: boolean) {
  const allowed: Record<string, string[]> = {
    wait: ['wait', 'processing', ...TERMINAL],
    processing: ['processing', ...TERMINAL, ...(retry ? ['wait'] : [])],
    success: ['success'],
    fail: retry ? ['fail', 'wait', 'processing', 'success', 'timeout'] : ['fail'],
    timeout: retry ? ['timeout', 'wait', 'processing', 'success', 'fail'] : ['timeout'],
    stop: ['stop'],
  };
  for (const s of subs) {
    const before = prev.get(s.subOperationId);
    if (before) expect(allowed[before], `${s.subOperationId}: ${before} -> ${s.status}`).toContain(s.status);
    prev.set(s.subOperationId, s.status);
  }
}

beforeAll(async () => {
  emu = await startTestEmulator(OPTIONS);
  api = emu.api;
  api.autoLogin = true; // runs span hours of emulated time
});
afterAll(async () => { await emu?.close(); });

describe('firmware upgrade, executeType now', () => {
  test('staResult matches the subtasks at every step; the task ends success/failed; successes update fwVersion', async () => {
    await api.reset(OPTIONS);
    const { pkg, devices } = await pickPackage('fw', notYetOnVersion);
    const targets = devices.slice(0, 30);
    const ids = targets.map((d) => d.deviceId);
    const created = await api.post(PATH.fwUpgrade, { fileId: pkg.fileId, targets: { devices: ids }, policy: { executeType: 'now' } });
    expect(created.status, created.text).toBe(200);
    const opId = created.body.operationId;

    const prev = new Map<string, string>();
    let { task, subs } = await readTask(opId, ids.length);
    expect(task.status).toBe('wait');
    expect(subs.map((s) => s.deviceId).sort()).toEqual([...ids].sort());
    checkTransitions(prev, subs, false);
    let elapsed = 0;
    while (task.status === 'wait' || task.status === 'processing') {
      await api.advance(15);
      elapsed += 15;
      ({ task, subs } = await readTask(opId, ids.length));
      checkTransitions(prev, subs, false);
      // Each subtask starts 5–30 s after creation, and processing lasts 30–300 s.
      if (elapsed > 30) expect(subs.filter((s) => s.status === 'wait')).toEqual([]);
      expect(elapsed, 'every subtask ends within 30 + 300 s').toBeLessThanOrEqual(345);
    }
    expect(['success', 'failed']).toContain(task.status);
    expect(task.startTime <= task.stopTime && task.createTime <= task.startTime).toBe(true);

    for (const s of subs) {
      const device = await api.ok(`${PATH.devices}/${s.deviceId}`);
      const before = targets.find((d) => d.deviceId === s.deviceId);
      if (s.status === 'success') expect(device.deviceInfo.fwVersion, s.deviceId).toBe(pkg.version);
      else expect(device.deviceInfo.fwVersion, s.deviceId).toBe(before.deviceInfo.fwVersion);
      if (s.status === 'fail') expect(s.detailInfo, 'a failed subtask says why').toMatch(/\S/);
      expect(s.startTime <= s.stopTime).toBe(true);
    }
    // With p=0.8 per device, 30 devices give both outcomes (so both branches above were checked).
    expect(subs.some((s) => s.status === 'success')).toBe(true);
    expect(subs.some((s) => s.status !== 'success')).toBe(true);
  });
});

describe('group targets', () => {
  test("a group-targeted task has one subtask per member device of the package's product", async () => {
    await api.reset(OPTIONS);
    const devices = await fleet();
    const byId = new Map(devices.map((d) => [d.deviceId, d]));
    const pkgs: Json[] = (await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data;
    const groups: Json[] = (await api.ok(PATH.groups, { pageNo: 0, pageSize: 500 })).list;
    // Prefer a group whose members are of several products, so the expansion is seen to filter by product.
    let chosen: { group: Json; pkg: Json; expected: string[] } | undefined;
    let fallback: typeof chosen;
    search: for (const group of groups) {
      const members: string[] = (await api.ok(PATH.members, { devGroupId: group.id, pageSize: 1000 })).deviceIds;
      for (const pkg of pkgs) {
        const expected = members.filter((id) => byId.has(id) && sameProduct(byId.get(id), pkg));
        if (expected.length === 0) continue;
        if (expected.length < members.length) { chosen = { group, pkg, expected }; break search; }
        fallback ??= { group, pkg, expected };
      }
    }
    chosen ??= fallback;
    expect(chosen, 'a group with a member matching a firmware package').toBeDefined();
    const { group, pkg, expected } = chosen!;
    const created = await api.post(PATH.fwUpgrade, {
      fileId: pkg.fileId, targets: { deviceGroups: [group.name], deviceType: pkg.deviceType, model: pkg.model, manufacturerName: pkg.manufacturerName },
    });
    expect(created.status, created.text).toBe(200);
    const { subs } = await readTask(created.body.operationId, expected.length);
    expect(subs.map((s) => s.deviceId).sort()).toEqual([...expected].sort());
  });
});

describe('custom window', () => {
  test('nothing starts before startTime; whatever is not terminal at endTime ends timeout', async () => {
    await api.reset(OPTIONS);
    const { pkg, devices } = await pickPackage('fw', notYetOnVersion);
    const ids = devices.slice(0, 25).map((d) => d.deviceId);
    const now = (await api.clock()).now;
    const startTime = compact(now, 600);
    // A window just over 5 min, shorter than start delay + the longest processing, and failures retry 5 times:
    // some subtasks are still running when it closes.
    const endTime = compact(now, 600 + 301);
    const created = await api.post(PATH.fwUpgrade, {
      fileId: pkg.fileId, targets: { devices: ids }, policy: { executeType: 'custom', startTime, endTime, retryType: true, retryTimes: 5 },
    });
    expect(created.status, created.text).toBe(200);
    const opId = created.body.operationId;

    const prev = new Map<string, string>();
    for (const step of [60, 240, 240, 59]) { // up to startTime - 1 s
      await api.advance(step);
      const { task, subs } = await readTask(opId, ids.length);
      expect(task.status).toBe('wait');
      expect(task.staResult.wait).toBe(ids.length);
      checkTransitions(prev, subs, true);
    }
    expect((await api.clock()).compact < startTime).toBe(true);
    let last: Json[] = [];
    for (let t = 0; t < 300; t += 20) { // startTime - 1 s .. endTime - 2 s
      await api.advance(20);
      last = (await readTask(opId, ids.length)).subs;
      checkTransitions(prev, last, true);
    }
    expect((await api.clock()).compact < endTime).toBe(true);
    const open = last.filter((s) => !TERMINAL.includes(s.status)).map((s) => s.subOperationId);
    expect(open.length, 'the window is tight enough that some subtasks are still open at endTime').toBeGreaterThan(0);

    await api.advance(2); // to endTime
    const { task, subs } = await readTask(opId, ids.length);
    expect(subs.filter((s) => !TERMINAL.includes(s.status)), 'nothing is open after endTime').toEqual([]);
    for (const s of subs) {
      const before = last.find((x) => x.subOperationId === s.subOperationId).status;
      if (open.includes(s.subOperationId)) {
        // Open at endTime - 2 s: timeout, unless it really ended in those 2 s (then its stopTime is before endTime).
        if (s.status !== 'timeout') expect(s.stopTime < endTime, `${s.subOperationId} ${s.status} at ${s.stopTime}`).toBe(true);
      } else if (s.status !== before) {
        // Ended earlier: unchanged, except a failed run that was waiting for its retry, which the window closes.
        expect([before, s.status], s.subOperationId).toEqual([expect.stringMatching(/^(fail|timeout)$/), 'timeout']);
      }
      if (s.startTime) expect(s.startTime >= startTime, `${s.subOperationId} started ${s.startTime}`).toBe(true);
    }
    expect(subs.filter((s) => s.status === 'timeout').length).toBeGreaterThan(0);
    expect(task.status).toBe('failed');
    await api.advance(600); // nothing moves after the window
    expect((await readTask(opId, ids.length)).subs).toEqual(subs);
  });
});

describe('device_online', () => {
  test('a subtask waits until its device is ONLINE, then starts', async () => {
    await api.reset(OPTIONS);
    const offline = (d: Json, pkg: Json) => ['OFFLINE', 'ABNORMAL'].includes(d.deviceInfo.status) && notYetOnVersion(d, pkg);
    const { pkg, devices } = await pickPackage('fw', offline);
    const ids = devices.slice(0, 4).map((d) => d.deviceId);
    const created = await api.post(PATH.fwUpgrade, { fileId: pkg.fileId, targets: { devices: ids }, policy: { executeType: 'device_online' } });
    expect(created.status, created.text).toBe(200);
    const opId = created.body.operationId;

    // Steps of 5 min: shorter than the shortest status segment (10 min), so a device that is not ONLINE at two
    // consecutive steps was not ONLINE in between, and one ONLINE at a step is ONLINE for more than one start delay.
    const prevDevice = new Map<string, string>();
    const prevSub = new Map<string, string>();
    const started = new Set<string>();
    for (let step = 0; step <= 96 && started.size < ids.length; step++) {
      if (step > 0) await api.advance(300);
      const { subs } = await readTask(opId, ids.length);
      for (const id of ids) {
        const status = (await api.ok(`${PATH.devices}/${id}`)).deviceInfo.status;
        const sub = subs.find((s) => s.deviceId === id);
        const before = prevSub.get(id);
        if (before === 'wait' && sub.status !== 'wait') {
          expect([status, prevDevice.get(id)], `${id} left wait without being ONLINE`).toContain('ONLINE');
          started.add(id);
        }
        if (before === undefined) expect(sub.status, `${id} is not online at creation`).toBe('wait');
        if (prevDevice.get(id) === 'ONLINE') expect(sub.status, `${id} was ONLINE 5 min ago but still waits`).not.toBe('wait');
        prevDevice.set(id, status);
        prevSub.set(id, sub.status);
      }
    }
    expect(started.size, 'at least one offline device came online within 8 h and its subtask started').toBeGreaterThan(0);
  });
});

describe('retries', () => {
  test('failed subtasks run again up to retryTimes; the end state is consistent', async () => {
    await api.reset(OPTIONS);
    const { pkg, devices } = await pickPackage('fw', notYetOnVersion);
    const ids = devices.slice(0, 40).map((d) => d.deviceId);
    const retryTimes = 1; // small, so that some subtasks use up their retries (p=0.04 per device)
    const created = await api.post(PATH.fwUpgrade, {
      fileId: pkg.fileId, targets: { devices: ids }, policy: { executeType: 'now', retryType: true, retryTimes },
    });
    expect(created.status, created.text).toBe(200);
    const opId = created.body.operationId;
    const prev = new Map<string, string>();
    const seen = new Map<string, string[]>(); // statuses each subtask went through
    let { task, subs } = await readTask(opId, ids.length);
    for (let i = 0; i < 120 && !['success', 'failed'].includes(task.status); i++) {
      await api.advance(15);
      ({ task, subs } = await readTask(opId, ids.length));
      checkTransitions(prev, subs, true);
      for (const s of subs) {
        const list = seen.get(s.subOperationId) ?? [];
        if (list.at(-1) !== s.status) list.push(s.status);
        seen.set(s.subOperationId, list);
      }
    }
    expect(['success', 'failed']).toContain(task.status);
    // A subtask that went fail/timeout -> wait/processing again was retried; never more than retryTimes times.
    let retried = 0;
    for (const [id, statuses] of seen) {
      const reruns = statuses.filter((_, i) => i > 0 && ['fail', 'timeout'].includes(statuses[i - 1]!)).length;
      expect(reruns, `${id}: ${statuses.join(' > ')}`).toBeLessThanOrEqual(retryTimes);
      retried += reruns;
    }
    // The emulator's state view counts runs per subtask: 1 + retries, and a subtask that ends fail/timeout used them all.
    const state = await api.control('GET', `/state/operations/${opId}`);
    const stateSubs: Json[] = state.subtasks ?? state.subOperations ?? [];
    expect(stateSubs.length).toBe(ids.length);
    let extraRuns = 0;
    for (const s of stateSubs) {
      const attempts = s.attempts ?? s.extendInfo?.attempts;
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(1 + retryTimes);
      if (['fail', 'timeout'].includes(s.status)) expect(attempts, s.subOperationId).toBe(1 + retryTimes);
      extraRuns += attempts - 1;
    }
    expect(extraRuns, 'with p=0.2 of failing per run, 40 devices give retries').toBeGreaterThan(0);
    expect(extraRuns).toBeGreaterThanOrEqual(retried);
    expect(stateSubs.some((s) => ['fail', 'timeout'].includes(s.status)), 'some subtask failed every run').toBe(true);
  });
});

describe('batch task', () => {
  test('counts stay consistent at every step and the task ends Complete or Timeout', async () => {
    await api.reset(OPTIONS);
    const all = await fleet();
    const list = all.filter((_, i) => i % 20 === 0).slice(0, 15); // a spread of devices, online or not
    const ids = list.map((d) => d.deviceId);
    const created = await api.post(PATH.batchTasks, {
      appId: api.appId, taskName: 'lifecycle', taskType: 'DeviceCmd', timeout: 10,
      param: { type: 'DeviceList', deviceList: ids, command: { serviceId: 'Sensor', method: 'RESET', paras: {} } },
    });
    expect(created.status, created.text).toBe(200);
    const taskId = created.body.taskID;
    const order = ['Pending', 'Running', 'Complete', 'Timeout'];
    const detailNext: Record<string, string[]> = {
      Pending: ['Pending', 'WaitResult', 'Success', 'Fail', 'Timeout'],
      WaitResult: ['WaitResult', 'Success', 'Fail', 'Timeout'],
      Success: ['Success'], Fail: ['Fail'], Timeout: ['Timeout'],
    };
    let prevStatus = 'Pending';
    const prevDetail = new Map<string, string>();
    const prevOnline = new Map<string, boolean>();
    let task: Json;
    let details: Json[] = [];
    let elapsed = 0;
    for (;;) {
      task = await api.ok(`${PATH.batchTasks}/${taskId}`);
      details = await allPages(api, PATH.batchDetails, { taskId }, 'taskDetails', 250);
      const n = (s: string) => details.filter((d) => d.status === s).length;
      expect(details.length).toBe(ids.length);
      expect(task.totalCnt).toBe(ids.length);
      expect({ success: task.successCnt, fail: task.failCnt, timeout: task.timeoutCnt }).toEqual({ success: n('Success'), fail: n('Fail'), timeout: n('Timeout') });
      expect(task.completeCnt).toBe(task.successCnt + task.failCnt + task.timeoutCnt);
      expect(task.progress).toBe(Math.floor((1000 * task.completeCnt) / task.totalCnt));
      expect(task.successRate).toBe(Math.floor((1000 * task.successCnt) / task.totalCnt));
      expect(order.indexOf(task.status), `${prevStatus} -> ${task.status}`).toBeGreaterThanOrEqual(order.indexOf(prevStatus));
      prevStatus = task.status;
      for (const d of details) {
        const id = d.param.deviceId;
        const before = prevDetail.get(id);
        if (before) expect(detailNext[before], `${id}: ${before} -> ${d.status}`).toContain(d.status);
        // A detail leaves Pending only once its device is online (ONLINE now or at the previous step, 30 s ago).
        if (before === 'Pending' && d.status !== 'Pending' && task.status !== 'Timeout') {
          const online = (await api.ok(`${PATH.devices}/${id}`)).deviceInfo.status === 'ONLINE';
          expect(online || prevOnline.get(id), `${id} left Pending while offline`).toBe(true);
        }
        prevDetail.set(id, d.status);
        // error is a JSON string {"error_code","error_desc"} (spec QueryTaskDetailDTO); a success carries none.
        if (d.status === 'Success') expect(d.error).toBeUndefined();
        if (d.error !== undefined) expect(JSON.parse(d.error)).toEqual({ error_code: expect.stringMatching(/^\d+$/), error_desc: expect.any(String) });
      }
      for (const id of ids) prevOnline.set(id, (await api.ok(`${PATH.devices}/${id}`)).deviceInfo.status === 'ONLINE');
      if (task.status === 'Complete' || task.status === 'Timeout') break;
      expect(elapsed, 'the task ends by its timeout (10 min)').toBeLessThan(630);
      await api.advance(30);
      elapsed += 30;
    }
    const n = (s: string) => details.filter((d) => d.status === s).length;
    if (task.status === 'Complete') {
      expect(n('Pending') + n('WaitResult')).toBe(0);
      expect(task.completeCnt).toBe(task.totalCnt);
      expect(task.progress).toBe(1000);
    } else {
      expect(elapsed).toBeGreaterThanOrEqual(600);
      expect(n('WaitResult')).toBe(0); // still waiting at the timeout: Timeout
      expect(task.expiredCnt).toBe(n('Pending')); // never reached: expired
    }
    await api.advance(600); // nothing changes after the end
    expect(await api.ok(`${PATH.batchTasks}/${taskId}`)).toEqual(task);
  });
});
