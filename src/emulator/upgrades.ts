/** Upgrade tasks: creation (validated by upgrade-requests.ts) and their lifecycle on the emulated clock. */
import { nextOnlineAt, statusAt } from './device-status.js';
import type { EngineContext } from './engine.js';
import type { Device, OperateType, Operation, StatusCounts, Subtask, SubOperationStatus } from './model.js';
import { Random, pushTo } from './random.js';
import { MINUTE, SECOND } from './time.js';
import { resolveUpgrade, type ResolvedUpgrade } from './upgrade-requests.js';

const FAILURE_CAUSES = [
  'The device failed to download the package.',
  'Package verification failed on the device.',
  'The device rejected the upgrade: insufficient battery.',
  'The device reported an installation error.',
  'The device went offline during the upgrade.',
];

const isTerminal = (status: SubOperationStatus) => status !== 'wait' && status !== 'processing';
const emptyCounts = (): StatusCounts => ({ wait: 0, processing: 0, success: 0, fail: 0, stop: 0, timeout: 0 });

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
    return resolveUpgrade(this.ctx, appId, operateType, body);
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
    }
    operation.counts.wait = operation.subtasks.length;
    this.add(operation);

    for (const subtask of operation.subtasks) this.scheduleStart(subtask, now);
    this.scheduleWindowEnd(operation);
    this.completeIfDone(operation);
    return operation;
  }

  /** Tasks of a saved state, in creation order: what each unfinished one waited for goes back on the clock. */
  restore(operations: readonly Operation[]): void {
    for (const operation of operations) this.add(operation);
    for (const operation of operations) {
      if (operation.status !== 'wait' && operation.status !== 'processing') continue;
      if (operation.stopAt !== undefined) this.planStop(operation, operation.stopAt);
      this.scheduleWindowEnd(operation);
      for (const subtask of operation.subtasks) {
        if (subtask.status === 'processing') this.scheduleRun(subtask);
        else if (subtask.status === 'wait' && subtask.parked) this.waitForDevice(subtask);
        else if (subtask.status === 'wait') this.startWhenDue(subtask);
      }
    }
  }

  private add(operation: Operation): void {
    this.operations.push(operation);
    this.byId.set(operation.operationId, operation);
    for (const subtask of operation.subtasks) pushTo(this.byDevice, subtask.deviceId, operation);
  }

  /** History: an operator stops the task at `at` (kept with it, so a restored state stops it too). */
  planStop(operation: Operation, at: number): void {
    operation.stopAt = at;
    this.ctx.clock.schedule(at, () => this.stop(operation));
  }

  private scheduleWindowEnd(operation: Operation): void {
    const { policy } = operation;
    if (policy.executeType === 'custom' && policy.endTime !== undefined) {
      this.ctx.clock.schedule(policy.endTime, () => this.closeWindow(operation));
    }
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
    subtask.dueAt = base + delay;
    this.startWhenDue(subtask);
  }

  private startWhenDue(subtask: Subtask): void {
    const generation = subtask.generation;
    this.ctx.clock.schedule(subtask.dueAt ?? this.ctx.clock.now(), () => {
      if (subtask.generation !== generation) return;
      if (subtask.operation.policy.executeType === 'device_online') this.startWhenOnline(subtask);
      else this.begin(subtask);
    });
  }

  private startWhenOnline(subtask: Subtask): void {
    if (statusAt(this.device(subtask).connectivity, this.ctx.clock.now()) === 'ONLINE') {
      this.begin(subtask);
      return;
    }
    subtask.parked = true;
    subtask.dueAt = undefined;
    this.waitForDevice(subtask);
  }

  /** Parked: tries again when the device is next online (it never comes online: the subtask waits, as on the platform). */
  private waitForDevice(subtask: Subtask): void {
    const next = nextOnlineAt(this.device(subtask).connectivity, this.ctx.clock.now());
    if (next === null) return;
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
    subtask.dueAt = undefined;
    subtask.steer = this.ctx.steering.upgradeFor(subtask.deviceId);
    if (operation.status === 'wait') {
      operation.status = 'processing';
      operation.startTime = now;
    }
    if (this.wantsProgress(operation)) this.ctx.notify({ kind: 'state', subtask, step: 'downloading' });
    this.scheduleRun(subtask);
  }

  /** A run's course follows from its seeded draw: progress notices still to come, then its outcome at its end. */
  private scheduleRun(subtask: Subtask): void {
    const now = this.ctx.clock.now();
    const startedAt = subtask.startTime ?? now;
    const random = this.draw(subtask);
    const duration = random.int(30, 300) * SECOND;
    const roll = random.next();
    const generation = subtask.generation;
    if (this.wantsProgress(subtask.operation)) {
      for (const [fraction, step] of [[0.4, 'downloaded'], [0.7, 'updating']] as const) {
        const at = startedAt + Math.floor(duration * fraction);
        if (at < now) continue; // sent before the state was saved
        const notice = () => {
          if (subtask.generation === generation) this.ctx.notify({ kind: 'state', subtask, step });
        };
        this.ctx.clock.schedule(at, notice, false);
      }
    }
    this.ctx.clock.schedule(startedAt + duration, () => {
      if (subtask.generation === generation) this.finish(subtask, roll);
    });
  }

  private wantsProgress(operation: Operation): boolean {
    return this.ctx.wantsProgress(operation.appId, operation.operateType === 'firmware_upgrade');
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
      if (this.wantsProgress(subtask.operation)) this.ctx.notify({ kind: 'state', subtask, step: 'idle' });
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
