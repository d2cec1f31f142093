// The documented conversions (DESIGN.md §2), written out independently of the gateway's own: what the gateway must
// answer for a platform object the tests read straight from the emulator.

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `20151212T121212Z` → `2015-12-12T12:12:12Z`; absent → null. */
export function iso(compact: unknown): string | null {
  if (compact === undefined || compact === null) return null;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(compact));
  if (!m) throw new Error(`not a compact platform time: ${String(compact)}`);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

export const OPERATION_STATUS: Record<string, string> = {
  wait: 'WAIT',
  processing: 'PROCESSING',
  success: 'SUCCESS',
  failed: 'FAILED',
  fail: 'FAILED',
  FAIL: 'FAILED',
  stop: 'STOPPED',
};
export const SUBTASK_STATUS: Record<string, string> = { ...OPERATION_STATUS, timeout: 'TIMEOUT' };
/** GraphQL → the platform's spelling in list filters. */
export const OPERATION_STATUS_PARAM: Record<string, string> = { WAIT: 'wait', PROCESSING: 'processing', SUCCESS: 'success', FAILED: 'failed', STOPPED: 'stop' };
export const SUBTASK_STATUS_PARAM: Record<string, string> = { ...OPERATION_STATUS_PARAM, FAILED: 'fail', TIMEOUT: 'timeout' };
const EXECUTE_TYPE: Record<string, string> = { now: 'NOW', device_online: 'DEVICE_ONLINE', custom: 'CUSTOM' };
const PACKAGE_TYPE: Record<string, string> = { firmwarePackage: 'FIRMWARE', softwarePackage: 'SOFTWARE' };
export const DETAIL_STATUS: Record<string, string> = { Pending: 'PENDING', WaitResult: 'WAIT_RESULT', Success: 'SUCCESS', Fail: 'FAIL', Timeout: 'TIMEOUT' };
const BATCH_STATUS: Record<string, string> = { Pending: 'PENDING', Running: 'RUNNING', Complete: 'COMPLETE', Timeout: 'TIMEOUT' };

export function expectedOperation(raw: Json) {
  const s = raw.staResult;
  const completed = s.success + s.fail + s.stop + s.timeout;
  return {
    id: raw.operationId,
    type: String(raw.operateType).toUpperCase(),
    status: OPERATION_STATUS[raw.status],
    createdAt: iso(raw.createTime),
    startedAt: iso(raw.startTime),
    stoppedAt: iso(raw.stopTime),
    targets: {
      deviceIds: raw.targets.devices ?? [],
      deviceGroups: raw.targets.deviceGroups ?? [],
      deviceType: orNull(raw.targets.deviceType),
      model: orNull(raw.targets.model),
      manufacturerName: orNull(raw.targets.manufacturerName),
    },
    policy: {
      executeType: EXECUTE_TYPE[raw.policy.executeType],
      startTime: iso(raw.policy.startTime),
      endTime: iso(raw.policy.endTime),
      retry: raw.policy.retryType === true,
      retryTimes: orNull(raw.policy.retryTimes),
    },
    stats: {
      total: s.total,
      wait: s.wait,
      processing: s.processing,
      success: s.success,
      fail: s.fail,
      stop: s.stop,
      timeout: s.timeout,
      completed,
      progress: s.total === 0 ? 0 : Math.round((completed / s.total) * 10_000) / 10_000,
      successRate: s.total === 0 ? null : Math.round((s.success / s.total) * 10_000) / 10_000,
    },
    targetVersion: orNull(raw.extendPara?.fileVersion),
    extendPara: orNull(raw.extendPara),
  };
}

export function expectedSubtask(raw: Json) {
  return {
    id: raw.subOperationId,
    type: String(raw.operateType).toUpperCase(),
    status: SUBTASK_STATUS[raw.status],
    createdAt: iso(raw.createTime),
    startedAt: iso(raw.startTime),
    stoppedAt: iso(raw.stopTime),
    detail: orNull(raw.detailInfo),
    extendInfo: orNull(raw.extendInfo),
    deviceId: raw.deviceId,
  };
}

export function expectedDevice(raw: Json) {
  const info = raw.deviceInfo;
  return {
    id: raw.deviceId,
    gatewayId: orNull(raw.gatewayId),
    nodeType: orNull(raw.nodeType),
    nodeId: orNull(info.nodeId),
    name: orNull(info.name),
    description: orNull(info.description),
    manufacturerId: orNull(info.manufacturerId),
    manufacturerName: orNull(info.manufacturerName),
    deviceType: orNull(info.deviceType),
    model: orNull(info.model),
    protocolType: orNull(info.protocolType),
    swVersion: orNull(info.swVersion),
    fwVersion: orNull(info.fwVersion),
    hwVersion: orNull(info.hwVersion),
    serialNumber: orNull(info.serialNumber),
    mac: orNull(info.mac),
    location: orNull(info.location),
    status: orNull(info.status),
    statusDetail: orNull(info.statusDetail),
    signalStrength: orNull(info.signalStrength),
    batteryLevel: orNull(info.batteryLevel),
    createdAt: iso(raw.createTime),
    lastModifiedAt: iso(raw.lastModifiedTime),
  };
}

export function expectedPackage(raw: Json) {
  return {
    id: raw.fileId,
    name: orNull(raw.name),
    version: orNull(raw.version),
    type: PACKAGE_TYPE[raw.fileType],
    deviceType: orNull(raw.deviceType),
    model: orNull(raw.model),
    manufacturerName: orNull(raw.manufacturerName),
    protocolType: orNull(raw.protocolType),
    description: orNull(raw.description),
    uploadedAt: iso(raw.uploadTime),
  };
}

export function expectedGroup(raw: Json) {
  return { id: raw.id, name: raw.name, description: orNull(raw.description), maxDevices: orNull(raw.maxDevNum), deviceCount: orNull(raw.curDevNum) };
}

export function expectedBatchTask(raw: Json) {
  return {
    id: raw.taskId,
    appId: orNull(raw.appId),
    name: orNull(raw.taskName),
    operator: orNull(raw.operator),
    source: orNull(raw.taskFrom),
    type: raw.taskType,
    status: BATCH_STATUS[raw.status],
    startedAt: iso(raw.startTime),
    // The platform's seconds, in minutes as on create.
    timeout: raw.timeout === undefined ? null : Math.round(raw.timeout / 60),
    stats: {
      total: raw.totalCnt,
      success: raw.successCnt,
      fail: raw.failCnt,
      timeout: raw.timeoutCnt,
      expired: raw.expiredCnt,
      completed: raw.completeCnt,
      progress: raw.progress / 1000,
      successRate: raw.successRate / 1000,
    },
    param: orNull(raw.param),
    tags: (raw.tags ?? []).map((t: Json) => ({ name: t.tagName, value: t.tagValue })),
  };
}

/** A detail as `GET taskDetails` returns it (error a JSON string, the device in param). */
export function expectedBatchDetail(raw: Json) {
  const error = raw.error === undefined ? undefined : (JSON.parse(raw.error) as Json);
  return {
    status: DETAIL_STATUS[raw.status],
    output: orNull(raw.output),
    error: error === undefined ? null : { code: error.error_code, description: orNull(error.error_desc) },
    deviceId: orNull(raw.param?.deviceId),
    commandId: orNull(raw.param?.commandId),
    param: orNull(raw.param),
  };
}

/** The value, after asserting it is there (a null or missing part of an answer fails the test here). */
export function present<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} in the answer, got ${String(value)}`);
  return value;
}

const ISO_WITH_ZERO_MILLIS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.000Z$/;

/**
 * The answer with `…:ss.000Z` times written `…:ssZ`. Comparisons of whole objects use it so that a wrong DateTime
 * format fails its own test (see queries.test.ts) instead of every comparison; the instant is still compared.
 */
export function sameSecondTimes<T>(value: T): T {
  if (typeof value === 'string') return value.replace(ISO_WITH_ZERO_MILLIS, '$1Z') as T;
  if (Array.isArray(value)) return value.map(sameSecondTimes) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sameSecondTimes(v)])) as T;
  }
  return value;
}
