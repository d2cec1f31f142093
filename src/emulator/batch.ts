/** Batch tasks (DeviceCmd): creation with schema checks, and their lifecycle on the emulated clock. */
import { nextOnlineAt, statusAt } from './device-status.js';
import type { EngineContext } from './engine.js';
import { errors } from './errors.js';
import type { BatchDetail, BatchTask, Device } from './model.js';
import { Random } from './random.js';
import { isObject } from './json.js';
import { MINUTE, SECOND } from './time.js';

const TASK_TYPES = ['DeviceCmd', 'DeviceReg', 'DeviceLocation', 'DeviceMod', 'DeviceDel', 'DeviceLicense'];
const TARGET_TYPES = ['DeviceList', 'DeviceType', 'DeviceArea', 'GroupList', 'Broadcast', 'GroupIdList'] as const;
type TargetType = (typeof TARGET_TYPES)[number];

/** Outcome weights of one command: most devices execute it. */
const COMMAND_OUTCOMES = { success: 0.85, fail: 0.1, timeout: 0.05 };

export interface ResolvedBatch {
  taskName: string;
  taskType: string;
  timeoutMinutes: number;
  param: Record<string, unknown>;
  tags: { tagName: string; tagValue: string }[];
  /** Device ids in target order; ids unknown to the app become failed details. */
  deviceIds: string[];
}

/** Commands go out in a stream, this far apart. */
const COMMAND_SPACING_MS = 20;

const NO_ANSWER = { error_code: '100435', error_desc: 'The device did not answer the command in time.' };

const invalid = (what: string) => errors.batchInputInvalid(what);

export class BatchEngine {
  readonly tasks: BatchTask[] = [];
  readonly byId = new Map<string, BatchTask>();

  constructor(private readonly ctx: EngineContext) {}

  resolve(appId: string, body: unknown): ResolvedBatch {
    if (!isObject(body)) throw invalid('The body must be a JSON object.');
    if (body.appId !== appId) throw invalid('appId must be the calling application.');
    const { taskName, taskType, timeout, param, tags } = body;
    if (typeof taskName !== 'string' || taskName.length === 0 || taskName.length > 256) throw invalid('taskName is invalid.');
    if (typeof taskType !== 'string' || !TASK_TYPES.includes(taskType)) throw invalid('taskType is invalid.');
    if (taskType !== 'DeviceCmd') throw invalid(`taskType ${taskType} is not supported by this API.`);
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 10 || timeout > 2880) {
      throw invalid('timeout must be an integer from 10 to 2880 (minutes).');
    }
    if (!isObject(param)) throw invalid('param is missing.');
    const type = TARGET_TYPES.find((t) => t === param.type);
    if (!type) throw invalid('param.type is invalid.');
    const command = param.command;
    if (
      !isObject(command) ||
      !isText(command.serviceId, 64) ||
      !isText(command.method, 128) ||
      (command.paras !== undefined && !isObject(command.paras))
    ) {
      throw invalid('param.command needs serviceId, method and an object paras.');
    }
    if (param.callbackUrl !== undefined && typeof param.callbackUrl !== 'string') throw invalid('param.callbackUrl is invalid.');
    if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => isObject(t) && isText(t.tagName, 256) && typeof t.tagValue === 'string'))) {
      throw invalid('tags must be a list of {tagName, tagValue}.');
    }
    return {
      taskName,
      taskType,
      timeoutMinutes: timeout,
      param,
      tags: ((tags ?? []) as { tagName: string; tagValue: string }[]).map(({ tagName, tagValue }) => ({ tagName, tagValue })),
      deviceIds: this.targets(appId, type, param),
    };
  }

  private targets(appId: string, type: TargetType, param: Record<string, unknown>): string[] {
    const own = this.ctx.fleet.devicesByApp.get(appId) ?? [];
    const ids = (list: Device[]) => list.map((d) => d.deviceId);
    const names = (field: string): string[] => {
      const value = param[field];
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
        throw invalid(`param.${field} must be a non-empty list of strings for type ${type}.`);
      }
      return [...new Set(value as string[])];
    };
    switch (type) {
      case 'DeviceList':
        return names('deviceList');
      case 'DeviceType': {
        const { deviceType, manufacturerId, model } = param;
        if (!isText(deviceType, 256)) throw invalid('param.deviceType is required for type DeviceType.');
        return ids(
          own.filter(
            (d) =>
              d.product.deviceType === deviceType &&
              (manufacturerId === undefined || d.product.manufacturerId === manufacturerId) &&
              (model === undefined || d.product.model === model),
          ),
        );
      }
      case 'DeviceArea': {
        if (!isText(param.deviceLocation, 2048)) throw invalid('param.deviceLocation is required for type DeviceArea.');
        return ids(own.filter((d) => d.location === param.deviceLocation));
      }
      case 'GroupList':
      case 'GroupIdList': {
        const wanted = new Set(names('groupList'));
        const groups = this.ctx.fleet.groups.filter(
          (g) => g.appId === appId && wanted.has(type === 'GroupList' ? g.name : g.id),
        );
        return [...new Set(groups.flatMap((g) => g.members))];
      }
      case 'Broadcast':
        return ids(own);
    }
  }

  create(appId: string, batch: ResolvedBatch, operator = appId, taskFrom = 'Northbound'): BatchTask {
    const now = this.ctx.clock.now();
    const task: BatchTask = {
      taskId: this.ctx.ids.hex(24),
      appId,
      taskName: batch.taskName,
      operator,
      taskFrom,
      taskType: batch.taskType,
      status: 'Pending',
      startTime: now,
      timeoutMinutes: batch.timeoutMinutes,
      param: batch.param,
      tags: batch.tags,
      details: batch.deviceIds.map((deviceId) => ({
        deviceId,
        commandId: this.ctx.ids.hex(32),
        status: 'Pending',
        expired: false,
      })),
      counts: { success: 0, fail: 0, timeout: 0, expired: 0 },
    };
    this.tasks.push(task);
    this.byId.set(task.taskId, task);
    this.ctx.clock.schedule(this.runAt(task), () => this.run(task));
    this.ctx.clock.schedule(this.deadline(task), () => this.expire(task));
    return task;
  }

  /** Tasks of a saved state, in creation order: each unfinished one's next steps go back on the clock. */
  restore(tasks: readonly BatchTask[]): void {
    for (const task of tasks) {
      this.tasks.push(task);
      this.byId.set(task.taskId, task);
      if (task.status === 'Pending') this.ctx.clock.schedule(this.runAt(task), () => this.run(task));
      if (task.status === 'Running') {
        const runAt = this.runAt(task);
        task.details.forEach((detail, index) => {
          if (detail.status === 'Pending') this.ctx.clock.schedule(runAt + index * COMMAND_SPACING_MS, () => this.deliver(task, detail));
          if (detail.status === 'WaitResult') this.awaitAnswer(task, detail);
        });
      }
      if (task.status === 'Pending' || task.status === 'Running') this.ctx.clock.schedule(this.deadline(task), () => this.expire(task));
    }
  }

  /** When a task starts sending its commands: a seeded few seconds after its creation. */
  private runAt(task: BatchTask): number {
    return task.startTime + Random.derive(this.ctx.seed, task.taskId).int(2, 10) * SECOND;
  }

  private deadline(task: BatchTask): number {
    return task.startTime + task.timeoutMinutes * MINUTE;
  }

  private run(task: BatchTask): void {
    if (task.status !== 'Pending') return;
    task.status = 'Running';
    task.details.forEach((detail, index) => {
      const device = this.ctx.fleet.devices.get(detail.deviceId);
      if (!device || device.appId !== task.appId) {
        this.settle(task, detail, 'Fail', { error_code: '100403', error_desc: 'The device is not existed.' });
        return;
      }
      // Commands go out in a stream, not all in the same millisecond.
      this.ctx.clock.schedule(this.ctx.clock.now() + index * COMMAND_SPACING_MS, () => this.deliver(task, detail));
    });
    this.completeIfDone(task);
  }

  /** The device came online through the control API: its commands still pending go out now. */
  deviceOnline(device: Device): void {
    for (const task of this.tasks) {
      if (task.status !== 'Running' || task.appId !== device.appId) continue;
      for (const detail of task.details) {
        if (detail.deviceId === device.deviceId && detail.status === 'Pending') this.deliver(task, detail);
      }
    }
  }

  /** A command waits (Pending) until its device is online, then waits for the device's answer. */
  private deliver(task: BatchTask, detail: BatchDetail): void {
    if (task.status !== 'Running' || detail.status !== 'Pending') return;
    const device = this.ctx.fleet.devices.get(detail.deviceId);
    if (!device) {
      this.settle(task, detail, 'Fail', { error_code: '100403', error_desc: 'The device is not existed.' });
      return;
    }
    const now = this.ctx.clock.now();
    if (statusAt(device.connectivity, now) !== 'ONLINE') {
      const next = nextOnlineAt(device.connectivity, now);
      if (next !== null) this.ctx.clock.schedule(next, () => this.deliver(task, detail));
      return;
    }
    detail.status = 'WaitResult';
    detail.sentAt = now;
    // Steered: the command fails with that rate and otherwise succeeds.
    detail.failureRate = this.ctx.steering.batchFailureRateFor(device.deviceId);
    this.awaitAnswer(task, detail);
  }

  /** The device's answer follows from the command's seeded draw and the rate steered when it was sent. */
  private awaitAnswer(task: BatchTask, detail: BatchDetail): void {
    const random = Random.derive(this.ctx.seed, detail.commandId);
    const { failureRate } = detail;
    const weights = failureRate === undefined ? COMMAND_OUTCOMES : { success: 1 - failureRate, fail: failureRate };
    const answerAt = (detail.sentAt ?? this.ctx.clock.now()) + random.int(5, 120) * SECOND;
    const roll = random.next();
    this.ctx.clock.schedule(answerAt, () => {
      if (detail.status !== 'WaitResult') return;
      if (roll < weights.success) {
        this.settle(task, detail, 'Success', undefined, JSON.stringify({ result: 'SUCCESS', resultDetail: { code: 0 } }));
      } else if (roll < weights.success + weights.fail) {
        this.settle(task, detail, 'Fail', { error_code: '100434', error_desc: 'The device failed to execute the command.' });
      } else {
        this.settle(task, detail, 'Timeout', NO_ANSWER);
      }
    });
  }

  private settle(
    task: BatchTask,
    detail: BatchDetail,
    status: 'Success' | 'Fail' | 'Timeout',
    error?: BatchDetail['error'],
    output?: string,
  ): void {
    detail.status = status;
    detail.error = error;
    detail.output = output;
    detail.sentAt = undefined;
    detail.failureRate = undefined;
    task.counts[status === 'Success' ? 'success' : status === 'Fail' ? 'fail' : 'timeout'] += 1;
    this.completeIfDone(task);
  }

  private completeIfDone(task: BatchTask): void {
    const { success, fail, timeout } = task.counts;
    if (task.status === 'Running' && success + fail + timeout === task.details.length) task.status = 'Complete';
  }

  /** At the deadline: unanswered commands time out, undelivered ones expire. */
  private expire(task: BatchTask): void {
    if (task.status === 'Complete' || task.status === 'Timeout') return;
    task.status = 'Timeout';
    for (const detail of task.details) {
      if (detail.status === 'WaitResult') {
        this.settle(task, detail, 'Timeout', NO_ANSWER);
      } else if (detail.status === 'Pending') {
        detail.expired = true;
        task.counts.expired += 1;
      }
    }
  }
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}
