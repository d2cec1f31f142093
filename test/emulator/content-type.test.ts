// Every answer but a 204 names its Content-Type, the empty 200s too: Huawei's Java SDK reads the content type of each
// answer that is not a 204 (and fails on one without), so the platform sends one. The two empty 200s of the spec
// (management subscribe, package delete) are sent here as the SDKs send them: JSON content type on every call,
// `callbackurl` spelt as the SDKs spell it, no body on the DELETE.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestEmulator, type Api, type Res, type Started } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';
import { op } from '../harness/spec.js';

const JSON_TYPE = /^application\/json;\s*charset=UTF-8$/i;

let emu: Started;
let api: Api;

beforeAll(async () => {
  emu = await startTestEmulator({ seed: 5, devices: 50 });
  api = emu.api;
});

afterAll(async () => {
  await emu?.close();
});

/** As the SDKs call: app_key, the bearer token and a JSON content type, whatever the method. */
function asSdk(method: string, path: string, body?: unknown): Promise<Res> {
  return api.call(method, path, { headers: { 'content-type': 'application/json' }, json: body });
}

describe('empty answers say their type', () => {
  test('the spec documents both as 200 with no body', () => {
    expect(Object.keys(op('subscribeManagementData').raw.responses)).toContain('200');
    expect(op('subscribeManagementData').raw.responses['200'].content).toBeUndefined();
    expect(op('deleteUpgradePackage').raw.responses['200'].content).toBeUndefined();
  });

  test('management subscribe: 200, empty, application/json', async () => {
    const res = await asSdk('POST', PATH.subscribe, { notifyType: 'fwUpgradeResultNotify', callbackurl: 'https://127.0.0.1:8443/v1.0.0/messageReceiver' });

    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('content-length')).toBe('0');
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
  });

  test('package delete: 200, empty, application/json; the package is gone after it', async () => {
    const list = await api.ok(PATH.packages, { pageNo: 0, pageSize: 1 });
    const fileId: string = list.data[0].fileId;

    const res = await api.call('DELETE', `${PATH.packages}/${fileId}`, { headers: { 'content-type': 'application/json' } });

    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
    const after = await api.get(`${PATH.packages}/${fileId}`);
    expect([after.status, after.body?.error_code]).toEqual([404, '123002']);
    expect(after.headers.get('content-type')).toMatch(JSON_TYPE);
  });

  test('a 204 (service-data subscription delete) has no body and no type', async () => {
    const created = await asSdk('POST', PATH.subscriptions, { notifyType: 'deviceAdded', callbackUrl: 'https://127.0.0.1:8443/v1.0.0/messageReceiver' });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toMatch(JSON_TYPE);

    const res = await api.call('DELETE', `${PATH.subscriptions}/${created.body.subscriptionId}`);

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('content-type')).toBeNull();
  });
});
