/** Upgrade task creation: the platform's validation rules for a create request, in its documented order. */
import type { EngineContext } from './engine.js';
import { errors } from './errors.js';
import { isObject } from './json.js';
import type { Device, OperateType, UpgradePackage, UpgradePolicy, UpgradeTargets } from './model.js';
import { MINUTE, SECOND, parseCompact } from './time.js';

export const HEX24 = /^[0-9a-f]{24}$/;
const MAX_TARGETS = 256;
const MAX_TEXT = 256;
const EXECUTE_TYPES = ['now', 'device_online', 'custom'] as const;

export interface ResolvedUpgrade {
  pkg: UpgradePackage;
  targets: UpgradeTargets;
  policy: UpgradePolicy;
  devices: Device[];
}

/** Validates a create request the way the platform does, in its documented order. */
export function resolveUpgrade(ctx: EngineContext, appId: string, operateType: OperateType, body: unknown): ResolvedUpgrade {
  if (!isObject(body)) throw errors.badRequest('The body must be a JSON object.');
  const { fileId } = body;
  if (typeof fileId !== 'string' || !HEX24.test(fileId)) throw errors.badRequest('fileId is missing or malformed.');
  const targets = parseTargets(body.targets);
  const policy = parsePolicy(ctx, body.policy);

  const pkg = ctx.fleet.packages.find((p) => p.fileId === fileId && p.appId === appId);
  const wanted = operateType === 'firmware_upgrade' ? 'firmwarePackage' : 'softwarePackage';
  if (!pkg || pkg.fileType !== wanted) throw errors.fileOrDeviceNotFound(`fileId ${fileId}.`);
  const { product } = pkg;

  let devices: Device[];
  if (targets.devices) {
    devices = unique(targets.devices).map((id) => {
      const device = ctx.fleet.devices.get(id);
      if (!device || device.appId !== appId) throw errors.fileOrDeviceNotFound(`deviceId ${id}.`);
      return device;
    });
    const misfit = devices.find((d) => d.product !== product);
    if (misfit) throw errors.versionMismatch(`Device ${misfit.deviceId} is a ${misfit.product.model}.`);
  } else {
    const names = unique(targets.deviceGroups ?? []);
    const groups = names.map((name) => {
      const group = ctx.fleet.groups.find((g) => g.name === name && g.appId === appId);
      if (!group) throw errors.fileOrDeviceNotFound(`deviceGroup ${name}.`);
      return group;
    });
    if (
      targets.deviceType !== product.deviceType ||
      targets.model !== product.model ||
      targets.manufacturerName !== product.manufacturerName
    ) {
      throw errors.versionMismatch('deviceType, model or manufacturerName differ from the package.');
    }
    const memberIds = unique(groups.flatMap((g) => g.members));
    devices = memberIds.map((id) => ctx.fleet.devices.get(id)).filter((d): d is Device => d?.product === product);
    if (devices.length === 0) throw errors.versionMismatch('No device of the groups matches the package.');
  }
  return { pkg, targets, policy, devices };
}

function parseTargets(value: unknown): UpgradeTargets {
  if (value === undefined || value === null) throw errors.noTargets();
  if (!isObject(value)) throw errors.badRequest('targets must be an object.');
  const devices = stringList(value.devices, 'targets.devices');
  const deviceGroups = stringList(value.deviceGroups, 'targets.deviceGroups');
  if (!devices && !deviceGroups) throw errors.noTargets();
  if (devices && deviceGroups) throw errors.bothTargets();
  if ((devices ?? deviceGroups ?? []).length > MAX_TARGETS) throw errors.tooManyTargets();
  const deviceType = optionalText(value.deviceType, 'targets.deviceType');
  const model = optionalText(value.model, 'targets.model');
  const manufacturerName = optionalText(value.manufacturerName, 'targets.manufacturerName');
  if (devices) return { devices };
  if (!manufacturerName) throw errors.manufacturerEmpty();
  if (!deviceType) throw errors.deviceTypeEmpty();
  if (!model) throw errors.modelEmpty();
  return { deviceGroups, deviceType, model, manufacturerName };
}

function parsePolicy(ctx: EngineContext, value: unknown): UpgradePolicy {
  if (value === undefined || value === null) return { executeType: 'now', retryType: false };
  if (!isObject(value)) throw errors.badRequest('policy must be an object.');
  const executeType = EXECUTE_TYPES.find((t) => t === value.executeType);
  if (!executeType) throw errors.executeTypeInvalid();
  const policy: UpgradePolicy = { executeType, retryType: false };
  if (executeType === 'custom') {
    const start = typeof value.startTime === 'string' ? parseCompact(value.startTime) : undefined;
    const end = typeof value.endTime === 'string' ? parseCompact(value.endTime) : undefined;
    if (start === undefined || end === undefined) throw errors.timeInvalid();
    if (start > end) throw errors.startAfterEnd();
    if (start < ctx.clock.now() - 59 * SECOND) throw errors.startInPast();
    if (end <= start + 5 * MINUTE) throw errors.windowTooShort();
    policy.startTime = start;
    policy.endTime = end;
  }
  if (value.retryType !== undefined && value.retryType !== null && typeof value.retryType !== 'boolean') {
    throw errors.badRequest('retryType must be a boolean.');
  }
  if (value.retryType === true) {
    const times = value.retryTimes;
    if (typeof times !== 'number' || !Number.isInteger(times) || times < 1 || times > 5) throw errors.retryTimesInvalid();
    policy.retryType = true;
    policy.retryTimes = times;
  }
  return policy;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** An optional list of strings; an empty list counts as absent, as on the platform. */
function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT)) {
    throw errors.badRequest(`${field} must be a list of non-empty strings.`);
  }
  return value.length === 0 ? undefined : (value as string[]);
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > MAX_TEXT) throw errors.badRequest(`${field} must be a string of at most 256.`);
  return value;
}
