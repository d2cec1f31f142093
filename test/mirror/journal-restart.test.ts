// What the receiver journaled while PostgreSQL was away outlives the process: a gateway stopped (SIGTERM) or killed
// (SIGKILL) with notifications taken and not applied is started again on the same data dir once the database is
// back, and applies them first, without a full sync. The platform does not send them again (it got its 200s): the
// journal alone brings them.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, reachableEnv, type GatewayProcess } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { startStoreProxy, type StoreProxy } from '../harness/store-proxy.js';
import { eventually } from '../harness/eventually.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHANGED = 10;

let stack: Stack;
let store: StoreProxy;
let dataDir: string;
let env: Record<string, string>;
let gateway: GatewayProcess;
let lastFullSyncAt: string;

const status = async (): Promise<Json> => (await gateway.query('{ mirror { lastFullSyncAt notifications { received pending } } }')).data?.mirror;
const renamed = async (prefix: string): Promise<Json[]> =>
  (await gateway.query('query($p: String) { fleet(filter: { nameContains: $p }, first: 100) { nodes { id name fwVersion } } }', { p: prefix })).data?.fleet?.nodes ?? [];

beforeAll(async () => {
  stack = await startStack({ platform: { clock: 'realtime', startTime: undefined, throttlePerMinute: 100 }, store: 'postgres', gateway: 'none' });
  store = await startStoreProxy(stack.store?.env.DATABASE_URL as string);
  dataDir = mkdtempSync(join(tmpdir(), 'gw-journal-restart-'));
  // The same port each time: the platform's subscriptions point there.
  env = { DATABASE_URL: store.url, MIRROR_BUDGET_SHARE: '0.5', GATEWAY_DATA_DIR: dataDir, ...(await reachableEnv()) };
  gateway = await stack.startGateway({ process: true, env });
  await mirrorReady(gateway, 60_000);
  lastFullSyncAt = (await status()).lastFullSyncAt;
}, 90_000);
afterAll(async () => {
  await stack?.close();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Takes the store away, changes devices on the platform, and waits until the gateway journaled every change. */
async function changeWhileStoreAway(prefix: string, offset: number): Promise<Map<string, [string, string]>> {
  const devices: Json[] = (await gateway.query(`{ fleet(first: ${CHANGED}, offset: ${offset}) { nodes { id } } }`)).data.fleet.nodes;
  const expected = new Map(devices.map((d, i): [string, [string, string]] => [d.id, [`${prefix}${i}`, `V8.${offset}.${i}`]]));
  const before = await status();
  await store.cut();
  for (const [id, [name, fwVersion]] of expected) await stack.platform.control(`devices/${id}`, { name, fwVersion });
  const during = await eventually(status, (s) => s?.notifications.received - before.notifications.received >= CHANGED, 10_000);
  expect(during.notifications.pending).toBeGreaterThanOrEqual(CHANGED);
  return expected;
}

/** Starts the gateway again on the same data dir and store, and waits for the changes to show in its mirror. */
async function restartAndFind(prefix: string, expected: Map<string, [string, string]>): Promise<void> {
  await store.restore();
  const startedAt = Date.now();
  gateway = await stack.startGateway({ process: true, env });
  const found = await eventually(() => renamed(prefix), (nodes) => nodes.length === CHANGED, 15_000);
  console.info(`journal after a restart: ${CHANGED} changes in the mirror ${Date.now() - startedAt} ms after the start`);
  expect(new Map(found.map((d) => [d.id, [d.name, d.fwVersion]]))).toEqual(expected);
  const after = await eventually(status, (s) => s?.notifications.pending === 0, 5_000);
  // No full sync brought them.
  expect(after.lastFullSyncAt).toBe(lastFullSyncAt);
}

describe('the notification journal across a restart', () => {
  it('applies what a gateway stopped with SIGTERM journaled while the store was away', async () => {
    const expected = await changeWhileStoreAway('after-sigterm-', 0);
    await gateway.stop('SIGTERM');
    expect(gateway.child.exitCode).toBe(0);
    await restartAndFind('after-sigterm-', expected);
  }, 60_000);

  it('applies what a gateway killed with SIGKILL journaled while the store was away, and the journal then shrinks', async () => {
    const expected = await changeWhileStoreAway('after-sigkill-', CHANGED);
    await gateway.stop('SIGKILL');
    await restartAndFind('after-sigkill-', expected);
    // Applied entries leave the journal: no more than the segment being written is left.
    const notifications = join(dataDir, 'notifications');
    await eventually(async () => readdirSync(notifications).filter((f) => f.startsWith('segment-')).length, (n) => n <= 1, 5_000);
  }, 60_000);
});
