// Acceptance item 3: the per-application throttle (sliding 60 s window of emulated time) and access-token rules.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Api, START_TIME, startTestEmulator, type Res, type Started } from '../harness/emulator.js';
import { PATH, ROUTE } from '../harness/routes.js';

let emu: Started;
let api: Api;

const PACKAGES_ROUTE = ROUTE.packages;
const call = () => api.get(PATH.packages, { pageSize: 1 });
const outcome = (r: Res) => (r.status === 200 ? 'ok' : `${r.status} ${r.body?.error_code}`);
const THROTTLED = '403 1010009';
const BAD_TOKEN = '403 1010005';

async function calls(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(outcome(await call()));
  return out;
}

/** Fresh data, counters and clock, with the given budget; the client logs in again (reset keeps tokens, but be explicit). */
async function resetWith(throttlePerMinute: number) {
  await api.reset({ seed: 1, devices: 100, clock: 'manual', startTime: START_TIME, throttlePerMinute });
  await api.clearFaults();
  const login = await api.login();
  expect(login.status).toBe(200);
}

beforeAll(async () => {
  emu = await startTestEmulator({ devices: 100, throttlePerMinute: undefined }); // the documented default budget
  api = emu.api;
});
afterAll(async () => { await emu?.close(); });

describe('default budget', () => {
  test('100 calls per minute: the 101st is refused', async () => {
    expect(await calls(100)).toEqual(Array(100).fill('ok'));
    expect(await calls(1)).toEqual([THROTTLED]);
  });
});

describe('throttle', () => {
  beforeEach(() => resetWith(5));

  test('the 6th call within 60 s is refused with 403/1010009 and counted; 60 s later calls pass again', async () => {
    const before = await api.stats();
    expect(await calls(6)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', THROTTLED]);
    const res = await call();
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error_code: '1010009', error_desc: expect.any(String) });
    const stats = await api.stats();
    expect(stats.throttled - before.throttled).toBe(2);
    expect(stats.byRoute[PACKAGES_ROUTE]).toBeGreaterThanOrEqual(7); // every call to the route is counted, refused or not
    expect(stats.total - before.total).toBeGreaterThanOrEqual(7);
    await api.advance(60);
    expect(await calls(5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(await calls(1)).toEqual([THROTTLED]);
  });

  test('the window slides: calls expire one by one', async () => {
    // Calls at t=0,10,20,30,40 fill the budget of 5; each frees one slot 60 s after it was made.
    for (let i = 0; i < 5; i++) {
      expect(await calls(1)).toEqual(['ok']);
      await api.advance(10);
    }
    // t=50: full.
    expect(await calls(1)).toEqual([THROTTLED]);
    await api.advance(11); // t=61: only the t=0 call has left the window (a fixed window would free all 5)
    expect(await calls(2)).toEqual(['ok', THROTTLED]);
    await api.advance(10); // t=71: the t=10 call has left
    expect(await calls(2)).toEqual(['ok', THROTTLED]);
    await api.advance(30); // t=101: the t=20, t=30 and t=40 calls have left
    expect(await calls(4)).toEqual(['ok', 'ok', 'ok', THROTTLED]);
  });

  test('refused calls do not use the budget', async () => {
    expect(await calls(5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    await api.advance(30);
    expect(await calls(10)).toEqual(Array(10).fill(THROTTLED)); // these must not push the window further
    await api.advance(31); // t=61: the five accepted calls of t=0 are gone
    expect(await calls(5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  test('a throttlePerMinute fault overrides the budget until the faults are cleared', async () => {
    await api.reset({ seed: 1, devices: 100, clock: 'manual', startTime: START_TIME, throttlePerMinute: 1000 });
    await api.addFault({ throttlePerMinute: 2 });
    expect(await calls(3)).toEqual(['ok', 'ok', THROTTLED]);
    expect((await api.stats()).throttled).toBe(1);
    await api.clearFaults();
    expect(await calls(3)).toEqual(['ok', 'ok', 'ok']);
  });

  test('auth calls and the control API are not throttled', async () => {
    expect(await calls(5)).toEqual(Array(5).fill('ok'));
    for (let i = 0; i < 3; i++) expect((await api.login()).status).toBe(200);
    await api.stats();
    await api.clock();
    expect(await calls(1)).toEqual([THROTTLED]);
  });
});

describe('access token', () => {
  beforeEach(() => resetWith(100_000));

  test('expires after 3600 s of emulated time; a refresh then gives a working token', async () => {
    await api.advance(3599);
    expect(await calls(1)).toEqual(['ok']);
    await api.advance(2);
    expect(await calls(1)).toEqual([BAD_TOKEN]);
    const res = await api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: api.refreshToken }, { token: false });
    expect(res.status, res.text).toBe(200);
    expect(res.body.expiresIn).toBe(3600);
    expect(res.body.accessToken).not.toBe(api.accessToken);
    api.accessToken = res.body.accessToken;
    expect(await calls(1)).toEqual(['ok']);
  });

  test('a refresh before expiry also gives a working token', async () => {
    await api.advance(1800);
    const res = await api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: api.refreshToken }, { token: false });
    expect(res.status, res.text).toBe(200);
    api.accessToken = res.body.accessToken;
    await api.advance(3000); // 4800 s after login, 3000 s after the refresh
    expect(await calls(1)).toEqual(['ok']);
  });

  test('the refresh token itself expires after 24 h', async () => {
    await api.advance(24 * 3600 + 1);
    const res = await api.post(PATH.refresh, { appId: api.appId, secret: api.secret, refreshToken: api.refreshToken }, { token: false });
    expect([res.status, res.body?.error_code]).toEqual([401, '100208']);
  });

  test('a new login invalidates the older token', async () => {
    const older = api.accessToken;
    expect((await api.login()).status).toBe(200);
    expect(api.accessToken).not.toBe(older);
    expect(outcome(await api.get(PATH.packages, {}, { token: older }))).toBe(BAD_TOKEN);
    expect(await calls(1)).toEqual(['ok']);
  });

  test('app_key must be the token owner: another app or a missing app_key gives 1010005', async () => {
    expect(outcome(await api.get(PATH.packages, {}, { appKey: 'authorised-app' }))).toBe(BAD_TOKEN);
    expect(outcome(await api.get(PATH.packages, {}, { appKey: 'no-such-app' }))).toBe(BAD_TOKEN);
    expect(outcome(await api.get(PATH.packages, {}, { headers: { authorization: `Bearer ${api.accessToken}` }, token: false }))).toBe(BAD_TOKEN);
    expect(await calls(1)).toEqual(['ok']);
  });

  test('the expireTokens fault invalidates every token issued so far, once', async () => {
    await api.addFault({ expireTokens: true });
    expect(await calls(1)).toEqual([BAD_TOKEN]);
    expect((await api.login()).status).toBe(200);
    expect(await calls(2)).toEqual(['ok', 'ok']); // the rule fired once: the new token keeps working
  });

  test('reset keeps tokens valid', async () => {
    await api.reset({ seed: 2, devices: 50, clock: 'manual', startTime: START_TIME });
    expect(await calls(1)).toEqual(['ok']);
  });
});
