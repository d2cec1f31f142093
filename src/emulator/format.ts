/** Records → the platform's JSON shapes (openapi.yaml components.schemas), with compact UTC times. */
import { statusAt } from './device-status.js';
import type { BatchDetail, BatchTask, Device, DeviceGroup, Operation, Subtask, UpgradePackage } from './model.js';
import { toCompact } from './time.js';

const compact = (ms: number | undefined) => (ms === undefined ? undefined : toCompact(ms));

export function formatDevice(device: Device, now: number, withImsi = false): Record<string, unknown> {
  const status = statusAt(device.connectivity, now);
  const p = device.product;
  const statusDetail =
    status === 'INACTIVE' ? 'NOT_ACTIVE'
    : status === 'ABNORMAL' ? 'COMMUNICATION_ERROR'
    : status === 'ONLINE' && device.upgrading > 0 ? 'FIRMWARE_UPDATING'
    : 'NONE';
  return {
    deviceId: device.deviceId,
    gatewayId: device.gatewayId,
    nodeType: device.nodeType,
    createTime: toCompact(device.createTime),
    lastModifiedTime: toCompact(Math.min(device.lastModifiedTime, now)),
    deviceInfo: {
      nodeId: device.nodeId,
      name: device.name,
      description: device.description,
      manufacturerId: p.manufacturerId,
      manufacturerName: p.manufacturerName,
      mac: device.mac,
      location: device.location,
      deviceType: p.deviceType,
      model: p.model,
      swVersion: device.swVersion,
      fwVersion: device.fwVersion,
      hwVersion: device.hwVersion,
      protocolType: p.protocolType,
      status,
      statusDetail,
      mute: 'FALSE',
      supportedSecurity: 'FALSE',
      isSecurity: 'FALSE',
      signalStrength: device.signalStrength,
      sigVersion: 'V1.0',
      serialNumber: device.serialNumber,
      batteryLevel: device.batteryLevel,
      ...(withImsi ? { imsi: device.imsi } : {}),
    },
    services: [
      {
        serviceId: p.deviceType,
        serviceType: p.deviceType,
        serviceInfo: { muteCmds: [] },
        data: { batteryLevel: Number(device.batteryLevel), signalStrength: Number(device.signalStrength) },
        eventTime: toCompact(Math.min(device.lastModifiedTime, now)),
      },
    ],
  };
}

export function formatPackage(pkg: UpgradePackage): Record<string, unknown> {
  return {
    fileId: pkg.fileId,
    name: pkg.name,
    version: pkg.version,
    fileType: pkg.fileType,
    deviceType: pkg.product.deviceType,
    model: pkg.product.model,
    manufacturerName: pkg.product.manufacturerName,
    protocolType: pkg.product.protocolType,
    description: pkg.description,
    date: pkg.date,
    uploadTime: toCompact(pkg.uploadTime),
  };
}

export function formatOperation(operation: Operation): Record<string, unknown> {
  const { policy, counts } = operation;
  return {
    operationId: operation.operationId,
    createTime: toCompact(operation.createTime),
    startTime: compact(operation.startTime),
    stopTime: compact(operation.stopTime),
    operateType: operation.operateType,
    targets: operation.targets,
    policy: {
      executeType: policy.executeType,
      startTime: compact(policy.startTime),
      endTime: compact(policy.endTime),
      retryType: policy.retryType,
      retryTimes: policy.retryTimes,
    },
    status: operation.status,
    staResult: { total: operation.subtasks.length, ...counts },
    extendPara: { fileId: operation.pkg.fileId, fileName: operation.pkg.name, fileVersion: operation.pkg.version },
  };
}

export function formatSubtask(subtask: Subtask): Record<string, unknown> {
  const { operation } = subtask;
  return {
    subOperationId: subtask.subOperationId,
    createTime: toCompact(subtask.createTime),
    startTime: compact(subtask.startTime),
    stopTime: compact(subtask.stopTime),
    operateType: operation.operateType,
    deviceId: subtask.deviceId,
    status: subtask.status,
    detailInfo: subtask.detailInfo,
    extendInfo: { sourceVersion: subtask.sourceVersion, targetVersion: operation.pkg.version, attempts: subtask.attempts },
  };
}

export function formatGroup(group: DeviceGroup): Record<string, unknown> {
  return {
    name: group.name,
    description: group.description,
    id: group.id,
    appId: group.appId,
    maxDevNum: group.maxDevNum,
    curDevNum: group.members.length,
    creator: group.creator,
  };
}

const perMille = (part: number, total: number) => (total === 0 ? 0 : Math.floor((1000 * part) / total));

export function formatBatchTask(task: BatchTask, withTags: boolean): Record<string, unknown> {
  const { success, fail, timeout, expired } = task.counts;
  const total = task.details.length;
  const complete = success + fail + timeout;
  return {
    appId: task.appId,
    taskId: task.taskId,
    taskName: task.taskName,
    operator: task.operator,
    taskFrom: task.taskFrom,
    taskType: task.taskType,
    status: task.status,
    startTime: toCompact(task.startTime),
    // The query-one page documents seconds, although create takes minutes.
    timeout: task.timeoutMinutes * 60,
    progress: total === 0 && task.status === 'Complete' ? 1000 : perMille(complete, total),
    totalCnt: total,
    successCnt: success,
    failCnt: fail,
    timeoutCnt: timeout,
    expiredCnt: expired,
    completeCnt: complete,
    successRate: perMille(success, total),
    param: task.param,
    ...(withTags ? { tags: task.tags } : {}),
  };
}

export function formatBatchDetail(detail: BatchDetail): Record<string, unknown> {
  return {
    status: detail.status,
    output: detail.output,
    error: detail.error === undefined ? undefined : JSON.stringify(detail.error),
    param: { deviceId: detail.deviceId, commandId: detail.commandId },
  };
}
