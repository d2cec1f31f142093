// The fleet mirror with the defaults a user gets (budget 100 calls / 60 s, the emulator's real throttle of 100 a
// minute, the default fleet of 2,000 devices): it gets READY within a minute, the README's dashboard then costs no
// platform call, fleet queries match the platform's own data, and pushes keep it fresh within seconds. The platform
// reaches the gateway's receiver through a small proxy here, so a test can make the receiver refuse a push. The
// emulator's clock moves only when a test moves it, so the platform's data holds still while it is compared.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../harness/emulator.js';
import type { TestGateway } from '../harness/gateway.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { DASHBOARD } from '../ops/support.js';
import { eventuallyTimed } from '../harness/eventually.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const { device: DEVICE_ROUTE, subOperations: SUBTASKS_ROUTE, operations: LIST_ROUTE } = ROUTE;

let stack: Stack;
let gateway: TestGateway;
let proxy: Server;
let api: Api;
/** Pushes the proxy refuses (answers 500 without passing them on) while this returns true. */
let refuse: (body: Json) => boolean = () => false;
let readyAfterMs: number;
/** The platform's device ids, read before the gateway logged in (a login voids the application's other tokens). */
let platformDevices: Json[];
/** The receiver's path, as the proxy saw the platform use it. */
let receiverPath: string | undefined;

const graphql = (query: string, variables?: Record<string, unknown>): Promise<Json> => gateway.query(query, variables);
const stats = () => stack.platform.stats();
const control = (path: string, body: unknown): Promise<Json> => stack.platform.control(path, body);
const deviceQuery = (id: string) => graphql('query($id: ID!) { device(id: $id) { id fwVersion status syncedAt } }', { id });
const emulatorDevice = (id: string): Promise<Json> => stack.platform.state('devices', id);

beforeAll(async () => {
  stack = await startStack({ platform: { seed: 1, devices: 2000, throttlePerMinute: 100 }, gateway: 'none' });
  const { platform } = stack;
  api = new Api(platform.url, platform.credentials.appId, platform.credentials.secret);
  await api.login();
  platformDevices = [];
  for (let page = 0; page < 8; page++) platformDevices.push(...(await api.ok(PATH.devices, { pageNo: page, pageSize: 250 })).devices);
  // Those 9 calls leave the throttle's window a minute later.
  await control('clock', { advanceSeconds: 61 });
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let parsed: Json;
      try {
        parsed = JSON.parse(body.toString());
      } catch {
        parsed = undefined;
      }
      receiverPath = req.url;
      if (refuse(parsed)) {
        res.writeHead(500).end();
        return;
      }
      const target = new URL(req.url ?? '/', gateway.baseUrl);
      const forward = request(target, { method: req.method, headers: { 'content-type': 'application/json' } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502);
        answer.pipe(res);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const started = Date.now();
  // The defaults a user gets: the mirror on, half the budget (100 calls a minute) for it while clients wait.
  gateway = await stack.useGateway({ env: { MIRROR_BUDGET_SHARE: '0.5', GATEWAY_PUBLIC_URL: proxyUrl } });
  await eventuallyTimed(() => graphql('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 60_000);
  readyAfterMs = Date.now() - started;
}, 90_000);
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => proxy?.close(resolve));
});

describe('the fleet mirror on the default fleet, with the real budget and throttle', () => {
  it('gets READY within 60 s, subscribed to every notification type, without one throttled call', async () => {
    expect(readyAfterMs).toBeLessThan(60_000);
    const { data } = await graphql('{ mirror { state devices operations notifications { subscribed } budgetShare } }');
    expect(data.mirror).toMatchObject({ state: 'READY', devices: 2000, operations: 203, budgetShare: 0.5 });
    expect(data.mirror.notifications.subscribed).toEqual(
      expect.arrayContaining(['fwUpgradeStateChangeNotify', 'fwUpgradeResultNotify', 'swUpgradeStateChangeNotify', 'swUpgradeResultNotify', 'deviceAdded', 'deviceInfoChanged', 'deviceDeleted']),
    );
    expect((await stats()).throttled).toBe(0);
  });

  it('answers 10 clients × 20 dashboards, every one complete, without a platform call of theirs and without throttling', async () => {
    const before = await stats();
    const replies = await Promise.all(Array.from({ length: 10 }, async () => {
      const mine: Json[] = [];
      for (let i = 0; i < 20; i++) mine.push(await graphql(DASHBOARD));
      return mine;
    }));
    const after = await stats();
    const all = replies.flat();
    expect(all).toHaveLength(200);
    for (const reply of all) {
      expect(reply.errors).toBeUndefined();
      expect(reply.data.operations.nodes).toHaveLength(20);
      for (const operation of reply.data.operations.nodes) for (const subtask of operation.subtasks.nodes) expect(subtask.device).not.toBeNull();
    }
    const delta = (route: string) => (after.byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
    expect(delta(DEVICE_ROUTE)).toBe(0);
    expect(delta(SUBTASKS_ROUTE)).toBe(0);
    // All that reached the platform meanwhile is the mirror's own poll of the newest tasks (every 30 s).
    expect(after.total - before.total - delta(LIST_ROUTE)).toBe(0);
    expect(delta(LIST_ROUTE)).toBeLessThanOrEqual(2);
    expect(after.throttled).toBe(0);
  });

  it("answers a task's target devices from the mirror, without a platform call", async () => {
    const { data } = await graphql('{ operations(first: 5) { nodes { id targets { deviceIds } } } }');
    const task = data.operations.nodes.find((o: Json) => o.targets.deviceIds.length > 3);
    const before = await stats();
    const reply = await graphql('query($id: ID!) { operation(id: $id) { targets { devices { id fwVersion } } } }', { id: task.id });
    const after = await stats();
    expect(reply.errors).toBeUndefined();
    expect(reply.data.operation.targets.devices.map((d: Json) => d.id)).toEqual(task.targets.deviceIds);
    const delta = (route: string) => (after.byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
    expect(delta(DEVICE_ROUTE)).toBe(0);
    expect(delta(ROUTE.devices)).toBe(0);
  });

  it('fleet(filter: { deviceType, fwVersionNot }) and fleetSummary match the platform’s own data exactly', async () => {
    // Every device as the platform has it now (its control API: no call counted, no token needed).
    const devices: Json[] = [];
    for (let i = 0; i < platformDevices.length; i += 100) {
      devices.push(...(await Promise.all(platformDevices.slice(i, i + 100).map((d) => emulatorDevice(d.deviceId)))));
    }
    const [type, version] = ['WaterMeter', 'V1.2.1'];
    const expected = devices.filter((d) => d.deviceInfo.deviceType === type && d.deviceInfo.fwVersion !== version).map((d) => d.deviceId).sort();
    const filter = { deviceType: type, fwVersionNot: version };
    const ids: string[] = [];
    for (let offset = 0; offset === 0 || offset < expected.length; offset += 500) {
      const page = await graphql('query($f: DeviceFilter, $o: Int) { fleet(filter: $f, first: 500, offset: $o) { totalCount nodes { id } } }', { f: filter, o: offset });
      expect(page.data.fleet.totalCount).toBe(expected.length);
      ids.push(...page.data.fleet.nodes.map((d: Json) => d.id));
    }
    expect(ids.sort()).toEqual(expected);

    const summary = (await graphql('{ fleetSummary { total byStatus { status count } byFwVersion { version count online } byDeviceType { key count } } }')).data.fleetSummary;
    function count(key: (d: Json) => string, only: (d: Json) => boolean = () => true) {
      const counts = new Map<string, number>();
      for (const d of devices.filter(only)) counts.set(key(d), (counts.get(key(d)) ?? 0) + 1);
      return counts;
    }
    expect(summary.total).toBe(devices.length);
    expect(new Map(summary.byStatus.map((v: Json) => [v.status, v.count]))).toEqual(count((d) => d.deviceInfo.status));
    expect(new Map(summary.byFwVersion.map((v: Json) => [v.version, v.count]))).toEqual(count((d) => d.deviceInfo.fwVersion));
    expect(new Map(summary.byFwVersion.map((v: Json) => [v.version, v.online]))).toEqual(
      new Map([...count((d) => d.deviceInfo.fwVersion)].map(([v]) => [v, count((d) => d.deviceInfo.fwVersion, (d) => d.deviceInfo.status === 'ONLINE').get(v) ?? 0])),
    );
    expect(new Map(summary.byDeviceType.map((v: Json) => [v.key, v.count]))).toEqual(count((d) => d.deviceInfo.deviceType));
    // Most devices first.
    expect(summary.byFwVersion.map((v: Json) => v.count)).toEqual([...summary.byFwVersion.map((v: Json) => v.count)].sort((x: number, y: number) => y - x));
  });

  it('shows an upgrade the emulator finished in device { fwVersion } and fleetSummary within 2 s', async () => {
    // An online device and a firmware package of its product that it does not run yet.
    const devices = (await graphql('{ fleet(filter: { status: [ONLINE], deviceType: "WaterMeter", model: "WM100" }, first: 1) { nodes { id fwVersion } } }')).data.fleet.nodes;
    const device = devices[0];
    const packages = (await graphql('{ upgradePackages(filter: { type: FIRMWARE, deviceType: "WaterMeter", model: "WM100" }, first: 50) { nodes { id version } } }')).data.upgradePackages.nodes;
    const target = packages.find((p: Json) => p.version !== device.fwVersion);
    const before = (await graphql('query($v: String) { fleetSummary(filter: { fwVersion: $v }) { total } }', { v: target.version })).data.fleetSummary.total;
    await control(`devices/${device.id}`, { status: 'ONLINE' });
    const created = await graphql('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
      input: { fileId: target.id, targets: { deviceIds: [device.id] } },
    });
    expect(created.errors).toBeUndefined();
    // The upgrade takes minutes of platform time: move the emulator's clock on until the platform says it is done,
    // in steps short enough that the pushes of a step (the fleet's connectivity changes) are a realistic trickle.
    for (let step = 0; step < 500 && (await emulatorDevice(device.id)).deviceInfo.fwVersion !== target.version; step++) {
      await control('clock', { advanceSeconds: 2 });
    }
    expect((await emulatorDevice(device.id)).deviceInfo.fwVersion).toBe(target.version);
    const seen = await eventuallyTimed(() => deviceQuery(device.id), (r) => r.data?.device?.fwVersion === target.version, 5_000, 50);
    expect(seen.afterMs).toBeLessThan(2_000);
    const counted = await eventuallyTimed(
      () => graphql('query($v: String) { fleetSummary(filter: { fwVersion: $v }) { total } }', { v: target.version }),
      (r) => r.data?.fleetSummary?.total === before + 1,
      5_000,
      50,
    );
    expect(counted.afterMs).toBeLessThan(2_000);
  });

  it('repairs a deviceInfoChanged that the receiver refused, from the platform’s re-send', async () => {
    const device = (await graphql('{ fleet(filter: { deviceType: "SmokeDetector" }, first: 1) { nodes { id name } } }')).data.fleet.nodes[0];
    let refused = 0;
    refuse = (body) => {
      if (body?.deviceId !== device.id || body?.notifyType !== 'deviceInfoChanged' || refused > 0) return false;
      refused += 1;
      return true;
    };
    try {
      await control(`devices/${device.id}`, { name: 'renamed-while-the-receiver-refused' });
      await eventuallyTimed(async () => refused, (n) => n === 1, 5_000);
      expect((await graphql('query($id: ID!) { device(id: $id) { name } }', { id: device.id })).data.device.name).toBe(device.name);
      // The platform sends it again (5 s later, then backing off, for 10 minutes).
      await control('clock', { advanceSeconds: 6 });
      const repaired = await eventuallyTimed(() => graphql('query($id: ID!) { device(id: $id) { name } }', { id: device.id }), (r) => r.data?.device?.name === 'renamed-while-the-receiver-refused', 20_000);
      expect(repaired.value.data.device.name).toBe('renamed-while-the-receiver-refused');
    } finally {
      refuse = () => false;
    }
  });

  it('lists the batch tasks created through the gateway, newest first (the platform cannot list them)', async () => {
    const device = (await graphql('{ fleet(first: 1) { nodes { id } } }')).data.fleet.nodes[0];
    const create = () =>
      graphql('mutation($input: CreateBatchTaskInput!) { createBatchTask(input: $input) { taskId } }', {
        input: { name: 'reboot', timeout: 10, target: { type: 'DEVICE_LIST', deviceIds: [device.id] }, command: { serviceId: 'Maintenance', method: 'REBOOT' } },
      });
    const first = (await create()).data.createBatchTask.taskId;
    const second = (await create()).data.createBatchTask.taskId;
    const listed = (await graphql('{ batchTasks(first: 10) { totalCount nodes { id status syncedAt } } }')).data.batchTasks;
    expect(listed.nodes.map((t: Json) => t.id).slice(0, 2)).toEqual([second, first]);
    expect(listed.nodes[0].syncedAt).toBeTruthy();
  });

  it('refuses a forged or malformed notification, counts it, and changes nothing', async () => {
    const device = (await graphql('{ fleet(filter: { deviceType: "SmokeDetector" }, first: 1, offset: 1) { nodes { id fwVersion name } } }')).data.fleet.nodes[0];
    expect(receiverPath).toMatch(/^\/mirror\/notifications\/.{20,}/);
    const path = receiverPath as string;
    const rejectedBefore = (await graphql('{ mirror { notifications { rejected } } }')).data.mirror.notifications.rejected;
    const forged = { notifyType: 'deviceInfoChanged', deviceId: device.id, gatewayId: device.id, deviceInfo: { name: 'forged', fwVersion: 'V6.6.6' } };
    const post = (path: string, body: string) => fetch(new URL(path, gateway.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    expect((await post('/mirror/notifications/not-the-secret', JSON.stringify(forged))).status).toBe(404);
    expect((await post(path, '{"notifyType": "deviceInfoChanged", "deviceId": "../x"}')).status).toBe(400);
    expect((await post(path, '{ not json')).status).toBe(400);
    expect((await post(path, JSON.stringify({ notifyType: 'somethingElse', deviceId: device.id }))).status).toBe(400);

    const after = (await graphql('query($id: ID!) { device(id: $id) { fwVersion name } mirror { notifications { rejected } } }', { id: device.id })).data;
    expect(after.device).toEqual({ fwVersion: device.fwVersion, name: device.name });
    expect(after.mirror.notifications.rejected).toBeGreaterThanOrEqual(rejectedBefore + 3);
  });
});
