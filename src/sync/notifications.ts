/**
 * The platform's notifications (northbound-api README §9 and §11.4) as changes the mirror can apply. Anything that
 * is not one of them, exactly as documented, is refused: the receiver's URL is a secret, but a payload is checked
 * all the same.
 */
import type { Device } from '../domain/devices.js';
import type { OperationType, SubtaskNotice, UpgradeStep } from '../domain/upgrade-tasks.js';
import type { Normalizer } from '../datasources/normalize.js';

export type Change =
  | { kind: 'device'; device: Device }
  | { kind: 'deviceDeleted'; deviceId: string }
  | (SubtaskNotice & {
      kind: 'subtask';
      /** The version the device reports after a successful upgrade (a result notice's `curVersion`). */
      version?: string;
    });

/** The notification types the gateway subscribes to, per API. */
export const MANAGEMENT_TYPES = ['fwUpgradeStateChangeNotify', 'fwUpgradeResultNotify', 'swUpgradeStateChangeNotify', 'swUpgradeResultNotify'] as const;
export const SERVICE_TYPES = ['deviceAdded', 'deviceInfoChanged', 'deviceDeleted'] as const;

const FW_STEPS: Record<string, UpgradeStep> = { '0': 'IDLE', '1': 'DOWNLOADING', '2': 'DOWNLOADED', '3': 'UPDATING' };
const SW_STATES: Record<string, UpgradeStep> = { idle: 'IDLE', downloading: 'DOWNLOADING', downloaded: 'DOWNLOADED', updating: 'UPDATING' };
const ID = /^[\w.:-]{1,256}$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const id = (value: unknown): string | undefined => (typeof value === 'string' && ID.test(value) && value !== '.' && value !== '..' ? value : undefined);

/** The change a notification reports, or the reason it is refused. */
export function parseNotification(body: unknown, normalize: Normalizer, appId: string): Change | { refused: string } {
  if (!isRecord(body)) return { refused: 'not a JSON object' };
  const { notifyType } = body;
  const deviceId = id(body.deviceId);
  if (deviceId === undefined) return { refused: 'no valid deviceId' };
  switch (notifyType) {
    case 'deviceAdded':
    case 'deviceInfoChanged': {
      if (!isRecord(body.deviceInfo)) return { refused: `${notifyType} without deviceInfo` };
      const gatewayId = body.gatewayId === undefined ? undefined : id(body.gatewayId);
      if (body.gatewayId !== undefined && gatewayId === undefined) return { refused: 'invalid gatewayId' };
      const device = normalize.device({ deviceId, gatewayId, nodeType: body.nodeType, deviceInfo: body.deviceInfo });
      return { kind: 'device', device };
    }
    case 'deviceDeleted':
      return { kind: 'deviceDeleted', deviceId };
    case 'fwUpgradeStateChangeNotify':
    case 'swUpgradeStateChangeNotify':
    case 'fwUpgradeResultNotify':
    case 'swUpgradeResultNotify': {
      // Management notifications name the application: another application's are not ours to apply.
      if (body.appId !== undefined && body.appId !== appId) return { refused: 'another application' };
      const operationId = id(body.operationId);
      const subtaskId = id(body.subOperationId);
      if (operationId === undefined || subtaskId === undefined) return { refused: 'no valid operationId/subOperationId' };
      const type: OperationType = notifyType.startsWith('fw') ? 'FIRMWARE_UPGRADE' : 'SOFTWARE_UPGRADE';
      const base = { kind: 'subtask' as const, operationId, subtaskId, deviceId, type };
      if (notifyType === 'fwUpgradeStateChangeNotify' || notifyType === 'swUpgradeStateChangeNotify') {
        const step = notifyType === 'fwUpgradeStateChangeNotify' ? FW_STEPS[String(body.step)] : SW_STATES[String(body.swUpgradeState).toLowerCase()];
        return step ? { ...base, step } : { refused: 'unknown upgrade step' };
      }
      const result = String(notifyType === 'fwUpgradeResultNotify' ? body.status : body.swUpgradeResult).toUpperCase();
      if (result !== 'SUCCESS' && result !== 'FAIL') return { refused: 'unknown upgrade result' };
      const detail = [body.statusDesc, body.resultDesc].find((d): d is string => typeof d === 'string' && d !== '');
      const version = typeof body.curVersion === 'string' && body.curVersion !== '' && body.curVersion.length <= 256 ? body.curVersion : undefined;
      if (result === 'SUCCESS') return { ...base, status: 'SUCCESS', ...(version ? { version } : {}) };
      return { ...base, status: 'FAILED', ...(detail ? { detail } : {}) };
    }
    default:
      return { refused: 'unknown notifyType' };
  }
}
