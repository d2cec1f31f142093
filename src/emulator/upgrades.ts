/** Upgrade tasks: creation with the platform's validation rules, and their lifecycle on the emulated clock. */
import { nextOnlineAt, statusAt } from './device-status.js';
import type { EngineContext } from './engine.js';
import { errors } from './errors.js';
import { isObject } from './json.js';
import type {
  Device,
  OperateType,
  Operation,
  StatusCounts,
  Subtask,
  SubOperationStatus,
  UpgradePackage,
  UpgradePolicy,
  UpgradeTargets,
} from './model.js';
import { Random, pushTo } from './random.js';
import { MINUTE, SECOND, parseCompact } from './time.js';

export const HEX24 = /^[0-9a-f]{24}$/;
const MAX_TARGETS = 256;
const MAX_TEXT = 256;
const EXECUTE_TYPES = ['now', 'device_online', 'custom'] as const;

const FAILURE_CAUSES = [
  'The device failed to download the package.',
  'Package verification failed on the device.',
  'The device rejected the upgrade: insufficient battery.',
  'The device reported an installation error.',
  'The device went offline during the upgrade.',
];

const isTerminal = (status: SubOperationStatus) => status !== 'wait' && status !== 'processing';
const emptyCounts = (): StatusCounts => ({ wait: 0, processing: 0, success: 0, fail: 0, stop: 0, timeout: 0 });

export interface ResolvedUpgrade {
  pkg: UpgradePackage;
  targets: UpgradeTargets;
  policy: UpgradePolicy;
  devices: Device[];
}

export class UpgradeEngine {
  /** In creation order. */
  readonly operations: Operation[] = [];
  readonly byId = new Map<string, Operation>();
  private readonly byDevice = new Map<string, Operation[]>();

  constructor(private readonly ctx: EngineContext) {}

  operationsOfDevice(deviceId: string): readonly Operation[] {
    return this.byDevice.get(deviceId) ?? [];
  }

  hasActiveSubtask(deviceId: string): boolean {
    return this.operationsOfDevice(deviceId).some((o) => o.subtasks.some((s) => s.deviceId === deviceId && !isTerminal(s.status)));
  }

  /** The device came online through the control API: device_online subtasks waiting for it start now. */
  deviceOnline(device: Device): void {
    for (const operation of this.operationsOfDevice(device.deviceId)) {
      for (const subtask of operation.subtasks) {
        if (subtask.deviceId === device.deviceId && subtask.parked && subtask.status === 'wait') this.begin(subtask);
      }
    }
  }

  /** Validates a create request the way the platform does, in its documented order. */
  resolve(appId: string, operateType: OperateType, body: unknown): ResolvedUpgrade {
    if (!isObject(body)) throw errors.badRequest('The body must be a JSON object.');
    const { fileId } = body;
    if (typeof fileId !== 'string' || !HEX24.test(fileId)) throw errors.badRequest('fileId is missing or malformed.');
    const targets = this.parseTargets(body.targets);
    const policy = this.parsePolicy(body.policy);

    const pkg = this.ctx.fleet.packages.find((p) => p.fileId === fileId && p.appId === appId);
    const wanted = operateType === 'firmware_upgrade' ? 'firmwarePackage' : 'softwarePackage';
    if (!pkg || pkg.fileType !== wanted) throw errors.fileOrDeviceNotFound(`fileId ${fileId}.`);
    const { product } = pkg;

    let devices: Device[];
    if (targets.devices) {
      devices = unique(targets.devices).map((id) => {
        const device = this.ctx.fleet.devices.get(id);
        if (!device || device.appId !== appId) throw errors.fileOrDeviceNotFound(`deviceId ${id}.`);
        return device;
      });
      const misfit = devices.find((d) => d.product !== product);
      if (misfit) throw errors.versionMismatch(`Device ${misfit.deviceId} is a ${misfit.product.model}.`);
    } else {
      const names = unique(targets.deviceGroups ?? []);
      const groups = names.map((name) => {
        const group = this.ctx.fleet.groups.find((g) => g.name === name && g.appId === appId);
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
      devices = memberIds.map((id) => this.ctx.fleet.devices.get(id)).filter((d): d is Device => d?.product === product);
      if (devices.length === 0) throw errors.versionMismatch('No device of the groups matches the package.');
    }
    return { pkg, targets, policy, devices };
  }

  private parseTargets(value: unknown): UpgradeTargets {
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

  private parsePolicy(value: unknown): UpgradePolicy {
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
      if (start < this.ctx.clock.now() - 59 * SECOND) throw errors.startInPast();
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

  create(appId: string, operateType: OperateType, upgrade: ResolvedUpgrade): Operation {
    const now = this.ctx.clock.now();
    const firmware = operateType === 'firmware_upgrade';
    const operation: Operation = {
      operationId: this.ctx.ids.hex(24),
      appId,
      operateType,
      pkg: upgrade.pkg,
      targets: upgrade.targets,
      policy: upgrade.policy,
      status: 'wait',
      createTime: now,
      subtasks: [],
      counts: emptyCounts(),
    };
    for (const device of upgrade.devices) {
      operation.subtasks.push({
        subOperationId: this.ctx.ids.hex(24),
        operation,
        deviceId: device.deviceId,
        status: 'wait',
        createTime: now,
        sourceVersion: firmware ? device.fwVersion : device.swVersion,
        attempts: 0,
        generation: 0,
      });
      pushTo(this.byDevice, device.deviceId, operation);
    }
    operation.counts.wait = operation.subtasks.length;
    this.operations.push(operation);
    this.byId.set(operation.operationId, operation);

    for (const subtask of operation.subtasks) this.scheduleStart(subtask, now);
    const { policy } = operation;
    if (policy.executeType === 'custom' && policy.endTime !== undefined) {
      this.ctx.clock.schedule(policy.endTime, () => this.closeWindow(operation));
    }
    this.completeIfDone(operation);
    return operation;
  }

  /** An operator stopped the task in the console (the northbound API has no stop call; history uses this). */
  stop(operation: Operation): void {
    if (operation.status !== 'wait' && operation.status !== 'processing') return;
    for (const subtask of operation.subtasks) {
      if (!isTerminal(subtask.status)) this.finishAs(subtask, 'stop', 'The task was stopped by an operator.');
    }
    operation.status = 'stop';
    operation.stopTime = this.ctx.clock.now();
  }

  private draw(subtask: Subtask): Random {
    return Random.derive(this.ctx.seed, subtask.subOperationId, subtask.attempts);
  }

  private scheduleStart(subtask: Subtask, from: number): void {
    const { policy } = subtask.operation;
    const delay = this.draw(subtask).int(5, 30) * SECOND;
    const base = policy.executeType === 'custom' ? Math.max(from, policy.startTime ?? from) : from;
    const generation = subtask.generation;
    this.ctx.clock.schedule(base + delay, () => {
      if (subtask.generation !== generation) return;
      if (policy.executeType === 'device_online') this.startWhenOnline(subtask);
      else this.begin(subtask);
    });
  }

  private startWhenOnline(subtask: Subtask): void {
    const device = this.device(subtask);
    const now = this.ctx.clock.now();
    if (statusAt(device.connectivity, now) === 'ONLINE') {
      this.begin(subtask);
      return;
    }
    subtask.parked = true;
    const next = nextOnlineAt(device.connectivity, now);
    if (next === null) return; // the device never comes online: the subtask waits, as on the platform
    const generation = subtask.generation;
    this.ctx.clock.schedule(next, () => {
      if (subtask.generation === generation) this.startWhenOnline(subtask);
    });
  }

  private begin(subtask: Subtask): void {
    const { operation } = subtask;
    const now = this.ctx.clock.now();
    this.setStatus(subtask, 'processing');
    subtask.attempts += 1;
    subtask.startTime = now;
    subtask.stopTime = undefined;
    subtask.detailInfo = undefined;
    subtask.parked = false;
    subtask.steer = this.ctx.steering.upgradeFor(subtask.deviceId);
    if (operation.status === 'wait') {
      operation.status = 'processing';
      operation.startTime = now;
    }
    const random = this.draw(subtask);
    const duration = random.int(30, 300) * SECOND;
    const generation = subtask.generation;
    const firmware = operation.operateType === 'firmware_upgrade';
    if (this.ctx.wantsProgress(operation.appId, firmware)) {
      this.ctx.notify({ kind: 'state', subtask, step: 'downloading' });
      for (const [fraction, step] of [[0.4, 'downloaded'], [0.7, 'updating']] as const) {
        this.ctx.clock.schedule(now + Math.floor(duration * fraction), () => {
          if (subtask.generation === generation) this.ctx.notify({ kind: 'state', subtask, step });
        });
      }
    }
    this.ctx.clock.schedule(now + duration, () => {
      if (subtask.generation === generation) this.finish(subtask, random.next());
    });
  }

  /** The run's outcome from its seeded roll: by the steered rates when set at its start, else the seeded weights. */
  private outcome(subtask: Subtask, roll: number): 'success' | 'fail' | 'timeout' {
    if (subtask.steer) {
      const { failureRate, timeoutRate } = subtask.steer;
      return roll < failureRate ? 'fail' : roll < failureRate + timeoutRate ? 'timeout' : 'success';
    }
    const { success, fail, timeout } = this.ctx.outcomes;
    const total = success + fail + timeout;
    return roll * total < success ? 'success' : roll * total < success + fail ? 'fail' : 'timeout';
  }

  private finish(subtask: Subtask, roll: number): void {
    const outcome = this.outcome(subtask, roll);
    if (outcome === 'success') {
      const { operation } = subtask;
      const device = this.device(subtask);
      const field = operation.operateType === 'firmware_upgrade' ? 'fwVersion' : 'swVersion';
      const changed = device[field] !== operation.pkg.version;
      device[field] = operation.pkg.version;
      device.lastModifiedTime = this.ctx.clock.now();
      this.finishAs(subtask, 'success', 'The upgrade succeeded.');
      // A new version is a change of the device's info, pushed after the upgrade's own result notice.
      if (changed) this.ctx.deviceChanged(device);
      return;
    }
    const cause =
      outcome === 'fail'
        ? (FAILURE_CAUSES[Math.floor(roll * 1000) % FAILURE_CAUSES.length] as string)
        : 'The device did not report the upgrade result in time.';
    const { policy } = subtask.operation;
    if (policy.retryType && subtask.attempts <= (policy.retryTimes ?? 0)) {
      // Retried: back to wait, with the cause kept until the next run starts.
      this.setStatus(subtask, 'wait');
      subtask.detailInfo = `${cause} Retrying (${subtask.attempts}/${policy.retryTimes}).`;
      if (this.ctx.wantsProgress(subtask.operation.appId, subtask.operation.operateType === 'firmware_upgrade')) {
        this.ctx.notify({ kind: 'state', subtask, step: 'idle' });
      }
      this.scheduleStart(subtask, this.ctx.clock.now() + MINUTE);
      return;
    }
    this.finishAs(subtask, outcome, cause);
  }

  private finishAs(subtask: Subtask, status: 'success' | 'fail' | 'timeout' | 'stop', detail: string): void {
    const now = this.ctx.clock.now();
    this.setStatus(subtask, status);
    subtask.stopTime = now;
    subtask.detailInfo = detail;
    if (status !== 'stop') {
      this.ctx.notify({
        kind: 'result',
        subtask,
        success: status === 'success',
        description: detail,
        durationSeconds: Math.round((now - (subtask.startTime ?? now)) / 1000),
      });
    }
    this.completeIfDone(subtask.operation);
  }

  /** custom: whatever has not finished when the window closes times out. */
  private closeWindow(operation: Operation): void {
    for (const subtask of operation.subtasks) {
      if (!isTerminal(subtask.status)) this.finishAs(subtask, 'timeout', 'The upgrade window closed before the device finished.');
    }
  }

  private completeIfDone(operation: Operation): void {
    if (operation.status === 'stop' || operation.status === 'success' || operation.status === 'failed') return;
    if (operation.counts.wait + operation.counts.processing > 0) return;
    operation.status = operation.counts.success === operation.subtasks.length ? 'success' : 'failed';
    operation.startTime ??= this.ctx.clock.now();
    operation.stopTime = this.ctx.clock.now();
  }

  private setStatus(subtask: Subtask, status: SubOperationStatus): void {
    if (subtask.status === 'processing') this.device(subtask).upgrading -= 1;
    if (status === 'processing') this.device(subtask).upgrading += 1;
    const counts = subtask.operation.counts;
    counts[subtask.status] -= 1;
    counts[status] += 1;
    subtask.status = status;
    subtask.generation += 1;
  }

  private device(subtask: Subtask): Device {
    return this.ctx.fleet.devices.get(subtask.deviceId) as Device;
  }
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
