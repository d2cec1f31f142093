// Acceptance item 4: the same seed, fleet size and startTime give byte-identical responses; another seed does not.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Api, START_TIME, startTestEmulator, type Started } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';

let emu: Started;
let api: Api;
const OPTIONS = { seed: 42, devices: 400, clock: 'manual', startTime: START_TIME, throttlePerMinute: 1_000_000 };

/** Raw response texts of a fixed sequence of reads (and one batch task created and advanced the same way). */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const text = async (key: string, path: string, query?: Record<string, string | number>) => {
    const r = await api.get(path, query);
    expect(r.status, `${key}: ${r.text.slice(0, 200)}`).toBe(200);
    out[key] = r.text;
    return JSON.parse(r.text);
  };
  await text('devices p0', PATH.devices, { pageNo: 0, pageSize: 250 });
  const lastPage = await text('devices p1', PATH.devices, { pageNo: 1, pageSize: 250 });
  await text('devices online', PATH.devices, { pageNo: 0, pageSize: 100, status: 'ONLINE' });
  const firstDevice = lastPage.devices[0].deviceId;
  await text('device', `${PATH.devices}/${firstDevice}`);
  const ops = await text('operations p0', PATH.operations, { pageNo: 0, pageSize: 100 });
  await text('operations p1', PATH.operations, { pageNo: 1, pageSize: 20 });
  for (const o of ops.data.slice(0, 5)) {
    await text(`operation ${o.operationId}`, `${PATH.operations}/${o.operationId}`);
    await text(`subtasks ${o.operationId}`, `${PATH.operations}/${o.operationId}/subOperations`, { pageSize: 100 });
  }
  await text('firmware packages', PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 });
  await text('software packages', PATH.packages, { fileType: 'softwarePackage', pageSize: 100 });
  const groups = await text('groups', PATH.groups, { pageNo: 0, pageSize: 500 });
  for (const g of groups.list.slice(0, 3)) await text(`members ${g.id}`, PATH.members, { devGroupId: g.id, pageSize: 1000 });
  // Batch tasks have no list call: create one over a fixed device list and let it run for 5 minutes.
  const created = await api.post(PATH.batchTasks, {
    appId: api.appId, taskName: 'determinism', taskType: 'DeviceCmd', timeout: 10,
    param: { type: 'DeviceList', deviceList: lastPage.devices.slice(0, 40).map((d: { deviceId: string }) => d.deviceId), command: { serviceId: 'Sensor', method: 'RESET' } },
  });
  expect(created.status, created.text).toBe(200);
  out['batch create'] = created.text;
  await api.advance(300);
  await text('batch task', `${PATH.batchTasks}/${created.body.taskID}`);
  await text('batch details', PATH.batchDetails, { taskId: created.body.taskID, pageSize: 250 });
  return out;
}

beforeAll(async () => {
  emu = await startTestEmulator(OPTIONS);
  api = emu.api;
});
afterAll(async () => { await emu?.close(); });

test('same options: the freshly started emulator and two resets answer byte for byte the same', async () => {
  const first = await snapshot();
  await api.reset(OPTIONS);
  const second = await snapshot();
  await api.reset(OPTIONS);
  const third = await snapshot();
  expect(Object.keys(first).length).toBeGreaterThan(15);
  // Compare key by key so a failure names the response that differs.
  for (const key of Object.keys(first)) {
    expect(second[key], key).toBe(first[key]);
    expect(third[key], key).toBe(first[key]);
  }
});

test('another seed gives different data', async () => {
  await api.reset(OPTIONS);
  const a = await snapshot();
  await api.reset({ ...OPTIONS, seed: 43 });
  const b = await snapshot();
  for (const key of ['devices p0', 'operations p0', 'firmware packages', 'groups']) expect(b[key], key).not.toBe(a[key]);
});
