/**
 * Platform payload → domain object, once, here. The platform spells its enums several ways (`fail`, `failed`,
 * `FAIL`); unknown spellings are logged once per value and mapped to an in-progress state, so a new platform value
 * shows a task as still running instead of failing the query or claiming an outcome it does not know.
 */
import type { BatchTask, BatchTaskDetail, BatchTaskDetailStatus, BatchTaskStatus, Tag, UpstreamError } from '../domain/batch-tasks.js';
import type { Device, DeviceStatus } from '../domain/devices.js';
import type { DeviceGroup, PackageType, UpgradePackage } from '../domain/packages.js';
import { statsOf, statusOf, type ExecuteType, type Operation, type OperationStats, type OperationStatus, type OperationType, type Subtask, type SubtaskStatus } from '../domain/upgrade-tasks.js';
import { fraction, type IsoTime, type JsonObject } from '../domain/values.js';

export type Warn = (message: string) => void;

type Raw = Record<string, unknown>;

const COMPACT_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export class Normalizer {
  private readonly reported = new Set<string>();

  constructor(private readonly warn: Warn) {}

  /** `20151212T121212Z` → `2015-12-12T12:12:12Z`; ISO input passes through; anything else is dropped. */
  time(value: unknown, field: string): IsoTime | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') {
      const m = COMPACT_TIME.exec(value);
      if (m) return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
      if (!Number.isNaN(Date.parse(value))) return new Date(value).toISOString().replace('.000Z', 'Z');
    }
    this.unknown(field, value);
    return undefined;
  }

  operationType(value: unknown): OperationType {
    const key = spelling(value);
    if (key === 'firmwareupgrade') return 'FIRMWARE_UPGRADE';
    if (key === 'softwareupgrade') return 'SOFTWARE_UPGRADE';
    this.unknown('operateType', value);
    return 'FIRMWARE_UPGRADE';
  }

  operationStatus(value: unknown, stats: OperationStats): OperationStatus {
    const status = SUBTASK_STATUSES[spelling(value)];
    if (status === 'TIMEOUT') return 'FAILED';
    if (status) return status;
    this.unknown('operation status', value);
    return statusOf(stats);
  }

  subtaskStatus(value: unknown): SubtaskStatus {
    const status = SUBTASK_STATUSES[spelling(value)];
    if (status) return status;
    this.unknown('subtask status', value);
    return 'PROCESSING';
  }

  executeType(value: unknown): ExecuteType {
    const key = spelling(value);
    if (key === 'now') return 'NOW';
    if (key === 'deviceonline') return 'DEVICE_ONLINE';
    if (key === 'custom') return 'CUSTOM';
    if (value !== undefined) this.unknown('executeType', value);
    return 'NOW';
  }

  deviceStatus(value: unknown): DeviceStatus | undefined {
    const key = typeof value === 'string' ? value.trim().toUpperCase() : '';
    if (key === 'ONLINE' || key === 'OFFLINE' || key === 'INACTIVE' || key === 'ABNORMAL') return key;
    if (value !== undefined && value !== null) this.unknown('device status', value);
    return undefined;
  }

  batchTaskStatus(value: unknown): BatchTaskStatus {
    const key = spelling(value);
    if (key === 'pending') return 'PENDING';
    if (key === 'running') return 'RUNNING';
    if (key === 'complete' || key === 'completed') return 'COMPLETE';
    if (key === 'timeout') return 'TIMEOUT';
    this.unknown('batch task status', value);
    return 'RUNNING';
  }

  batchTaskDetailStatus(value: unknown): BatchTaskDetailStatus {
    const key = spelling(value);
    if (key === 'pending') return 'PENDING';
    if (key === 'waitresult') return 'WAIT_RESULT';
    if (key === 'success') return 'SUCCESS';
    if (key === 'fail' || key === 'failed') return 'FAIL';
    if (key === 'timeout') return 'TIMEOUT';
    this.unknown('batch subtask status', value);
    return 'PENDING';
  }

  packageType(value: unknown): PackageType | undefined {
    const key = spelling(value);
    if (key === 'firmwarepackage') return 'FIRMWARE';
    if (key === 'softwarepackage') return 'SOFTWARE';
    if (value !== undefined) this.unknown('fileType', value);
    return undefined;
  }

  operation(raw: Raw): Operation {
    const targets = record(raw.targets);
    const policy = raw.policy === undefined ? undefined : record(raw.policy);
    const extendPara = optionalRecord(raw.extendPara);
    const stats = operationStats(record(raw.staResult));
    return {
      id: String(raw.operationId),
      type: this.operationType(raw.operateType),
      status: this.operationStatus(raw.status, stats),
      createdAt: this.time(raw.createTime, 'createTime'),
      startedAt: this.time(raw.startTime, 'startTime'),
      stoppedAt: this.time(raw.stopTime, 'stopTime'),
      targets: {
        deviceIds: strings(targets.devices),
        deviceGroups: strings(targets.deviceGroups),
        deviceType: text(targets.deviceType),
        model: text(targets.model),
        manufacturerName: text(targets.manufacturerName),
      },
      policy: policy && {
        executeType: this.executeType(policy.executeType),
        startTime: this.time(policy.startTime, 'policy.startTime'),
        endTime: this.time(policy.endTime, 'policy.endTime'),
        retry: policy.retryType === true || policy.retryType === 'true',
        retryTimes: integer(policy.retryTimes),
      },
      stats,
      targetVersion: text(extendPara?.fileVersion),
      extendPara,
    };
  }

  subtask(raw: Raw, operationId: string): Subtask {
    return {
      id: String(raw.subOperationId),
      operationId,
      type: this.operationType(raw.operateType),
      status: this.subtaskStatus(raw.status),
      createdAt: this.time(raw.createTime, 'createTime'),
      startedAt: this.time(raw.startTime, 'startTime'),
      stoppedAt: this.time(raw.stopTime, 'stopTime'),
      detail: text(raw.detailInfo),
      extendInfo: optionalRecord(raw.extendInfo),
      deviceId: String(raw.deviceId),
    };
  }

  device(raw: Raw): Device {
    const info = record(raw.deviceInfo);
    return {
      id: String(raw.deviceId),
      gatewayId: text(raw.gatewayId),
      nodeType: text(raw.nodeType),
      nodeId: text(info.nodeId),
      name: text(info.name),
      description: text(info.description),
      manufacturerId: text(info.manufacturerId),
      manufacturerName: text(info.manufacturerName),
      deviceType: text(info.deviceType),
      model: text(info.model),
      protocolType: text(info.protocolType),
      swVersion: text(info.swVersion),
      fwVersion: text(info.fwVersion),
      hwVersion: text(info.hwVersion),
      serialNumber: text(info.serialNumber),
      mac: text(info.mac),
      location: text(info.location),
      status: this.deviceStatus(info.status),
      statusDetail: text(info.statusDetail),
      signalStrength: text(info.signalStrength),
      batteryLevel: text(info.batteryLevel),
      createdAt: this.time(raw.createTime, 'createTime'),
      lastModifiedAt: this.time(raw.lastModifiedTime, 'lastModifiedTime'),
    };
  }

  upgradePackage(raw: Raw): UpgradePackage {
    return {
      id: String(raw.fileId),
      name: text(raw.name),
      version: text(raw.version),
      type: this.packageType(raw.fileType),
      deviceType: text(raw.deviceType),
      model: text(raw.model),
      manufacturerName: text(raw.manufacturerName),
      protocolType: text(raw.protocolType),
      description: text(raw.description),
      uploadedAt: this.time(raw.uploadTime, 'uploadTime'),
    };
  }

  deviceGroup(raw: Raw): DeviceGroup {
    return {
      id: String(raw.id),
      name: String(raw.name ?? ''),
      description: text(raw.description),
      maxDevices: integer(raw.maxDevNum),
      deviceCount: integer(raw.curDevNum),
    };
  }

  batchTask(raw: Raw): BatchTask {
    const total = integer(raw.totalCnt) ?? 0;
    const success = integer(raw.successCnt) ?? 0;
    const fail = integer(raw.failCnt) ?? 0;
    const timeout = integer(raw.timeoutCnt) ?? 0;
    const param = optionalRecord(raw.param);
    return {
      id: String(raw.taskId),
      appId: text(raw.appId),
      name: text(raw.taskName),
      operator: text(raw.operator),
      source: text(raw.taskFrom),
      type: String(raw.taskType ?? ''),
      status: this.batchTaskStatus(raw.status),
      startedAt: this.time(raw.startTime, 'startTime'),
      // Seconds on the platform's answer, minutes on its create: the gateway says minutes both ways.
      timeout: minutesOf(integer(raw.timeout)),
      stats: {
        total,
        success,
        fail,
        timeout,
        expired: integer(raw.expiredCnt) ?? 0,
        completed: integer(raw.completeCnt) ?? success + fail + timeout,
        progress: fraction((integer(raw.progress) ?? 0) / 1000),
        successRate: fraction((integer(raw.successRate) ?? 0) / 1000),
      },
      param,
      tags: Array.isArray(raw.tags)
        ? raw.tags.map(record).map((t): Tag => ({ name: String(t.tagName ?? ''), value: String(t.tagValue ?? '') }))
        : [],
      deviceIds: param?.type === 'DeviceList' ? strings(param.deviceList) : [],
    };
  }

  batchTaskDetail(raw: Raw): BatchTaskDetail {
    const param = optionalRecord(raw.param);
    return {
      status: this.batchTaskDetailStatus(raw.status),
      output: text(raw.output),
      error: upstreamError(raw.error),
      deviceId: text(param?.deviceId),
      commandId: text(param?.commandId),
      param,
    };
  }

  private unknown(field: string, value: unknown): void {
    const key = `${field}=${JSON.stringify(value)}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.warn(`the platform sent an unknown ${field}: ${JSON.stringify(value)}`);
  }
}

const SUBTASK_STATUSES: Record<string, SubtaskStatus | undefined> = {
  wait: 'WAIT',
  waiting: 'WAIT',
  processing: 'PROCESSING',
  success: 'SUCCESS',
  fail: 'FAILED',
  failed: 'FAILED',
  stop: 'STOPPED',
  stopped: 'STOPPED',
  timeout: 'TIMEOUT',
};

/** Lower case without separators: `device_online`, `DEVICE-ONLINE` and `deviceOnline` compare equal. */
function spelling(value: unknown): string {
  return typeof value === 'string' ? value.trim().toLowerCase().replace(/[\s_-]/g, '') : '';
}

/** Whole minutes, as a batch task's timeout is given on create (10 to 2880). */
function minutesOf(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds / 60);
}

/** The platform's staResult: counts by status (quoted on some pages). */
function operationStats(raw: Raw): OperationStats {
  const count = (key: string) => integer(raw[key]) ?? 0;
  return statsOf({ total: integer(raw.total), wait: count('wait'), processing: count('processing'), success: count('success'), fail: count('fail'), stop: count('stop'), timeout: count('timeout') });
}

/** The batch subtask's `error`: a JSON string {"error_code","error_desc"} on the platform. */
function upstreamError(value: unknown): UpstreamError | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return { code: 'UNKNOWN', description: value };
    }
  }
  const error = record(parsed);
  if (error.error_code === undefined) return { code: 'UNKNOWN', description: JSON.stringify(parsed) };
  return { code: String(error.error_code), description: text(error.error_desc) };
}

export function record(value: unknown): Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : {};
}

function optionalRecord(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

/** Totals come as numbers or, on some pages, quoted strings. */
export function integer(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? Math.trunc(n) : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
