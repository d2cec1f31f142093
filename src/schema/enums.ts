import { registerEnumType } from 'type-graphql';

// Values equal the domain's (src/datasources/models.ts), so domain objects serialize as they are.

export enum OperationType {
  FIRMWARE_UPGRADE = 'FIRMWARE_UPGRADE',
  SOFTWARE_UPGRADE = 'SOFTWARE_UPGRADE',
}

export enum OperationStatus {
  WAIT = 'WAIT',
  PROCESSING = 'PROCESSING',
  SUCCESS = 'SUCCESS',
  FAILED = 'FAILED',
  STOPPED = 'STOPPED',
}

export enum SubtaskStatus {
  WAIT = 'WAIT',
  PROCESSING = 'PROCESSING',
  SUCCESS = 'SUCCESS',
  FAILED = 'FAILED',
  STOPPED = 'STOPPED',
  TIMEOUT = 'TIMEOUT',
}

export enum ExecuteType {
  NOW = 'NOW',
  DEVICE_ONLINE = 'DEVICE_ONLINE',
  CUSTOM = 'CUSTOM',
}

export enum DeviceStatus {
  ONLINE = 'ONLINE',
  OFFLINE = 'OFFLINE',
  INACTIVE = 'INACTIVE',
  ABNORMAL = 'ABNORMAL',
}

export enum BatchTaskStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  COMPLETE = 'COMPLETE',
  TIMEOUT = 'TIMEOUT',
}

export enum BatchTaskDetailStatus {
  PENDING = 'PENDING',
  WAIT_RESULT = 'WAIT_RESULT',
  SUCCESS = 'SUCCESS',
  FAIL = 'FAIL',
  TIMEOUT = 'TIMEOUT',
}

export enum UpgradeStep {
  IDLE = 'IDLE',
  DOWNLOADING = 'DOWNLOADING',
  DOWNLOADED = 'DOWNLOADED',
  UPDATING = 'UPDATING',
}

export enum PackageType {
  FIRMWARE = 'FIRMWARE',
  SOFTWARE = 'SOFTWARE',
}

registerEnumType(OperationType, { name: 'OperationType', description: 'platform: firmware_upgrade, software_upgrade' });
registerEnumType(OperationStatus, { name: 'OperationStatus', description: 'platform: wait, processing, success, failed (also fail, FAIL), stop' });
registerEnumType(SubtaskStatus, { name: 'SubtaskStatus', description: 'platform: wait, processing, success, fail, stop, timeout' });
registerEnumType(ExecuteType, { name: 'ExecuteType', description: 'platform: now, device_online, custom' });
registerEnumType(DeviceStatus, { name: 'DeviceStatus' });
registerEnumType(BatchTaskStatus, { name: 'BatchTaskStatus', description: 'platform: Pending, Running, Complete, Timeout' });
registerEnumType(BatchTaskDetailStatus, { name: 'BatchTaskDetailStatus', description: 'platform: Pending, WaitResult, Success, Fail, Timeout' });
registerEnumType(PackageType, { name: 'PackageType', description: 'platform: firmwarePackage, softwarePackage' });
registerEnumType(UpgradeStep, { name: 'UpgradeStep', description: 'From state-change notifications: fw step 0-3, sw idle/downloading/downloaded/updating' });
