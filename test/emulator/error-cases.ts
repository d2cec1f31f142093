// The error table of errors.test.ts: for every operation of openapi.yaml, requests that must each draw one documented
// error code, with the fixtures they use and a request each operation accepts (for the token, throttle and fault rows).
import { expect } from 'vitest';
import { compact, type Api, type Res } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';
import { op, operations } from '../harness/spec.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Data picked from the generated fleet. */
export interface Fixtures {
  device: Json; // a device of the main app matching fwPkg
  swDevice: Json; // a device matching swPkg
  mismatchFw: Json; // a device whose product differs from fwPkg
  mismatchSw: Json;
  fwPkg: Json;
  swPkg: Json;
  spareFileId: string; // a package used only by delete requests that must not succeed
  group: Json;
  operationId: string;
  batchTaskId: string;
  otherAppDeviceId: string; // a device of authorised-app
  subscriptionId: string; // a ruleEvent service-data subscription of the main app
}

const UNKNOWN_HEX = '0123456789abcdef01234567'; // well-formed (24 lowercase hex), not generated
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

/** The client and fixtures of the running test file, set by prepareErrorCases; the cases read them when they run. */
let api: Api;
let f: Fixtures;

const sameProduct = (d: Json, p: Json) =>
  d.deviceInfo?.deviceType === p.deviceType && d.deviceInfo?.model === p.model && d.deviceInfo?.manufacturerName === p.manufacturerName;

async function now(): Promise<string> {
  return (await api.clock()).now;
}

function upgradeBody(kind: 'fw' | 'sw', patch: { targets?: Json; policy?: Json; fileId?: string } = {}): Json {
  const pkg = kind === 'fw' ? f.fwPkg : f.swPkg;
  const dev = kind === 'fw' ? f.device : f.swDevice;
  return { fileId: pkg.fileId, targets: { devices: [dev.deviceId] }, policy: { executeType: 'now' }, ...patch };
}

function groupTargets(kind: 'fw' | 'sw', drop?: 'manufacturerName' | 'deviceType' | 'model'): Json {
  const pkg = kind === 'fw' ? f.fwPkg : f.swPkg;
  const t: Json = { deviceGroups: [f.group.name], deviceType: pkg.deviceType, model: pkg.model, manufacturerName: pkg.manufacturerName };
  if (drop) delete t[drop];
  return t;
}

function batchBody(patch: Json = {}, paramPatch: Json = {}): Json {
  return {
    appId: api.appId,
    taskName: 'errors-test',
    taskType: 'DeviceCmd',
    timeout: 10,
    param: { type: 'DeviceList', deviceList: [f.device.deviceId], command: { serviceId: 'Sensor', method: 'RESET', paras: {} }, ...paramPatch },
    ...patch,
  };
}

/** A request each operation accepts; used for the token, throttle and fault loops. */
export const validRequest: Record<string, () => Promise<Res>> = {
  login: () => api.login(),
  refreshToken: () => api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: api.refreshToken }, { token: false }),
  queryUpgradePackageList: () => api.get(PATH.packages),
  queryUpgradePackage: () => api.get(`${PATH.packages}/${f.fwPkg.fileId}`),
  deleteUpgradePackage: () => api.call('DELETE', `${PATH.packages}/${f.spareFileId}`),
  createSoftwareUpgradeTask: () => api.post(PATH.swUpgrade, upgradeBody('sw')),
  createFirmwareUpgradeTask: () => api.post(PATH.fwUpgrade, upgradeBody('fw')),
  queryUpgradeTaskList: () => api.get(PATH.operations),
  queryUpgradeTask: () => api.get(`${PATH.operations}/${f.operationId}`),
  queryUpgradeSubTask: () => api.get(`${PATH.operations}/${f.operationId}/subOperations`),
  createBatchTask: () => api.post(PATH.batchTasks, batchBody()),
  queryOneTask: () => api.get(`${PATH.batchTasks}/${f.batchTaskId}`),
  queryTaskDetails: () => api.get(PATH.batchDetails, { taskId: f.batchTaskId }),
  querySingleDeviceInfo: () => api.get(`${PATH.devices}/${f.device.deviceId}`),
  queryBatchDevicesInfo: () => api.get(PATH.devices, { pageNo: 0 }),
  queryDeviceGroups: () => api.get(PATH.groups, { pageNo: 0 }),
  querySingleDeviceGroup: () => api.get(`${PATH.groups}/${f.group.id}`),
  queryDeviceGroupMembers: () => api.get(PATH.members, { devGroupId: f.group.id }),
  subscribeManagementData: () => api.post(PATH.subscribe, { notifyType: 'fwUpgradeResultNotify', callbackUrl: 'http://127.0.0.1:9/v1.0.0/messageReceiver' }),
  // These run only where the call is refused before it acts (token, throttle, fault rows).
  subscribeServiceData: () => api.post(PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: CALLBACK }),
  queryBatchSubscriptions: () => api.get(PATH.subscriptions),
  deleteBatchSubscriptions: () => api.delete(PATH.subscriptions, { notifyType: 'ruleEvent' }),
  querySingleSubscription: () => api.get(`${PATH.subscriptions}/${f.subscriptionId}`),
  deleteSingleSubscription: () => api.delete(`${PATH.subscriptions}/${f.subscriptionId}`),
};

export const CALLBACK = 'http://127.0.0.1:9/v1.0.0/messageReceiver';

export interface Case { op: string; code: string; http: number; why: string; run: () => Promise<Res> }

const c = (opId: string, code: string, http: number, why: string, run: () => Promise<Res>): Case => ({ op: opId, code, http, why, run });

const AUTH_OPS = ['login', 'refreshToken'];
export const nonAuthOps = operations.map((o) => o.operationId).filter((id) => !AUTH_OPS.includes(id));

/** 50252: a 500 fault limited to the operation's route, then a request that would otherwise succeed. */
const fault500 = (opId: string): Case =>
  c(opId, '50252', 500, 'fault errorStatus 500 on its route', async () => {
    await api.addFault({ errorStatus: 500, routes: [op(opId).route] });
    try { return await validRequest[opId]!(); } finally { await api.clearFaults(); }
  });

function upgradeCases(opId: string, kind: 'fw' | 'sw', path: string): Case[] {
  const post = (body: unknown) => () => api.post(path, body);
  const otherKind = () => (kind === 'fw' ? f.swPkg : f.fwPkg).fileId;
  const mismatch = () => (kind === 'fw' ? f.mismatchFw : f.mismatchSw).deviceId;
  const withTimes = (startOffset: number, endOffset: number) => async () => {
    const t = await now();
    return api.post(path, upgradeBody(kind, { policy: { executeType: 'custom', startTime: compact(t, startOffset), endTime: compact(t, endOffset) } }));
  };
  return [
    c(opId, '120015', 400, 'body is a JSON array', post('[]')),
    c(opId, '120015', 400, 'fileId missing', () => { const b = upgradeBody(kind); delete b.fileId; return api.post(path, b); }),
    c(opId, '120015', 400, 'fileId malformed', () => api.post(path, upgradeBody(kind, { fileId: 'not-a-file-id' }))),
    c(opId, '120015', 400, 'targets not an object', () => api.post(path, upgradeBody(kind, { targets: 'all' }))),
    c(opId, '120015', 400, 'devices not an array of strings', () => api.post(path, upgradeBody(kind, { targets: { devices: [42] } }))),
    c(opId, '123016', 400, 'device of another product', () => api.post(path, upgradeBody(kind, { targets: { devices: [mismatch()] } }))),
    c(opId, '123016', 400, 'group attributes differ from the package', () =>
      api.post(path, upgradeBody(kind, { targets: { ...groupTargets(kind), deviceType: 'NoSuchDeviceType' } }))),
    c(opId, '123019', 400, 'deviceGroups without manufacturerName', () => api.post(path, upgradeBody(kind, { targets: groupTargets(kind, 'manufacturerName') }))),
    c(opId, '123020', 400, 'deviceGroups without deviceType', () => api.post(path, upgradeBody(kind, { targets: groupTargets(kind, 'deviceType') }))),
    c(opId, '123021', 400, 'deviceGroups without model', () => api.post(path, upgradeBody(kind, { targets: groupTargets(kind, 'model') }))),
    c(opId, '123022', 400, 'neither devices nor deviceGroups', () => api.post(path, upgradeBody(kind, { targets: {} }))),
    c(opId, '123023', 400, 'both devices and deviceGroups', () =>
      api.post(path, upgradeBody(kind, { targets: { ...groupTargets(kind), devices: [(kind === 'fw' ? f.device : f.swDevice).deviceId] } }))),
    c(opId, '123024', 400, '257 devices', () =>
      api.post(path, upgradeBody(kind, { targets: { devices: Array(257).fill((kind === 'fw' ? f.device : f.swDevice).deviceId) } }))),
    c(opId, '123024', 400, '257 groups', () =>
      api.post(path, upgradeBody(kind, { targets: { ...groupTargets(kind), deviceGroups: Array(257).fill(f.group.name) } }))),
    c(opId, '123025', 400, 'executeType unknown', () => api.post(path, upgradeBody(kind, { policy: { executeType: 'later' } }))),
    c(opId, '123026', 400, 'custom without startTime/endTime', () => api.post(path, upgradeBody(kind, { policy: { executeType: 'custom' } }))),
    c(opId, '123026', 400, 'custom with an ISO (not compact) startTime', async () => {
      const t = await now();
      return api.post(path, upgradeBody(kind, { policy: { executeType: 'custom', startTime: new Date(Date.parse(t) + 3600e3).toISOString(), endTime: compact(t, 7200) } }));
    }),
    c(opId, '123028', 400, 'retryType true without retryTimes', () => api.post(path, upgradeBody(kind, { policy: { executeType: 'now', retryType: true } }))),
    c(opId, '123028', 400, 'retryTimes 6', () => api.post(path, upgradeBody(kind, { policy: { executeType: 'now', retryType: true, retryTimes: 6 } }))),
    c(opId, '123028', 400, 'retryTimes 0', () => api.post(path, upgradeBody(kind, { policy: { executeType: 'now', retryType: true, retryTimes: 0 } }))),
    c(opId, '123032', 400, 'startTime after endTime', withTimes(7200, 3600)),
    c(opId, '123033', 400, 'startTime an hour ago', withTimes(-3600, 3600)),
    c(opId, '123034', 400, 'endTime exactly 5 min after startTime', withTimes(3600, 3600 + 300)),
    c(opId, '123002', 404, 'unknown fileId', () => api.post(path, upgradeBody(kind, { fileId: UNKNOWN_HEX }))),
    c(opId, '123002', 404, 'a package of the other kind', () => api.post(path, upgradeBody(kind, { fileId: otherKind() }))),
    c(opId, '123002', 404, 'unknown deviceId', () => api.post(path, upgradeBody(kind, { targets: { devices: [UNKNOWN_UUID] } }))),
    c(opId, '123002', 404, 'unknown group name', () => api.post(path, upgradeBody(kind, { targets: { ...groupTargets(kind), deviceGroups: ['NoSuchGroup0'] } }))),
  ];
}

export const cases: Case[] = [
  // ---- auth ----
  c('login', '102202', 400, 'secret missing', () => api.call('POST', PATH.login, { token: false, form: { appId: api.appId } })),
  c('login', '102202', 400, 'appId empty', () => api.call('POST', PATH.login, { token: false, form: { appId: '', secret: api.secret } })),
  c('login', '100208', 401, 'wrong secret', () => api.call('POST', PATH.login, { token: false, form: { appId: api.appId, secret: 'wrong' } })),
  c('login', '100208', 401, 'unknown appId', () => api.call('POST', PATH.login, { token: false, form: { appId: 'no-such-app', secret: 'x' } })),
  c('login', '100247', 400, 'frozen-app', () => api.call('POST', PATH.login, { token: false, form: { appId: 'frozen-app', secret: 'frozen-secret' } })),
  fault500('login'),
  c('refreshToken', '102202', 400, 'refreshToken missing', () => api.post(PATH.refresh, { appId: api.appId, secret: api.secret }, { token: false })),
  c('refreshToken', '102202', 400, 'secret empty', () => api.post(PATH.refresh, { appId: api.appId, secret: '', refreshToken: api.refreshToken }, { token: false })),
  c('refreshToken', '50400', 400, 'body is a JSON array', () => api.post(PATH.refresh, '[]', { token: false })),
  c('refreshToken', '50400', 400, 'refreshToken is a number', () => api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: 12345 }, { token: false })),
  c('refreshToken', '50400', 400, 'refreshToken longer than 256', () => api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: 'r'.repeat(257) }, { token: false })),
  c('refreshToken', '100208', 401, 'unknown refreshToken', () => api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: 'nope' }, { token: false })),
  c('refreshToken', '100208', 401, 'wrong secret', () => api.post(PATH.refresh, { appId: api.appId, secret: 'wrong', refreshToken: api.refreshToken }, { token: false })),
  c('refreshToken', '100247', 400, 'frozen-app', () => api.post(PATH.refresh, { appId: 'frozen-app', secret: 'frozen-secret', refreshToken: 'whatever' }, { token: false })),
  fault500('refreshToken'),

  // ---- packages ----
  c('queryUpgradePackageList', '120015', 400, 'fileType unknown', () => api.get(PATH.packages, { fileType: 'bootloader' })),
  c('queryUpgradePackageList', '120015', 400, 'pageSize not an integer', () => api.get(PATH.packages, { pageSize: 'ten' })),
  c('queryUpgradePackageList', '120015', 400, 'pageNo 1.5', () => api.get(PATH.packages, { pageNo: '1.5' })),
  c('queryUpgradePackageList', '123029', 400, 'pageSize 101', () => api.get(PATH.packages, { pageSize: 101 })),
  c('queryUpgradePackageList', '123029', 400, 'pageSize 0', () => api.get(PATH.packages, { pageSize: 0 })),
  c('queryUpgradePackageList', '123029', 400, 'pageNo -1', () => api.get(PATH.packages, { pageNo: -1 })),
  c('queryUpgradePackage', '120015', 400, 'malformed fileId', () => api.get(`${PATH.packages}/not-a-file-id`)),
  c('queryUpgradePackage', '120015', 400, 'fileId in upper case (ids are lowercase hex)', () => api.get(`${PATH.packages}/${f.fwPkg.fileId.toUpperCase()}`)),
  c('queryUpgradePackage', '123002', 404, 'unknown fileId', () => api.get(`${PATH.packages}/${UNKNOWN_HEX}`)),
  c('deleteUpgradePackage', '120015', 400, 'malformed fileId', () => api.call('DELETE', `${PATH.packages}/not-a-file-id`)),
  c('deleteUpgradePackage', '123002', 404, 'unknown fileId', () => api.call('DELETE', `${PATH.packages}/${UNKNOWN_HEX}`)),

  // ---- upgrade tasks ----
  ...upgradeCases('createFirmwareUpgradeTask', 'fw', PATH.fwUpgrade),
  ...upgradeCases('createSoftwareUpgradeTask', 'sw', PATH.swUpgrade),
  c('queryUpgradeTaskList', '120015', 400, 'operationType unknown', () => api.get(PATH.operations, { operationType: 'reboot' })),
  c('queryUpgradeTaskList', '120015', 400, "operationStatus 'fail' (the subtask spelling)", () => api.get(PATH.operations, { operationStatus: 'fail' })),
  c('queryUpgradeTaskList', '120015', 400, 'pageNo not an integer', () => api.get(PATH.operations, { pageNo: 'first' })),
  c('queryUpgradeTaskList', '123029', 400, 'pageSize 101', () => api.get(PATH.operations, { pageSize: 101 })),
  c('queryUpgradeTaskList', '123029', 400, 'pageNo -1', () => api.get(PATH.operations, { pageNo: -1 })),
  c('queryUpgradeTaskList', '123009', 404, 'deviceId of no device', () => api.get(PATH.operations, { deviceId: UNKNOWN_UUID })),
  c('queryUpgradeTask', '120015', 400, 'malformed operationId', () => api.get(`${PATH.operations}/xyz`)),
  c('queryUpgradeTask', '120015', 400, 'operationId of 23 hex characters', () => api.get(`${PATH.operations}/${UNKNOWN_HEX.slice(1)}`)),
  c('queryUpgradeTask', '120015', 400, 'operationId in upper case', () => api.get(`${PATH.operations}/${f.operationId.toUpperCase()}`)),
  c('queryUpgradeTask', '123009', 404, 'unknown operationId', () => api.get(`${PATH.operations}/${UNKNOWN_HEX}`)),
  c('queryUpgradeSubTask', '120015', 400, 'malformed operationId', () => api.get(`${PATH.operations}/xyz/subOperations`)),
  c('queryUpgradeSubTask', '120015', 400, "subOperationStatus 'failed' (the task spelling)", () =>
    api.get(`${PATH.operations}/${f.operationId}/subOperations`, { subOperationStatus: 'failed' })),
  c('queryUpgradeSubTask', '123029', 400, 'pageSize 0', () => api.get(`${PATH.operations}/${f.operationId}/subOperations`, { pageSize: 0 })),
  c('queryUpgradeSubTask', '123029', 400, 'pageSize 101', () => api.get(`${PATH.operations}/${f.operationId}/subOperations`, { pageSize: 101 })),
  c('queryUpgradeSubTask', '123009', 404, 'unknown operationId', () => api.get(`${PATH.operations}/${UNKNOWN_HEX}/subOperations`)),

  // ---- batch tasks (codes from the emulator README: the batch pages' tables were not retrievable) ----
  c('createBatchTask', '100022', 400, 'taskName missing', () => { const b = batchBody(); delete b.taskName; return api.post(PATH.batchTasks, b); }),
  c('createBatchTask', '100022', 400, 'timeout 9', () => api.post(PATH.batchTasks, batchBody({ timeout: 9 }))),
  c('createBatchTask', '100022', 400, 'timeout 2881', () => api.post(PATH.batchTasks, batchBody({ timeout: 2881 }))),
  c('createBatchTask', '100022', 400, 'taskType unknown', () => api.post(PATH.batchTasks, batchBody({ taskType: 'DeviceReboot' }))),
  c('createBatchTask', '100022', 400, 'param.type unknown', () => api.post(PATH.batchTasks, batchBody({}, { type: 'Everything' }))),
  c('createBatchTask', '100022', 400, 'DeviceList without deviceList', () => api.post(PATH.batchTasks, batchBody({}, { deviceList: undefined }))),
  c('createBatchTask', '100022', 400, 'command without method', () => api.post(PATH.batchTasks, batchBody({}, { command: { serviceId: 'Sensor' } }))),
  c('createBatchTask', '100022', 400, "appId of another app", () => api.post(PATH.batchTasks, batchBody({ appId: 'authorised-app' }))),
  c('queryOneTask', '105005', 404, 'unknown taskId', () => api.get(`${PATH.batchTasks}/${UNKNOWN_HEX}`)),
  c('queryOneTask', '105005', 404, 'malformed taskId', () => api.get(`${PATH.batchTasks}/nope`)),
  c('queryTaskDetails', '100022', 400, 'taskId missing', () => api.get(PATH.batchDetails)),
  c('queryTaskDetails', '100022', 400, 'status unknown', () => api.get(PATH.batchDetails, { taskId: f.batchTaskId, status: 'Done' })),
  c('queryTaskDetails', '100022', 400, 'pageSize 251', () => api.get(PATH.batchDetails, { taskId: f.batchTaskId, pageSize: 251 })),
  c('queryTaskDetails', '100022', 400, 'pageNo -1', () => api.get(PATH.batchDetails, { taskId: f.batchTaskId, pageNo: -1 })),
  c('queryTaskDetails', '105005', 404, 'unknown taskId', () => api.get(PATH.batchDetails, { taskId: UNKNOWN_HEX })),

  // ---- devices ----
  c('querySingleDeviceInfo', '100405', 400, 'malformed deviceId', () => api.get(`${PATH.devices}/not-a-uuid`)),
  c('querySingleDeviceInfo', '100405', 400, 'deviceId in upper case (UUIDs are lowercase)', () => api.get(`${PATH.devices}/${f.device.deviceId.toUpperCase()}`)),
  c('querySingleDeviceInfo', '100405', 400, 'select other than imsi', () => api.get(`${PATH.devices}/${f.device.deviceId}`, { select: 'iccid' })),
  c('querySingleDeviceInfo', '100203', 403, 'appId of a missing app', () => api.get(`${PATH.devices}/${f.device.deviceId}`, { appId: 'no-such-app' })),
  c('querySingleDeviceInfo', '100217', 403, 'appId of an unauthorised app', () => api.get(`${PATH.devices}/${f.device.deviceId}`, { appId: 'unauthorised-app' })),
  c('querySingleDeviceInfo', '100403', 404, 'unknown deviceId', () => api.get(`${PATH.devices}/${UNKNOWN_UUID}`)),
  c('querySingleDeviceInfo', '100418', 404, 'device of another app', () => api.get(`${PATH.devices}/${f.otherAppDeviceId}`)),
  fault500('querySingleDeviceInfo'),
  c('queryBatchDevicesInfo', '100405', 400, 'neither gatewayId nor pageNo', () => api.get(PATH.devices, { pageSize: 10 })),
  c('queryBatchDevicesInfo', '100405', 400, 'pageSize 251', () => api.get(PATH.devices, { pageNo: 0, pageSize: 251 })),
  c('queryBatchDevicesInfo', '100405', 400, 'pageSize 0', () => api.get(PATH.devices, { pageNo: 0, pageSize: 0 })),
  c('queryBatchDevicesInfo', '100405', 400, 'nodeType unknown', () => api.get(PATH.devices, { pageNo: 0, nodeType: 'ROUTER' })),
  c('queryBatchDevicesInfo', '100405', 400, 'status unknown', () => api.get(PATH.devices, { pageNo: 0, status: 'SLEEPING' })),
  c('queryBatchDevicesInfo', '100405', 400, 'sort unknown', () => api.get(PATH.devices, { pageNo: 0, sort: 'UP' })),
  c('queryBatchDevicesInfo', '100405', 400, 'startTime not compact', () => api.get(PATH.devices, { pageNo: 0, startTime: '2026-01-01' })),
  c('queryBatchDevicesInfo', '100203', 403, 'appId of a missing app', () => api.get(PATH.devices, { pageNo: 0, appId: 'no-such-app' })),
  c('queryBatchDevicesInfo', '100217', 403, 'appId of an unauthorised app', () => api.get(PATH.devices, { pageNo: 0, appId: 'unauthorised-app' })),
  fault500('queryBatchDevicesInfo'),

  // ---- groups (several documented errors come with HTTP 200) ----
  c('queryDeviceGroups', '100203', 200, 'accessAppId of a missing app', () => api.get(PATH.groups, { pageNo: 0, accessAppId: 'no-such-app' })),
  c('queryDeviceGroups', '100217', 200, 'accessAppId of an unauthorised app', () => api.get(PATH.groups, { pageNo: 0, accessAppId: 'unauthorised-app' })),
  c('queryDeviceGroups', '100405', 400, 'pageSize 501', () => api.get(PATH.groups, { pageNo: 0, pageSize: 501 })),
  c('queryDeviceGroups', '100405', 400, 'pageNo -1', () => api.get(PATH.groups, { pageNo: -1 })),
  fault500('queryDeviceGroups'),
  c('querySingleDeviceGroup', '100203', 200, 'accessAppId of a missing app', () => api.get(`${PATH.groups}/${f.group.id}`, { accessAppId: 'no-such-app' })),
  c('querySingleDeviceGroup', '100217', 200, 'accessAppId of an unauthorised app', () => api.get(`${PATH.groups}/${f.group.id}`, { accessAppId: 'unauthorised-app' })),
  c('querySingleDeviceGroup', '100603', 200, 'unknown devGroupId', () => api.get(`${PATH.groups}/${UNKNOWN_HEX}`)),
  fault500('querySingleDeviceGroup'),
  c('queryDeviceGroupMembers', '100203', 200, 'accessAppId of a missing app', () => api.get(PATH.members, { devGroupId: f.group.id, accessAppId: 'no-such-app' })),
  c('queryDeviceGroupMembers', '107001', 400, 'unknown devGroupId', () => api.get(PATH.members, { devGroupId: UNKNOWN_HEX })),
  c('queryDeviceGroupMembers', '107002', 400, 'devGroupId missing', () => api.get(PATH.members)),
  c('queryDeviceGroupMembers', '107002', 400, 'devGroupId empty', () => api.get(PATH.members, { devGroupId: '' })),

  // ---- subscription ----
  c('subscribeManagementData', '100222', 400, 'callback URL without a port', () =>
    api.post(PATH.subscribe, { notifyType: 'fwUpgradeResultNotify', callbackUrl: 'http://127.0.0.1/v1.0.0/messageReceiver' })),
  c('subscribeManagementData', '100222', 400, 'callback URL not http(s)', () =>
    api.post(PATH.subscribe, { notifyType: 'fwUpgradeResultNotify', callbackUrl: 'ftp://127.0.0.1:21/cb' })),
  c('subscribeManagementData', '100222', 400, 'callback URL missing', () => api.post(PATH.subscribe, { notifyType: 'fwUpgradeResultNotify' })),
  c('subscribeManagementData', '100228', 400, 'notifyType unknown', () =>
    api.post(PATH.subscribe, { notifyType: 'deviceDataChanged', callbackUrl: 'http://127.0.0.1:9/cb' })),
  c('subscribeManagementData', '100228', 400, 'notifyType missing', () => api.post(PATH.subscribe, { callbackUrl: 'http://127.0.0.1:9/cb' })),
  c('subscribeManagementData', '100228', 400, 'body is a JSON array', () => api.post(PATH.subscribe, '[]')),
  c('subscribeManagementData', '100203', 403, 'appId query of a missing app', () =>
    api.post(PATH.subscribe, { notifyType: 'fwUpgradeResultNotify', callbackUrl: 'http://127.0.0.1:9/cb' }, { query: { appId: 'no-such-app' } })),

  // ---- service-data subscriptions (iocm v1.2.0) ----
  c('subscribeServiceData', '100222', 400, 'callback URL without a port', () =>
    api.post(PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: 'https://127.0.0.1/v1.0.0/messageReceiver' })),
  c('subscribeServiceData', '100222', 400, 'callback URL with a port but no path', () =>
    api.post(PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: 'https://127.0.0.1:443' })),
  c('subscribeServiceData', '100222', 400, 'callback URL not http(s)', () =>
    api.post(PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: 'ftp://127.0.0.1:21/cb' })),
  c('subscribeServiceData', '100222', 400, 'callback URL longer than 1024', () =>
    api.post(PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: `http://127.0.0.1:9/${'x'.repeat(1024)}` })),
  c('subscribeServiceData', '100222', 400, 'callback URL missing', () => api.post(PATH.subscriptions, { notifyType: 'deviceAdded' })),
  c('subscribeServiceData', '100228', 400, 'an upgrade notifyType (those use the iodm subscribe)', () =>
    api.post(PATH.subscriptions, { notifyType: 'fwUpgradeResultNotify', callbackUrl: CALLBACK })),
  c('subscribeServiceData', '100228', 400, 'channel unknown', () =>
    api.post(PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: CALLBACK, channel: 'SMS' })),
  c('subscribeServiceData', '100217', 403, 'appId of an unauthorised app', () =>
    api.post(PATH.subscriptions, { appId: 'unauthorised-app', notifyType: 'deviceAdded', callbackUrl: CALLBACK })),
  c('subscribeServiceData', '100203', 403, 'appId of a missing app', () =>
    api.post(PATH.subscriptions, { appId: 'no-such-app', notifyType: 'deviceAdded', callbackUrl: CALLBACK })),
  c('subscribeServiceData', '100227', 409, 'ruleEvent already subscribed (even with another URL)', () =>
    api.post(PATH.subscriptions, { notifyType: 'ruleEvent', callbackUrl: 'http://127.0.0.1:10/other' })),
  c('queryBatchSubscriptions', '100224', 400, 'pageSize 1001: a page of more than 1000 records', () => api.get(PATH.subscriptions, { pageSize: 1001 })),
  c('queryBatchSubscriptions', '100217', 403, 'appId of an unauthorised app', () => api.get(PATH.subscriptions, { appId: 'unauthorised-app' })),
  c('queryBatchSubscriptions', '100228', 400, 'notifyType unknown', () => api.get(PATH.subscriptions, { notifyType: 'everything' })),
  c('queryBatchSubscriptions', '100228', 400, 'pageNo -1', () => api.get(PATH.subscriptions, { pageNo: -1 })),
  c('deleteBatchSubscriptions', '100217', 403, 'appId of an unauthorised app', () => api.delete(PATH.subscriptions, { appId: 'unauthorised-app' })),
  c('deleteBatchSubscriptions', '100225', 404, 'no subscription of that notifyType', () => api.delete(PATH.subscriptions, { notifyType: 'bindDevice' })),
  c('deleteBatchSubscriptions', '100225', 404, 'no subscription with that callbackUrl', () =>
    api.delete(PATH.subscriptions, { callbackUrl: 'http://127.0.0.1:10/nobody' })),
  c('querySingleSubscription', '100217', 403, 'appId of an unauthorised app', () =>
    api.get(`${PATH.subscriptions}/${f.subscriptionId}`, { appId: 'unauthorised-app' })),
  c('querySingleSubscription', '100225', 404, 'unknown subscriptionId', () => api.get(`${PATH.subscriptions}/${UNKNOWN_HEX}`)),
  c('querySingleSubscription', '100225', 404, 'a subscription of another app (authorised-app)', () =>
    api.get(`${PATH.subscriptions}/${f.subscriptionId}`, { appId: 'authorised-app' })),
  c('deleteSingleSubscription', '100217', 403, 'appId of an unauthorised app', () =>
    api.delete(`${PATH.subscriptions}/${f.subscriptionId}`, { appId: 'unauthorised-app' })),
  c('deleteSingleSubscription', '100225', 404, 'unknown subscriptionId', () => api.delete(`${PATH.subscriptions}/${UNKNOWN_HEX}`)),

  // ---- every non-auth endpoint: token and throttle ----
  ...nonAuthOps.flatMap((id) => [
    c(id, '1010005', 403, 'no app_key/Authorization headers', () => withRequestOptions(id, { token: false })),
    c(id, '1010005', 403, 'unknown access token', () => withRequestOptions(id, { token: 'not-a-token' })),
    c(id, '1010005', 403, 'app_key of another app', () => withRequestOptions(id, { appKey: 'authorised-app' })),
    c(id, '1010009', 403, 'budget of 1 call/min already used', async () => {
      await api.addFault({ throttlePerMinute: 1 });
      try {
        await api.get(PATH.packages); // fills the one-call budget (earlier calls in the window count too)
        return await validRequest[id]!();
      } finally { await api.clearFaults(); }
    }),
  ]),
];

/** Re-issues an operation's valid request with other auth options (token/app_key), by patching Api.call once. */
async function withRequestOptions(opId: string, o: { token?: string | false; appKey?: string }): Promise<Res> {
  const original = api.call.bind(api);
  api.call = (method, path, opts = {}) => original(method, path, { ...opts, ...o });
  try { return await validRequest[opId]!(); } finally { api.call = original; }
}

/** README-only pairs (not in x-error-codes) that the contract still promises, with their HTTP status. */
export const readmePairs = [
  { operationId: 'createBatchTask', code: '100022', http: 400 },
  { operationId: 'queryOneTask', code: '105005', http: 404 },
  { operationId: 'queryTaskDetails', code: '100022', http: 400 },
  { operationId: 'queryTaskDetails', code: '105005', http: 404 },
  { operationId: 'queryDeviceGroups', code: '100405', http: 400 },
  // §11.5 lists these as seen but unpinned for the subscription chapter; the emulator uses them as the iodm subscribe does.
  { operationId: 'subscribeServiceData', code: '100228', http: 400 },
  { operationId: 'subscribeServiceData', code: '100203', http: 403 },
  { operationId: 'queryBatchSubscriptions', code: '100228', http: 400 },
];

/** Picks the fixtures from the fleet `client` sees (and creates a subscription and a batch task); the cases use both. */
export async function prepareErrorCases(client: Api): Promise<Fixtures> {
  api = client;
  const devices: Json[] = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 250 })).devices;
  const fw: Json[] = (await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data;
  const sw: Json[] = (await api.ok(PATH.packages, { fileType: 'softwarePackage', pageSize: 100 })).data;
  const pick = (pkgs: Json[]) => {
    for (const p of pkgs) {
      const d = devices.find((x) => sameProduct(x, p));
      const m = devices.find((x) => !sameProduct(x, p));
      if (d && m) return { p, d, m };
    }
    throw new Error('no package with a matching and a non-matching device in the first 250 devices');
  };
  const fwPick = pick(fw);
  const swPick = pick(sw);
  const groups: Json[] = (await api.ok(PATH.groups, { pageNo: 0, pageSize: 500 })).list;
  const ops: Json[] = (await api.ok(PATH.operations, { pageSize: 1 })).data;
  const other: Json[] = (await api.ok(PATH.devices, { pageNo: 0, pageSize: 1, appId: 'authorised-app' })).devices;
  const spare = [...fw, ...sw].find((p) => p.fileId !== fwPick.p.fileId && p.fileId !== swPick.p.fileId);
  expect(groups.length, 'the fleet has groups').toBeGreaterThan(0);
  expect(ops.length, 'the fleet has historical operations').toBeGreaterThan(0);
  expect(other.length, 'authorised-app has devices').toBeGreaterThan(0);
  f = {
    device: fwPick.d, mismatchFw: fwPick.m, fwPkg: fwPick.p,
    swDevice: swPick.d, mismatchSw: swPick.m, swPkg: swPick.p,
    spareFileId: spare.fileId, group: groups[0], operationId: ops[0].operationId,
    otherAppDeviceId: other[0].deviceId, batchTaskId: '', subscriptionId: '',
  };
  const subscribed = await api.post(PATH.subscriptions, { notifyType: 'ruleEvent', callbackUrl: CALLBACK });
  expect(subscribed.status, subscribed.text).toBe(201);
  f.subscriptionId = subscribed.body.subscriptionId;
  const created = await api.post(PATH.batchTasks, batchBody());
  expect(created.status, created.text).toBe(200);
  f.batchTaskId = created.body.taskID;
  return f;
}
