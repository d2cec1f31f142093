// The receiver loses no notification while the store is away: with the defaults a user gets (budget 100 calls / 60 s,
// the emulator's real throttle on its real-time clock, the mirror on with push) and the store in PostgreSQL, the
// database is taken away for 20 s while devices are renamed and upgraded on the platform. Every notification is
// answered 200 only once journaled (none refused, none dropped by the platform), the backlog shows as pending, and
// once the database is back every change is in the mirror within seconds, without a full sync.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, reachableEnv, type TestGateway } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { startStoreProxy, type StoreProxy } from '../harness/store-proxy.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OUTAGE_MS = 20_000;
const CHANGED = 30;

let stack: Stack;
let store: StoreProxy;
let gateway: TestGateway;
let dataDir: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mirror = async (): Promise<Json> => {
  const reply = await gateway.query('{ mirror { lastFullSyncAt notifications { received pending oldestPendingAt } } }');
  if (!reply.data?.mirror) throw new Error(`mirror status failed: ${JSON.stringify(reply)}`);
  return reply.data.mirror;
};
const pushes = async () => ((await stack.platform.stats()) as Json).notifications as { sent: number; failed: number; retried: number; dropped: number };
/**
 * The gateway's count of notifications taken beside the platform's count of pushes delivered (answered 2xx), read
 * while no push is under way (the fleet's own connectivity changes go on pushing meanwhile).
 */
async function counted(): Promise<{ mirror: Json; sent: number; failed: number; dropped: number }> {
  for (;;) {
    const first = await pushes();
    const status = await mirror();
    const then = await pushes();
    if (first.sent === then.sent && first.failed === then.failed) return { mirror: status, ...then };
  }
}
const metric = async (name: string): Promise<number> => {
  const text = (await gateway.request('/metrics')).text;
  return Number(new RegExp(`^northbound_gateway_${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

beforeAll(async () => {
  stack = await startStack({ platform: { clock: 'realtime', startTime: undefined, devices: 2000, throttlePerMinute: 100 }, store: 'postgres', gateway: 'none' });
  store = await startStoreProxy(stack.store?.env.DATABASE_URL as string);
  dataDir = mkdtempSync(join(tmpdir(), 'gw-outage-'));
  // The defaults: the mirror on with half the budget, push to where the gateway listens; its own data dir.
  gateway = await stack.useGateway({ env: { DATABASE_URL: store.url, MIRROR_BUDGET_SHARE: '0.5', GATEWAY_DATA_DIR: dataDir, ...(await reachableEnv()) } });
  await mirrorReady(gateway, 90_000);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the notification receiver while PostgreSQL is away', () => {
  it('answers 200 only for what it journaled, drops nothing, and applies it all within seconds of the store’s return', async () => {
    const devices: Json[] = (await gateway.query(`{ fleet(first: ${CHANGED}) { nodes { id name fwVersion } } }`)).data.fleet.nodes;
    expect(devices).toHaveLength(CHANGED);
    const database = new pg.Client({ connectionString: store.url });
    await database.connect();
    const secret = (await database.query("select value from mirror_meta where key = 'receiver.secret'")).rows[0].value as string;
    await database.end();
    const { mirror: before, ...pushesBefore } = await counted();
    expect(before.lastFullSyncAt).toBeTruthy();
    expect(before.notifications.pending).toBe(0);

    await store.cut();
    const cutAt = Date.now();
    // Renamed and upgraded on the platform, spread over the outage.
    for (const [i, device] of devices.entries()) {
      await stack.platform.control(`devices/${device.id}`, { name: `renamed-in-outage-${i}`, fwVersion: `V9.9.${i}` });
      await sleep((OUTAGE_MS * 0.8) / CHANGED);
    }
    // What is refused keeps its answers, and is never journaled.
    const post = (secretGiven: string, body: string) =>
      gateway.request(`/mirror/notifications/${secretGiven}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const forged = { notifyType: 'deviceInfoChanged', deviceId: 'forged-device', deviceInfo: { name: 'forged' } };
    const foreign = { notifyType: 'fwUpgradeResultNotify', appId: 'another-application', deviceId: 'forged-device', operationId: 'op', subOperationId: 'sub', status: 'SUCCESS' };
    expect((await post('not-the-secret', JSON.stringify(forged))).status).toBe(404);
    expect((await post(secret, JSON.stringify(foreign))).status).toBe(400);
    expect((await post(secret, '{"notifyType": "deviceInfoChanged", "deviceId": "forged-device"}')).status).toBe(400);
    expect((await post(secret, '{ not json')).status).toBe(400);
    const journal = join(dataDir, 'notifications');
    for (const file of readdirSync(journal).filter((f) => f.startsWith('segment-'))) expect(readFileSync(join(journal, file), 'utf8')).not.toContain('forged-device');
    // Every push of those changes taken (answered 200) while the store is away, and none applied.
    let during: Json;
    for (;;) {
      during = await mirror();
      if (during.notifications.received - before.notifications.received >= CHANGED || Date.now() - cutAt > OUTAGE_MS) break;
      await sleep(200);
    }
    expect(during.notifications.received - before.notifications.received).toBeGreaterThanOrEqual(CHANGED);
    expect(during.notifications.pending).toBeGreaterThanOrEqual(CHANGED);
    expect(Date.parse(during.notifications.oldestPendingAt)).toBeGreaterThanOrEqual(cutAt - 1_000);
    expect(await metric('mirror_notifications_pending')).toBe(during.notifications.pending);
    expect(await metric('mirror_notifications_oldest_pending_seconds')).toBeGreaterThan(0);
    await sleep(cutAt + OUTAGE_MS - Date.now());
    const { mirror: outage, ...pushesDuring } = await counted();
    // The platform had nothing refused (so nothing to send again or drop): it was all answered 200, and taken.
    expect(pushesDuring.failed).toBe(pushesBefore.failed);
    expect(pushesDuring.dropped).toBe(0);
    expect(outage.notifications.received - before.notifications.received).toBe(pushesDuring.sent - pushesBefore.sent);
    expect(outage.notifications.pending).toBe(outage.notifications.received - before.notifications.received);

    await store.restore();
    const restoredAt = Date.now();
    let renamed: Json[] = [];
    for (;;) {
      const reply = await gateway.query(`{ fleet(filter: { nameContains: "renamed-in-outage-" }, first: 100) { nodes { id name fwVersion } } }`);
      renamed = reply.data?.fleet?.nodes ?? [];
      if (renamed.length === CHANGED || Date.now() - restoredAt > 30_000) break;
      await sleep(200);
    }
    const appliedAfterMs = Date.now() - restoredAt;
    console.info(`store outage: ${outage.notifications.pending} notifications journaled in ${OUTAGE_MS / 1000} s, all in the mirror ${appliedAfterMs} ms after the store came back`);
    expect(new Map(renamed.map((d) => [d.id, [d.name, d.fwVersion]]))).toEqual(
      new Map(devices.map((d, i) => [d.id, [`renamed-in-outage-${i}`, `V9.9.${i}`]])),
    );
    expect(appliedAfterMs).toBeLessThan(30_000);

    // The fleet's own changes go on arriving: the backlog is gone once it is down to what just came in.
    let settled = await counted();
    while (settled.mirror.notifications.pending > 0 && Date.now() - restoredAt < 30_000) {
      await sleep(100);
      settled = await counted();
    }
    const { mirror: after, ...pushesAfter } = settled;
    expect(after.notifications.pending).toBe(0);
    expect(after.notifications.oldestPendingAt).toBeNull();
    // No full sync brought them: the journal did.
    expect(after.lastFullSyncAt).toBe(before.lastFullSyncAt);
    expect(pushesAfter.failed).toBe(pushesBefore.failed);
    expect(pushesAfter.dropped).toBe(0);
    expect(after.notifications.received - before.notifications.received).toBe(pushesAfter.sent - pushesBefore.sent);
  }, 120_000);
});
