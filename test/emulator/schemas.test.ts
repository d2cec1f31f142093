// Acceptance item 2: every success response validates against the 200 schema openapi.yaml gives for its operation
// (ajv over the spec's own schemas), for several parameter combinations; filters and paging do what they say.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Api, allPages, compact, startTestEmulator, type Res, type Started } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';
import { responseSchemaName, schemaErrors } from '../harness/spec.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let emu: Started;
let api: Api;
let devices: Json[];
let fwPkg: Json;
let fwDevices: Json[];
let swPkg: Json;
let swDevices: Json[];
let groups: Json[];
let operationIds: string[];

const sameProduct = (d: Json, p: Json) =>
  d.deviceInfo?.deviceType === p.deviceType && d.deviceInfo?.model === p.model && d.deviceInfo?.manufacturerName === p.manufacturerName;

/** Asserts a 200 (or `status`) whose body validates against the operation's response schema; returns the body. */
async function valid(operationId: string, res: Res, status = 200): Promise<Json> {
  expect(res.status, res.text.slice(0, 300)).toBe(status);
  expect(res.body?.error_code, res.text.slice(0, 300)).toBeUndefined();
  const schema = responseSchemaName(operationId, status);
  if (!schema) throw new Error(`${operationId} has no response schema`);
  expect(await schemaErrors(schema, res.body)).toEqual([]);
  return res.body;
}

beforeAll(async () => {
  emu = await startTestEmulator({ seed: 3 });
  api = emu.api;
  devices = await allPages(api, PATH.devices, {}, 'devices', 250);
  expect(devices.length).toBe(300);
  const pickPkg = (pkgs: Json[]) => {
    // The package whose product has the most devices, so creates can target several.
    const scored = pkgs.map((p) => ({ p, ds: devices.filter((d) => sameProduct(d, p)) })).sort((a, b) => b.ds.length - a.ds.length);
    if (!scored[0]?.ds.length) throw new Error('no package matches any device');
    return scored[0];
  };
  const fw = pickPkg((await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data);
  fwPkg = fw.p; fwDevices = fw.ds;
  const sw = pickPkg((await api.ok(PATH.packages, { fileType: 'softwarePackage', pageSize: 100 })).data);
  swPkg = sw.p; swDevices = sw.ds;
  groups = (await api.ok(PATH.groups, { pageNo: 0, pageSize: 500 })).list;
  operationIds = (await allPages<Json>(api, PATH.operations, {}, 'data', 100)).map((o) => o.operationId);
});

afterAll(async () => { await emu?.close(); });

describe('auth', () => {
  test('login and refresh answer AuthOutDTO with a 3600 s token', async () => {
    const login = await valid('login', await api.login());
    expect(login.expiresIn).toBe(3600);
    expect(login.scope).toBe('default');
    expect(String(login.tokenType).trim().toLowerCase()).toBe('bearer');
    expect(login.accessToken).toEqual(expect.any(String));
    const refreshed = await valid('refreshToken',
      await api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: login.refreshToken }, { token: false }));
    expect(refreshed.expiresIn).toBe(3600);
    expect(refreshed.accessToken).toEqual(expect.any(String));
    api.accessToken = refreshed.accessToken;
    api.refreshToken = refreshed.refreshToken;
    await valid('queryUpgradePackageList', await api.get(PATH.packages)); // the refreshed token works
  });
});

describe('packages', () => {
  test.each([
    [{}],
    [{ fileType: 'firmwarePackage' }],
    [{ fileType: 'softwarePackage', pageNo: 1, pageSize: 3 }],
    [{ pageNo: 0, pageSize: 100 }],
  ])('list %j', async (query: Json) => {
    const body = await valid('queryUpgradePackageList', await api.get(PATH.packages, query));
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.length).toBeLessThanOrEqual(query.pageSize ?? 10); // default pageSize 10
    expect(body.pageNo).toBe(query.pageNo ?? 0);
    if (query.fileType) for (const p of body.data) expect(p.fileType).toBe(query.fileType);
    expect(body.totalCount).toBeGreaterThanOrEqual(body.data.length);
  });

  test('list filtered by product (manufacturerName and its documented misspelling manufactureName)', async () => {
    for (const mfr of ['manufacturerName', 'manufactureName']) {
      const body = await valid('queryUpgradePackageList', await api.get(PATH.packages, {
        fileType: 'firmwarePackage', deviceType: fwPkg.deviceType, model: fwPkg.model, [mfr]: fwPkg.manufacturerName, pageSize: 100,
      }));
      expect(body.data.map((p: Json) => p.fileId)).toContain(fwPkg.fileId);
      for (const p of body.data) expect([p.deviceType, p.model, p.manufacturerName]).toEqual([fwPkg.deviceType, fwPkg.model, fwPkg.manufacturerName]);
    }
    const byVersion = await valid('queryUpgradePackageList', await api.get(PATH.packages, { version: fwPkg.version, pageSize: 100 }));
    expect(byVersion.data.length).toBeGreaterThan(0);
    for (const p of byVersion.data) expect(p.version).toBe(fwPkg.version);
  });

  test('get one, firmware and software', async () => {
    for (const p of [fwPkg, swPkg]) {
      const body = await valid('queryUpgradePackage', await api.get(`${PATH.packages}/${p.fileId}`));
      expect(body).toEqual(p); // the same record as in the list
    }
  });
});

describe('upgrade tasks', () => {
  test.each([
    [{}],
    [{ operationType: 'firmware_upgrade', pageSize: 100 }],
    [{ operationType: 'software_upgrade', pageSize: 100 }],
    [{ operationStatus: 'success', pageSize: 100 }],
    [{ operationStatus: 'failed', pageSize: 100 }],
    [{ pageNo: 1, pageSize: 5 }],
  ])('list %j', async (query: Json) => {
    const body = await valid('queryUpgradeTaskList', await api.get(PATH.operations, query));
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.length).toBeLessThanOrEqual(query.pageSize ?? 10);
    expect(body.pageNo).toBe(query.pageNo ?? 0);
    if (query.operationType) for (const o of body.data) expect(o.operateType).toBe(query.operationType);
    if (query.operationStatus) for (const o of body.data) expect(o.status).toBe(query.operationStatus);
  });

  test('list filtered by deviceId and by product', async () => {
    const some: Json = (await api.ok(PATH.operations, { pageSize: 100 })).data.find((o: Json) => o.targets?.devices?.length);
    expect(some, 'a historical task that targets devices').toBeDefined();
    const deviceId = some.targets.devices[0];
    const byDevice = await valid('queryUpgradeTaskList', await api.get(PATH.operations, { deviceId, pageSize: 100 }));
    expect(byDevice.data.map((o: Json) => o.operationId)).toContain(some.operationId);
    for (const o of byDevice.data) {
      // The filter keeps only tasks that target the device (directly; group targets are not expanded here).
      if (o.targets?.devices) expect(o.targets.devices).toContain(deviceId);
    }
    const unfiltered = (await api.ok(PATH.operations, {})).totalCount;
    const byProduct = await valid('queryUpgradeTaskList', await api.get(PATH.operations, {
      deviceType: fwPkg.deviceType, model: fwPkg.model, manufacturerName: fwPkg.manufacturerName, pageSize: 100,
    }));
    expect(byProduct.totalCount).toBeLessThan(unfiltered);
  });

  test('get every historical task and all its subtasks; subtask filters and paging', async () => {
    expect(operationIds.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (const [i, id] of operationIds.entries()) {
      const task = await valid('queryUpgradeTask', await api.get(`${PATH.operations}/${id}`));
      expect(task.operationId).toBe(id);
      const subs: Json[] = [];
      for (let pageNo = 0; subs.length < task.staResult.total; pageNo++) {
        const page = await valid('queryUpgradeSubTask', await api.get(`${PATH.operations}/${id}/subOperations`, { pageNo, pageSize: 100 }));
        expect(page.totalCount).toBe(task.staResult.total);
        expect(page.data.length).toBeGreaterThan(0);
        subs.push(...page.data);
      }
      for (const s of subs) { expect(s.operateType).toBe(task.operateType); seen.add(s.status); }
      if (i >= 8) continue;
      const page = await valid('queryUpgradeSubTask', await api.get(`${PATH.operations}/${id}/subOperations`, { pageNo: 1, pageSize: 1 }));
      expect(page.data).toEqual(subs.slice(1, 2));
      const status = subs[0]?.status;
      if (status) {
        const filtered = await valid('queryUpgradeSubTask',
          await api.get(`${PATH.operations}/${id}/subOperations`, { subOperationStatus: status, pageSize: 100 }));
        expect(filtered.totalCount).toBe(task.staResult[status]);
        for (const s of filtered.data) expect(s.status).toBe(status);
      }
    }
    // The history is varied enough that the schema saw the main subtask outcomes.
    for (const status of ['success', 'fail', 'processing']) expect([...seen]).toContain(status);
  });

  test('creates (firmware now / device_online / custom with retry, software, group targets) and reads them back', async () => {
    const now = (await api.clock()).now;
    const bodies: [string, string, Json][] = [
      ['createFirmwareUpgradeTask', PATH.fwUpgrade, { fileId: fwPkg.fileId, targets: { devices: fwDevices.slice(0, 3).map((d) => d.deviceId) } }],
      ['createFirmwareUpgradeTask', PATH.fwUpgrade, { fileId: fwPkg.fileId, targets: { devices: [fwDevices[0].deviceId] }, policy: { executeType: 'device_online' } }],
      ['createFirmwareUpgradeTask', PATH.fwUpgrade, {
        fileId: fwPkg.fileId, targets: { devices: [fwDevices[0].deviceId] },
        policy: { executeType: 'custom', startTime: compact(now, 3600), endTime: compact(now, 7200), retryType: true, retryTimes: 2 },
      }],
      ['createSoftwareUpgradeTask', PATH.swUpgrade, { fileId: swPkg.fileId, targets: { devices: swDevices.slice(0, 2).map((d) => d.deviceId) }, policy: { executeType: 'now' } }],
      ['createFirmwareUpgradeTask', PATH.fwUpgrade, {
        fileId: fwPkg.fileId,
        targets: { deviceGroups: [groups[0].name], deviceType: fwPkg.deviceType, model: fwPkg.model, manufacturerName: fwPkg.manufacturerName },
      }],
    ];
    for (const [opId, path, body] of bodies) {
      const created = await valid(opId, await api.post(path, body));
      expect(created.operationId).toMatch(/^[0-9a-f]{24}$/);
      const task = await valid('queryUpgradeTask', await api.get(`${PATH.operations}/${created.operationId}`));
      expect(task.operateType).toBe(opId === 'createFirmwareUpgradeTask' ? 'firmware_upgrade' : 'software_upgrade');
      expect(task.status).toBe('wait');
      expect(task.policy.executeType).toBe(body.policy?.executeType ?? 'now');
      if (body.targets.devices) expect(task.targets.devices).toEqual(body.targets.devices);
      else expect(task.targets.deviceGroups).toEqual(body.targets.deviceGroups);
      await valid('queryUpgradeSubTask', await api.get(`${PATH.operations}/${created.operationId}/subOperations`));
    }
  });
});

describe('batch tasks', () => {
  test('create, get (with and without select=tag) and details with filters', async () => {
    const deviceList = devices.slice(0, 30).map((d) => d.deviceId);
    const tags = [{ tagName: 'purpose', tagValue: 'schema-test' }];
    const created = await valid('createBatchTask', await api.post(PATH.batchTasks, {
      appId: api.appId, taskName: 'reboot-all', taskType: 'DeviceCmd', timeout: 60, tags,
      param: { type: 'DeviceList', deviceList, command: { serviceId: 'Maintenance', method: 'REBOOT', paras: { delay: 5 } } },
    }));
    expect(created.taskID).toMatch(/^[0-9a-f]{24}$/);
    const id = created.taskID;
    const task = await valid('queryOneTask', await api.get(`${PATH.batchTasks}/${id}`));
    expect([task.taskId, task.taskName, task.taskType, task.totalCnt]).toEqual([id, 'reboot-all', 'DeviceCmd', 30]);
    const tagged = await valid('queryOneTask', await api.get(`${PATH.batchTasks}/${id}`, { select: 'tag' }));
    expect(tagged.tags).toEqual(tags);
    await api.advance(120); // some details move on, so the filters have something to filter
    const all = await valid('queryTaskDetails', await api.get(PATH.batchDetails, { taskId: id, pageSize: 250 }));
    expect(all.totalCount).toBe(30);
    expect(all.taskDetails.map((d: Json) => d.param?.deviceId).sort()).toEqual([...deviceList].sort());
    const defaultPage = await valid('queryTaskDetails', await api.get(PATH.batchDetails, { taskId: id }));
    expect(defaultPage.taskDetails.length).toBe(25); // default pageSize 25
    const page = await valid('queryTaskDetails', await api.get(PATH.batchDetails, { taskId: id, pageNo: 2, pageSize: 7 }));
    expect(page.taskDetails).toEqual(all.taskDetails.slice(14, 21));
    for (const status of new Set<string>(all.taskDetails.map((d: Json) => d.status))) {
      const filtered = await valid('queryTaskDetails', await api.get(PATH.batchDetails, { taskId: id, status, pageSize: 250 }));
      expect(filtered.taskDetails.length).toBe(all.taskDetails.filter((d: Json) => d.status === status).length);
    }
    const oneDevice = await valid('queryTaskDetails', await api.get(PATH.batchDetails, { taskId: id, deviceId: deviceList[3] }));
    expect(oneDevice.taskDetails.map((d: Json) => d.param.deviceId)).toEqual([deviceList[3]]);
  });
});

describe('devices', () => {
  test('get: plain, select=imsi/IMSI, and a device of authorised-app', async () => {
    for (const d of devices.slice(0, 15)) {
      const body = await valid('querySingleDeviceInfo', await api.get(`${PATH.devices}/${d.deviceId}`));
      expect(body.deviceId).toBe(d.deviceId);
    }
    for (const select of ['imsi', 'IMSI']) await valid('querySingleDeviceInfo', await api.get(`${PATH.devices}/${devices[0].deviceId}`, { select }));
    const other = (await api.ok(PATH.devices, { pageNo: 0, appId: 'authorised-app' })).devices[0];
    const body = await valid('querySingleDeviceInfo', await api.get(`${PATH.devices}/${other.deviceId}`, { appId: 'authorised-app' }));
    expect(body.deviceId).toBe(other.deviceId);
  });

  const registered = (d: Json) => String(d.createTime);
  test.each([
    [{ pageNo: 0 }],
    [{ pageNo: 0, pageSize: 250 }],
    [{ pageNo: 1, pageSize: 50 }],
    [{ pageNo: 0, pageSize: 100, status: 'ONLINE' }],
    [{ pageNo: 0, pageSize: 100, status: 'OFFLINE' }],
    [{ pageNo: 0, pageSize: 100, nodeType: 'GATEWAY' }],
    [{ pageNo: 0, pageSize: 100, sort: 'ASC' }],
    [{ pageNo: 0, select: 'imsi' }],
    [{ pageNo: 0, appId: 'authorised-app' }],
  ])('list %j', async (query: Json) => {
    const body = await valid('queryBatchDevicesInfo', await api.get(PATH.devices, query));
    expect(body.devices.length).toBeGreaterThan(0);
    expect(body.devices.length).toBeLessThanOrEqual(query.pageSize ?? 25);
    expect(body.pageNo).toBe(query.pageNo);
    if (query.status) for (const d of body.devices) expect(d.deviceInfo.status).toBe(query.status);
    if (query.nodeType) for (const d of body.devices) expect(d.nodeType).toBe(query.nodeType);
    const times = body.devices.map(registered);
    const sorted = [...times].sort();
    expect(times).toEqual(query.sort === 'ASC' ? sorted : sorted.reverse()); // by registration time, DESC by default
  });

  test('list by gatewayId (no pageNo needed), by deviceType and by registration window', async () => {
    const child = devices.find((d) => d.gatewayId && d.gatewayId !== d.deviceId);
    const gatewayId = child?.gatewayId ?? devices[0].deviceId;
    const byGateway = await valid('queryBatchDevicesInfo', await api.get(PATH.devices, { gatewayId }));
    expect(byGateway.devices.length).toBeGreaterThan(0);
    for (const d of byGateway.devices) expect(d.gatewayId).toBe(gatewayId);
    const deviceType = devices[0].deviceInfo.deviceType;
    const byType = await valid('queryBatchDevicesInfo', await api.get(PATH.devices, { pageNo: 0, pageSize: 250, deviceType }));
    expect(byType.totalCount).toBe(devices.filter((d) => d.deviceInfo.deviceType === deviceType).length);
    const times = devices.map(registered).sort();
    const [startTime, endTime] = [times[Math.floor(times.length / 4)]!, times[Math.floor((3 * times.length) / 4)]!];
    const window = await valid('queryBatchDevicesInfo', await api.get(PATH.devices, { pageNo: 0, pageSize: 250, startTime, endTime }));
    expect(window.devices.length).toBeGreaterThan(0);
    for (const d of window.devices) {
      expect(registered(d) >= startTime && registered(d) <= endTime).toBe(true);
    }
  });
});

describe('groups', () => {
  test('list: default page of 1, a full page, by name, of authorised-app', async () => {
    const first = await valid('queryDeviceGroups', await api.get(PATH.groups, { pageNo: 0 }));
    expect(first.list.length).toBe(1); // documented default pageSize 1
    expect(first.totalCount).toBe(groups.length);
    const full = await valid('queryDeviceGroups', await api.get(PATH.groups, { pageNo: 0, pageSize: 500 }));
    expect(full.list.length).toBe(groups.length);
    const byName = await valid('queryDeviceGroups', await api.get(PATH.groups, { pageNo: 0, pageSize: 10, name: groups[0].name }));
    expect(byName.list.map((g: Json) => g.name)).toContain(groups[0].name);
    const other = await valid('queryDeviceGroups', await api.get(PATH.groups, { pageNo: 0, pageSize: 500, accessAppId: 'authorised-app' }));
    expect(other.list.length).toBeGreaterThan(0);
    for (const g of other.list) expect(g.appId).toBe('authorised-app');
  });

  test('get one and its members (paged, and for authorised-app)', async () => {
    for (const g of groups.slice(0, 3)) {
      const body = await valid('querySingleDeviceGroup', await api.get(`${PATH.groups}/${g.id}`));
      expect(body.id).toBe(g.id);
      const members = await valid('queryDeviceGroupMembers', await api.get(PATH.members, { devGroupId: g.id, pageSize: 1000 }));
      expect(members.deviceIds.length).toBe(g.curDevNum);
      expect(Number(members.totalCount)).toBe(g.curDevNum);
      const paged = await valid('queryDeviceGroupMembers', await api.get(PATH.members, { devGroupId: g.id, pageNo: 1, pageSize: 2 }));
      expect(paged.deviceIds).toEqual(members.deviceIds.slice(2, 4));
      const dflt = await valid('queryDeviceGroupMembers', await api.get(PATH.members, { devGroupId: g.id }));
      expect(dflt.deviceIds).toEqual(members.deviceIds.slice(0, 10)); // default pageSize 10
    }
    const otherGroup = (await api.ok(PATH.groups, { pageNo: 0, accessAppId: 'authorised-app' })).list[0];
    await valid('querySingleDeviceGroup', await api.get(`${PATH.groups}/${otherGroup.id}`, { accessAppId: 'authorised-app' }));
    await valid('queryDeviceGroupMembers', await api.get(PATH.members, { devGroupId: otherGroup.id, accessAppId: 'authorised-app' }));
  });
});

describe('subscription', () => {
  test('subscribe answers 200 with an empty body, for each notifyType and both URL field spellings', async () => {
    for (const notifyType of ['swUpgradeStateChangeNotify', 'swUpgradeResultNotify', 'fwUpgradeStateChangeNotify', 'fwUpgradeResultNotify']) {
      for (const field of ['callbackUrl', 'callbackurl']) {
        const res = await api.post(PATH.subscribe, { notifyType, [field]: 'http://127.0.0.1:9/v1.0.0/messageReceiver' });
        expect([res.status, res.text]).toEqual([200, '']);
      }
    }
  });
});

describe('service-data subscriptions', () => {
  // Start from none (the management subscriptions above show up in this list too); 404 when there is none.
  beforeEach(async () => { expect([204, 404]).toContain((await api.delete(PATH.subscriptions)).status); });
  const url = (n: number) => `https://203.0.113.5:${8000 + n}/callback/${n}`;

  test('subscribe answers 201 SubscriptionDTO; list and get one validate; deletes answer 204 with no body', async () => {
    const types = ['deviceAdded', 'deviceInfoChanged', 'deviceDeleted', 'bindDevice', 'deviceDataChanged'];
    const created: Json[] = [];
    for (const [i, notifyType] of types.entries()) {
      const body = await valid('subscribeServiceData', await api.post(PATH.subscriptions, { notifyType, callbackUrl: url(i) }), 201);
      expect(body).toMatchObject({ notifyType, callbackUrl: url(i) });
      created.push(body);
    }
    // Both URL forms the README allows: a path, or just "/" after the port; the old field spelling too.
    await valid('subscribeServiceData', await api.post(PATH.subscriptions, { notifyType: 'ruleEvent', callbackurl: 'https://h.example:443/' }), 201);
    const mqtt = await valid('subscribeServiceData',
      await api.post(PATH.subscriptions, { notifyType: 'commandRsp', callbackUrl: url(9), channel: 'MQTT' }), 201);
    expect(mqtt.clientIds).toEqual([]);
    await api.post(PATH.subscribe, { notifyType: 'fwUpgradeResultNotify', callbackUrl: url(10) }); // the management API's

    const all = await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions, { pageSize: 100 }));
    expect(all.totalCount).toBe(types.length + 3);
    expect(all.subscriptions.map((x: Json) => x.notifyType)).toEqual([...types, 'ruleEvent', 'commandRsp', 'fwUpgradeResultNotify']);
    const dflt = await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions));
    expect([dflt.pageNo, dflt.pageSize, dflt.subscriptions.length]).toEqual([0, 10, types.length + 3]);
    const paged = await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions, { pageNo: 1, pageSize: 3 }));
    expect(paged.subscriptions).toEqual(all.subscriptions.slice(3, 6));
    const byType = await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions, { notifyType: 'fwUpgradeResultNotify' }));
    expect(byType.subscriptions.map((x: Json) => x.callbackUrl)).toEqual([url(10)]);
    const other = await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions, { appId: 'authorised-app' }));
    expect(other.totalCount).toBe(0);

    for (const c of created) {
      expect(await valid('querySingleSubscription', await api.get(`${PATH.subscriptions}/${c.subscriptionId}`))).toEqual(c);
    }
    const one = await api.delete(`${PATH.subscriptions}/${created[0].subscriptionId}`);
    expect([one.status, one.text]).toEqual([204, '']);
    expect((await api.get(`${PATH.subscriptions}/${created[0].subscriptionId}`)).status).toBe(404);
    // Delete many: by type, by URL, then everything that is left.
    expect((await api.delete(PATH.subscriptions, { notifyType: 'deviceInfoChanged' })).status).toBe(204);
    expect((await api.delete(PATH.subscriptions, { callbackUrl: url(2) })).status).toBe(204);
    const left = await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions));
    expect(left.subscriptions.map((x: Json) => x.notifyType)).toEqual(['bindDevice', 'deviceDataChanged', 'ruleEvent', 'commandRsp', 'fwUpgradeResultNotify']);
    expect((await api.delete(PATH.subscriptions, { channel: 'MQTT' })).status).toBe(204);
    const all2 = await api.delete(PATH.subscriptions);
    expect([all2.status, all2.text]).toEqual([204, '']);
    expect((await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions))).totalCount).toBe(0);
    // After a delete the type can be subscribed again (the documented way to change a URL).
    await valid('subscribeServiceData', await api.post(PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: url(11) }), 201);
    expect((await api.delete(PATH.subscriptions)).status).toBe(204);
  });

  test('an authorised app\'s subscriptions, through appId', async () => {
    const made = await valid('subscribeServiceData',
      await api.post(PATH.subscriptions, { appId: 'authorised-app', notifyType: 'deviceDeleted', callbackUrl: url(1) }, { query: { ownerFlag: 'false' } }), 201);
    expect((await api.get(`${PATH.subscriptions}/${made.subscriptionId}`)).body.error_code).toBe('100225'); // not the caller's
    expect(await valid('querySingleSubscription', await api.get(`${PATH.subscriptions}/${made.subscriptionId}`, { appId: 'authorised-app' }))).toEqual(made);
    const list = await valid('queryBatchSubscriptions', await api.get(PATH.subscriptions, { appId: 'authorised-app' }));
    expect(list.subscriptions).toEqual([made]);
    expect((await api.delete(`${PATH.subscriptions}/${made.subscriptionId}`, { appId: 'authorised-app' })).status).toBe(204);
  });
});
