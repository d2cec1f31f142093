// Acceptance item 1: every documented error code of every endpoint comes back for the matching bad request,
// with the documented HTTP status and a {error_code, error_desc} body. The required (operation, code) pairs are
// read from openapi.yaml, so a code added to the spec without a row in error-cases.ts fails the coverage test.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestEmulator, type Api, type Started } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';
import { documentedErrors, operations, schemaErrors } from '../harness/spec.js';
import { CALLBACK, cases, nonAuthOps, prepareErrorCases, readmePairs, validRequest, type Fixtures } from './error-cases.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let emu: Started;
let api: Api;
let f: Fixtures;

beforeAll(async () => {
  emu = await startTestEmulator({ seed: 11 });
  api = emu.api;
  f = await prepareErrorCases(api);
});

afterAll(async () => { await emu?.close(); });

describe('error table', () => {
  test('covers every documented (operation, code) pair with a documented HTTP status', () => {
    const documented = [...documentedErrors(), ...readmePairs];
    const key = (o: string, code: string) => `${o} ${code}`;
    const covered = new Set(cases.map((x) => key(x.op, x.code)));
    const missing = [...new Set(documented.map((d) => key(d.operationId, d.code)))].filter((k) => !covered.has(k));
    expect(missing).toEqual([]);
    // Each row's status must be one the docs give for that pair (100203 on device get is listed as 403 and 500).
    const wrongStatus = cases
      .filter((x) => !documented.some((d) => d.operationId === x.op && d.code === x.code && d.http === x.http))
      .map((x) => `${key(x.op, x.code)} ${x.http} (${x.why})`);
    expect(wrongStatus).toEqual([]);
    // The loops reach every non-auth endpoint of the spec.
    expect(nonAuthOps.length).toBe(operations.length - 2);
    expect(Object.keys(validRequest).sort()).toEqual(operations.map((o) => o.operationId).sort());
  });

  test.each(cases.map((x) => [`${x.op} ${x.code} (${x.http}): ${x.why}`, x] as const))('%s', async (_name, x) => {
    const res = await x.run();
    expect({ status: res.status, code: res.body?.error_code }, res.text.slice(0, 300)).toEqual({ status: x.http, code: x.code });
    expect(Object.keys(res.body).sort()).toEqual(['error_code', 'error_desc']);
    expect(res.body.error_code).toMatch(/^\d+$/);
    expect(typeof res.body.error_desc).toBe('string');
    expect(res.body.error_desc.length).toBeGreaterThan(0);
    expect(await schemaErrors('ErrorBody', res.body)).toEqual([]);
    expect(res.headers.get('content-type') ?? '').toMatch(/application\/json/);
  });
});

describe('rejected requests change nothing', () => {
  test('a throttled, unauthenticated or faulted delete leaves the package in place; a real delete removes it', async () => {
    // The 1010005/1010009/50252 rows above sent DELETE for the spare package: it must still exist.
    expect((await api.get(`${PATH.packages}/${f.spareFileId}`)).status).toBe(200);
    const del = await api.call('DELETE', `${PATH.packages}/${f.spareFileId}`);
    expect(del.status).toBe(200);
    expect(del.text).toBe('');
    const after = await api.get(`${PATH.packages}/${f.spareFileId}`);
    expect([after.status, after.body?.error_code]).toEqual([404, '123002']);
  });

  test('refused subscription calls left the fixture subscription alone and added none', async () => {
    const list = await api.ok(PATH.subscriptions, { pageSize: 100 });
    expect(list.subscriptions).toEqual([{ subscriptionId: f.subscriptionId, notifyType: 'ruleEvent', callbackUrl: CALLBACK }]);
  });

  test('rejected creates made no upgrade task for the fixture device', async () => {
    // Only the valid creates of this file may have produced tasks; none of the 400/404 rows may have.
    const list = await api.ok(PATH.operations, { deviceId: f.mismatchFw.deviceId, pageSize: 100 });
    const mine = (list.data as Json[]).filter((o) => Date.parse(compactToIso(o.createTime)) >= Date.parse(emu.options.startTime as string));
    expect(mine).toEqual([]);
  });
});

function compactToIso(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
}
