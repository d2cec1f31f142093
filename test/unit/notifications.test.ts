// The platform's notifications as changes: exactly the documented payloads (northbound-api README §9, §11.4).
import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/datasources/normalize.js';
import { parseNotification } from '../../src/sync/notifications.js';

const normalizer = new Normalizer(() => undefined);
const parse = (body: unknown) => parseNotification(body, normalizer, 'our-app');
const base = { deviceId: 'd-1', appId: 'our-app', operationId: 'op-1', subOperationId: 'sub-1' };

describe('parseNotification', () => {
  it('reads a device pushed whole (deviceAdded, deviceInfoChanged) and a deletion', () => {
    expect(parse({ notifyType: 'deviceInfoChanged', deviceId: 'd-1', gatewayId: 'd-1', deviceInfo: { fwVersion: 'V2', status: 'ONLINE', name: 'M' } })).toMatchObject({
      kind: 'device',
      device: { id: 'd-1', gatewayId: 'd-1', fwVersion: 'V2', status: 'ONLINE', name: 'M' },
    });
    expect(parse({ notifyType: 'deviceDeleted', deviceId: 'd-1', gatewayId: 'd-1' })).toEqual({ kind: 'deviceDeleted', deviceId: 'd-1' });
  });

  it('reads upgrade steps and results of both kinds', () => {
    expect(parse({ ...base, notifyType: 'fwUpgradeStateChangeNotify', step: '2', stepDesc: 'downloaded' })).toMatchObject({ kind: 'subtask', step: 'DOWNLOADED', subtaskId: 'sub-1' });
    expect(parse({ ...base, notifyType: 'swUpgradeStateChangeNotify', swUpgradeState: 'updating' })).toMatchObject({ step: 'UPDATING' });
    expect(parse({ ...base, notifyType: 'fwUpgradeResultNotify', status: 'SUCCESS' })).toMatchObject({ status: 'SUCCESS' });
    expect(parse({ ...base, notifyType: 'swUpgradeResultNotify', swUpgradeResult: 'FAIL', resultDesc: 'battery low' })).toMatchObject({ status: 'FAILED', detail: 'battery low' });
  });

  it.each([
    ['not an object', '[1]'],
    ['no deviceId', { notifyType: 'deviceDeleted' }],
    ['a deviceId that would leave its path', { notifyType: 'deviceDeleted', deviceId: '..' }],
    ['an unknown type', { notifyType: 'deviceDataChanged', deviceId: 'd-1' }],
    ['a device change without deviceInfo', { notifyType: 'deviceInfoChanged', deviceId: 'd-1', gatewayId: 'd-1' }],
    ["another application's upgrade", { ...base, appId: 'someone-else', notifyType: 'fwUpgradeResultNotify', status: 'SUCCESS' }],
    ['an upgrade without its task', { notifyType: 'fwUpgradeResultNotify', deviceId: 'd-1', status: 'SUCCESS' }],
    ['an unknown step', { ...base, notifyType: 'fwUpgradeStateChangeNotify', step: '9' }],
    ['an unknown result', { ...base, notifyType: 'fwUpgradeResultNotify', status: 'MAYBE' }],
  ])('refuses %s', (_, body) => {
    expect(parse(typeof body === 'string' ? JSON.parse(body) : body)).toHaveProperty('refused');
  });
});
