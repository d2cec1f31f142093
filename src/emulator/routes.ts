/** The platform's northbound endpoints (openapi.yaml paths), each validating like the platform documents. */
import { errors } from './errors.js';
import { formatBatchDetail, formatBatchTask, formatDevice, formatGroup, formatOperation, formatPackage, formatSubtask } from './format.js';
import type { Device } from './model.js';
import type { Platform } from './platform.js';
import { parseCompact } from './time.js';
import { isObject } from './json.js';
import { HEX24 } from './upgrade-requests.js';
import { statusAt } from './device-status.js';
import { UUID, ok, oneOf, page, paging, targetApp, text, type PagingRule, type Route } from './route-kit.js';
import { SUBSCRIPTION_ROUTES } from './subscription-routes.js';

export type { PlatformRequest, Reply, Route, RouteContext } from './route-kit.js';
export { MALFORMED_BODY } from './route-kit.js';

const iodmPaging: Omit<PagingRule, 'max'> = { defaultSize: 10, malformed: () => errors.badRequest(), outOfRange: () => errors.pagingInvalid() };

const auth: Route[] = [
  {
    method: 'POST',
    template: '/iocm/app/sec/v1.1.0/login',
    authenticated: false,
    handle({ body }, { platform, tokens }) {
      const form = body instanceof URLSearchParams ? body : new URLSearchParams();
      const appId = form.get('appId');
      const secret = form.get('secret');
      if (!appId || !secret) throw errors.mandatoryMissing();
      const app = platform.fleet.apps.get(appId);
      if (!app || app.secret !== secret) throw errors.wrongCredentials();
      return ok(tokens.issue(app, platform.clock.now()));
    },
  },
  {
    method: 'POST',
    template: '/iocm/app/sec/v1.1.0/refreshToken',
    authenticated: false,
    handle({ body }, { platform, tokens }) {
      if (!isObject(body)) throw errors.inputInvalid();
      const fields = ['appId', 'secret', 'refreshToken'] as const;
      for (const field of fields) {
        const value = body[field];
        if (value === undefined || value === null || value === '') throw errors.mandatoryMissing(`(${field})`);
        if (typeof value !== 'string' || value.length > 256) throw errors.inputInvalid(`(${field})`);
      }
      const { appId, secret, refreshToken } = body as Record<(typeof fields)[number], string>;
      const app = platform.fleet.apps.get(appId);
      if (!app || app.secret !== secret) throw errors.wrongCredentials();
      if (app.frozen) throw errors.appFrozen();
      return ok(tokens.refresh(app, refreshToken, platform.clock.now()));
    },
  },
];

function findPackage(platform: Platform, appId: string, fileId: string) {
  if (!HEX24.test(fileId)) throw errors.badRequest('Check the format of fileId.');
  const pkg = platform.fleet.packages.find((p) => p.fileId === fileId && p.appId === appId);
  if (!pkg) throw errors.fileOrDeviceNotFound();
  return pkg;
}

function findOperation(platform: Platform, appId: string, operationId: string) {
  if (!HEX24.test(operationId)) throw errors.badRequest('Check the format of operationId.');
  const operation = platform.upgrades.byId.get(operationId);
  if (!operation || operation.appId !== appId) throw errors.taskNotFound();
  return operation;
}

const upgrade: Route[] = [
  {
    method: 'GET',
    template: '/iodm/northbound/v1.5.0/category',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const bad = () => errors.badRequest();
      const fileType = oneOf(query, 'fileType', ['firmwarePackage', 'softwarePackage'] as const, bad);
      const deviceType = text(query, 'deviceType', 256, bad);
      const model = text(query, 'model', 256, bad);
      const manufacturerName = text(query, 'manufacturerName', 256, bad) ?? text(query, 'manufactureName', 256, bad);
      const version = text(query, 'version', 256, bad);
      const window = paging(query, { ...iodmPaging, max: 100 });
      const matches = platform.fleet.packages.filter(
        (p) =>
          p.appId === appId &&
          (!fileType || p.fileType === fileType) &&
          (!deviceType || p.product.deviceType === deviceType) &&
          (!model || p.product.model === model) &&
          (!manufacturerName || p.product.manufacturerName === manufacturerName) &&
          (!version || p.version === version),
      );
      return ok({ data: page(matches, window).map(formatPackage), ...window, totalCount: matches.length });
    },
  },
  {
    method: 'GET',
    template: '/iodm/northbound/v1.5.0/category/{fileId}',
    authenticated: true,
    handle({ params, appId }, { platform }) {
      return ok(formatPackage(findPackage(platform, appId, params.fileId as string)));
    },
  },
  {
    method: 'DELETE',
    template: '/iodm/northbound/v1.5.0/category/{fileId}',
    authenticated: true,
    handle({ params, appId }, { platform }) {
      const pkg = findPackage(platform, appId, params.fileId as string);
      platform.fleet.packages.splice(platform.fleet.packages.indexOf(pkg), 1);
      return ok();
    },
  },
  ...(['firmware_upgrade', 'software_upgrade'] as const).map(
    (operateType): Route => ({
      method: 'POST',
      template: `/iodm/northbound/v1.5.0/operations/${operateType === 'firmware_upgrade' ? 'firmwareUpgrade' : 'softwareUpgrade'}`,
      authenticated: true,
      handle({ body, appId }, { platform }) {
        const resolved = platform.upgrades.resolve(appId, operateType, body);
        return ok({ operationId: platform.upgrades.create(appId, operateType, resolved).operationId });
      },
    }),
  ),
  {
    method: 'GET',
    template: '/iodm/northbound/v1.5.0/operations',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const bad = () => errors.badRequest();
      const operationType = oneOf(query, 'operationType', ['firmware_upgrade', 'software_upgrade'] as const, bad);
      const operationStatus = oneOf(query, 'operationStatus', ['wait', 'processing', 'failed', 'success', 'stop'] as const, bad);
      const deviceType = text(query, 'deviceType', 256, bad);
      const model = text(query, 'model', 256, bad);
      const manufacturerName = text(query, 'manufacturerName', 256, bad);
      const deviceId = text(query, 'deviceId', 256, bad);
      const window = paging(query, { ...iodmPaging, max: 100 });
      if (deviceId !== undefined && platform.fleet.devices.get(deviceId)?.appId !== appId) throw errors.taskNotFound();
      const source = deviceId === undefined ? platform.upgrades.operations : platform.upgrades.operationsOfDevice(deviceId);
      const matches = source.filter(
        (o) =>
          o.appId === appId &&
          (!operationType || o.operateType === operationType) &&
          (!operationStatus || o.status === operationStatus) &&
          (!deviceType || o.pkg.product.deviceType === deviceType) &&
          (!model || o.pkg.product.model === model) &&
          (!manufacturerName || o.pkg.product.manufacturerName === manufacturerName),
      );
      // Newest first, like the platform's console.
      const newestFirst = matches.reverse();
      return ok({ data: page(newestFirst, window).map(formatOperation), ...window, totalCount: matches.length });
    },
  },
  {
    method: 'GET',
    template: '/iodm/northbound/v1.5.0/operations/{operationId}',
    authenticated: true,
    handle({ params, appId }, { platform }) {
      return ok(formatOperation(findOperation(platform, appId, params.operationId as string)));
    },
  },
  {
    method: 'GET',
    template: '/iodm/northbound/v1.5.0/operations/{operationId}/subOperations',
    authenticated: true,
    handle({ params, query, appId }, { platform }) {
      const status = oneOf(query, 'subOperationStatus', ['wait', 'processing', 'fail', 'success', 'stop', 'timeout'] as const, () => errors.badRequest());
      const window = paging(query, { ...iodmPaging, max: 100 });
      const operation = findOperation(platform, appId, params.operationId as string);
      const matches = status ? operation.subtasks.filter((s) => s.status === status) : operation.subtasks;
      return ok({ data: page(matches, window).map(formatSubtask), ...window, totalCount: matches.length });
    },
  },
];

const batch: Route[] = [
  {
    method: 'POST',
    template: '/iocm/app/batchtask/v1.1.0/tasks',
    authenticated: true,
    handle({ body, appId }, { platform }) {
      const resolved = platform.batches.resolve(appId, body);
      return ok({ taskID: platform.batches.create(appId, resolved).taskId });
    },
  },
  {
    method: 'GET',
    template: '/iocm/app/batchtask/v1.1.0/tasks/{taskId}',
    authenticated: true,
    handle({ params, query, appId }, { platform }) {
      const owner = targetApp(platform, appId, query.get('appId'), 403);
      const select = oneOf(query, 'select', ['tag'] as const, () => errors.batchInputInvalid('select may only be tag.'));
      const task = platform.batches.byId.get(params.taskId as string);
      if (!task || task.appId !== owner) throw errors.batchTaskNotFound();
      return ok(formatBatchTask(task, select === 'tag'));
    },
  },
  {
    method: 'GET',
    template: '/iocm/app/batchtask/v1.1.0/taskDetails',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const owner = targetApp(platform, appId, query.get('appId'), 403);
      const invalid = () => errors.batchInputInvalid();
      const taskId = text(query, 'taskId', 64, invalid);
      if (!taskId) throw errors.batchInputInvalid('taskId is mandatory.');
      const status = oneOf(query, 'status', ['Pending', 'WaitResult', 'Success', 'Fail', 'Timeout'] as const, invalid);
      const deviceId = text(query, 'deviceId', 256, invalid);
      const commandId = text(query, 'commandId', 256, invalid);
      const window = paging(query, { max: 250, defaultSize: 25, malformed: invalid, outOfRange: invalid });
      const task = platform.batches.byId.get(taskId);
      if (!task || task.appId !== owner) throw errors.batchTaskNotFound();
      const matches = task.details.filter(
        (d) => (!status || d.status === status) && (!deviceId || d.deviceId === deviceId) && (!commandId || d.commandId === commandId),
      );
      return ok({ ...window, totalCount: matches.length, taskDetails: page(matches, window).map(formatBatchDetail) });
    },
  },
];

const devices: Route[] = [
  {
    method: 'GET',
    template: '/iocm/app/dm/v1.4.0/devices/{deviceId}',
    authenticated: true,
    handle({ params, query, appId }, { platform }) {
      const deviceId = params.deviceId as string;
      if (!UUID.test(deviceId)) throw errors.parameterInvalid('Check the format of deviceId.');
      const owner = targetApp(platform, appId, query.get('appId'), 403);
      const select = query.get('select');
      if (select !== null && select !== 'imsi' && select !== 'IMSI') throw errors.parameterInvalid('select may only be imsi.');
      const device = platform.fleet.devices.get(deviceId);
      if (!device) throw errors.deviceNotFound();
      if (device.appId !== owner) throw errors.deviceDataNotFound();
      return ok(formatDevice(device, platform.clock.now(), select !== null));
    },
  },
  {
    method: 'GET',
    template: '/iocm/app/dm/v1.4.0/devices',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const owner = targetApp(platform, appId, query.get('appId'), 403);
      const bad = () => errors.parameterInvalid();
      const gatewayId = text(query, 'gatewayId', 256, bad);
      if (gatewayId === undefined && (query.get('pageNo') ?? '') === '') throw errors.parameterInvalid('gatewayId and pageNo cannot both be null.');
      const nodeType = oneOf(query, 'nodeType', ['ENDPOINT', 'GATEWAY', 'UNKNOW'] as const, bad);
      const status = oneOf(query, 'status', ['ONLINE', 'OFFLINE', 'INACTIVE', 'ABNORMAL'] as const, bad);
      const sort = oneOf(query, 'sort', ['ASC', 'DESC'] as const, bad) ?? 'DESC';
      const select = oneOf(query, 'select', ['imsi'] as const, bad);
      const deviceType = text(query, 'deviceType', 256, bad);
      const location = text(query, 'location', 2048, bad);
      const name = text(query, 'name', 256, bad);
      const time = (field: string) => {
        const raw = query.get(field);
        if (raw === null || raw === '') return undefined;
        const parsed = parseCompact(raw);
        if (parsed === undefined) throw errors.parameterInvalid(`Check the format of ${field}.`);
        return parsed;
      };
      const startTime = time('startTime');
      const endTime = time('endTime');
      const window = paging(query, { max: 250, defaultSize: 25, malformed: bad, outOfRange: bad });
      const now = platform.clock.now();
      const all = platform.fleet.devicesByApp.get(owner) ?? [];
      const matches = all.filter(
        (d: Device) =>
          (!gatewayId || d.gatewayId === gatewayId) &&
          (!nodeType || d.nodeType === nodeType) &&
          (!deviceType || d.product.deviceType === deviceType) &&
          (!location || d.location === location) &&
          (!name || d.name === name) &&
          (startTime === undefined || d.createTime >= startTime) &&
          (endTime === undefined || d.createTime <= endTime) &&
          (!status || statusAt(d.connectivity, now) === status),
      );
      if (sort === 'DESC') matches.reverse();
      return ok({
        totalCount: matches.length,
        ...window,
        devices: page(matches, window).map((d) => formatDevice(d, now, select !== undefined)),
      });
    },
  },
];

/** Group calls report app errors with HTTP 200, as documented. */
const groupOwner = (platform: Platform, appId: string, query: URLSearchParams) =>
  targetApp(platform, appId, query.get('accessAppId') ?? query.get('appId'), 200);

const groups: Route[] = [
  {
    method: 'GET',
    template: '/iocm/app/devgroup/v1.3.0/devGroups',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const owner = groupOwner(platform, appId, query);
      const bad = () => errors.parameterInvalid();
      const name = text(query, 'name', 50, bad);
      const window = paging(query, { max: 500, defaultSize: 1, malformed: bad, outOfRange: bad });
      const matches = platform.fleet.groups.filter((g) => g.appId === owner && (!name || g.name === name));
      return ok({ totalCount: matches.length, ...window, list: page(matches, window).map(formatGroup) });
    },
  },
  {
    method: 'GET',
    template: '/iocm/app/devgroup/v1.3.0/devGroups/{devGroupId}',
    authenticated: true,
    handle({ params, query, appId }, { platform }) {
      const owner = groupOwner(platform, appId, query);
      const group = platform.fleet.groups.find((g) => g.id === params.devGroupId && g.appId === owner);
      if (!group) throw errors.groupNotFound();
      return ok(formatGroup(group));
    },
  },
  {
    method: 'GET',
    template: '/iocm/app/dm/v1.2.0/devices/ids',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const devGroupId = query.get('devGroupId');
      if (!devGroupId) throw errors.propertiesEmpty('(devGroupId)');
      const owner = groupOwner(platform, appId, query);
      const bad = () => errors.parameterInvalid();
      const window = paging(query, { max: 1000, defaultSize: 10, malformed: bad, outOfRange: bad });
      const group = platform.fleet.groups.find((g) => g.id === devGroupId && g.appId === owner);
      if (!group) throw errors.serviceNotFound('(devGroupId)');
      return ok({ totalCount: group.members.length, ...window, deviceIds: page(group.members, window) });
    },
  },
];

export const ROUTES: readonly Route[] = [...auth, ...upgrade, ...batch, ...devices, ...groups, ...SUBSCRIPTION_ROUTES];
