// The mirror lives on the platform's notifications, with the defaults a user gets (budget 100 calls / 60 s, the
// emulator's real throttle of 100 a minute, push on), the gateway in its own process as users run it: a task created through the gateway is in the mirror at once and
// its notifications move it from the first one, with no read; a subscriber hears every step of it in order, with the
// device's new version on SUCCESS; a re-sent older deviceInfoChanged changes nothing; and a three-wave rollout
// completes with the platform's clock moved 10 minutes every half second, each device's version in the mirror within
// 2 s of the platform's.
import Database from 'better-sqlite3';
import { createClient } from 'graphql-ws';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SQLITE_FILE } from '../../src/store/index.js';
import { mirrorReady, reachableEnv } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { eventually, productFixture, ROLLOUT_FIELDS, type Json } from '../rollouts/support.js';

const CREATE_TASK = 'mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }';
const OPERATION = 'query($id: ID!) { operation(id: $id) { id status stats { total wait success } subtasks(first: 50) { totalCount nodes { status deviceId } } } }';

let stack: Stack;
let fileId: string;
let version: string;
let devices: string[];
const graphql = (query: string, variables?: Record<string, unknown>): Promise<Json> => stack.gateway.query(query, variables);
const wsClient = () => createClient({ url: stack.gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { 'x-api-key': stack.gateway.apiKey }, retryAttempts: 0 });

/** Moves the platform's clock on by `seconds` every `ms` (each move waits for the last) until stopped. */
function keepAdvancing(seconds: number, ms: number): () => Promise<void> {
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      await stack.platform.advance(seconds);
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  })();
  return async () => {
    stopped = true;
    await running;
  };
}

beforeAll(async () => {
  stack = await startStack({ platform: { devices: 600, throttlePerMinute: 100 }, proxy: true, store: 'sqlite', gateway: 'process', env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5' } });
  await mirrorReady(stack.gateway, 60_000);
  ({ fileId, version, deviceIds: devices } = await productFixture(graphql, 'WM100'));
  await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
}, 90_000);
afterAll(async () => {
  await stack?.close();
});

describe('the mirror on notifications alone, under the defaults', () => {
  it('holds a task created here at once, and a subscriber hears every step of it in order, the new version on SUCCESS', async () => {
    const targets = devices.slice(0, 5);
    for (const id of targets) await stack.platform.control(`devices/${id}`, { status: 'ONLINE' });
    const { result, byRoute, recorded } = await stack.callsDuring(async () => {
      const created = await graphql(CREATE_TASK, { input: { fileId, targets: { deviceIds: targets } } });
      const id = created.data.createFirmwareUpgradeTask.operationId as string;
      return { id, view: (await graphql(OPERATION, { id })).data.operation };
    });
    // The create, and no read of the task or its subtasks: the mirror had them from the create (what else the
    // mirror read meanwhile is its backfill of older tasks).
    expect(byRoute[ROUTE.createFirmwareUpgrade]).toBe(1);
    expect(recorded.filter((call) => call.path.includes(result.id))).toEqual([]);
    expect(result.view).toMatchObject({ id: result.id, status: 'WAIT', stats: { total: 5, wait: 5 }, subtasks: { totalCount: 5 } });
    expect(result.view.subtasks.nodes).toEqual(targets.map((deviceId) => ({ status: 'WAIT', deviceId })));

    const client = wsClient();
    const events: Json[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription($id: ID!) { subtaskUpdated(operationId: $id) { id deviceId status step device { fwVersion } } }', variables: { id: result.id } },
        {
          next: (message) => {
            if (message.errors) reject(new Error(JSON.stringify(message.errors)));
            events.push(message.data?.subtaskUpdated);
            if (events.filter((e) => e.status === 'SUCCESS').length === targets.length) resolve();
          },
          error: reject,
          complete: () => undefined,
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stop = keepAdvancing(20, 200);
    try {
      await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error(`not every step in 30 s: ${JSON.stringify(events)}`)), 30_000))]);
    } finally {
      await stop();
      await client.dispose();
    }
    for (const deviceId of targets) {
      const steps = events.filter((e) => e.deviceId === deviceId);
      expect(steps.map((e) => [e.status, e.step])).toEqual([
        ['PROCESSING', 'DOWNLOADING'],
        ['PROCESSING', 'DOWNLOADED'],
        ['PROCESSING', 'UPDATING'],
        ['SUCCESS', null],
      ]);
      expect(steps.at(-1).device.fwVersion).toBe(version);
      // The platform's own subtask id, from the first notice on.
      expect(new Set(steps.map((e) => e.id)).size).toBe(1);
    }
    const done = await eventually(() => graphql(OPERATION, { id: result.id }), (r) => r.data.operation.status === 'SUCCESS', 5_000);
    expect(done.data.operation.stats).toMatchObject({ total: 5, success: 5 });
  }, 60_000);

  it('leaves a device as it is when an older deviceInfoChanged is sent again after a newer one', async () => {
    const deviceId = devices[10] as string;
    const db = new Database(join(stack.store?.env.GATEWAY_DATA_DIR as string, SQLITE_FILE), { readonly: true });
    const secret = (db.prepare("select value from mirror_meta where key = 'receiver.secret'").get() as { value: string }).value;
    db.close();
    const platformDevice = await stack.platform.state('devices', deviceId);
    const older = { notifyType: 'deviceInfoChanged', deviceId, gatewayId: platformDevice.gatewayId, deviceInfo: { ...platformDevice.deviceInfo, fwVersion: 'V9.9.9' } };
    const push = (body: unknown) => fetch(new URL(`/mirror/notifications/${secret}`, stack.gateway.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const fwVersion = async () => (await graphql('query($id: ID!) { device(id: $id) { fwVersion } }', { id: deviceId })).data.device.fwVersion;

    expect((await push(older)).status).toBe(200);
    await eventually(fwVersion, (v) => v === 'V9.9.9', 5_000);
    await stack.platform.control(`devices/${deviceId}`, { fwVersion: 'V9.9.10' });
    await eventually(fwVersion, (v) => v === 'V9.9.10', 5_000);
    const reads = () => stack.proxy.calls.filter((c) => c.method === 'GET' && c.path.endsWith(`/devices/${deviceId}`) && c.status === 200).length;
    const readsBefore = reads();
    expect((await push(older)).status).toBe(200);
    // Taken, and not applied: the device is read again from the platform, which says what is newest (within the
    // mirror's share of the budget, which its backfill of older tasks may be using).
    await eventually(async () => reads(), (n) => n === readsBefore + 1, 70_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await fwVersion()).toBe('V9.9.10');
  }, 90_000);

  it('completes a rollout of 40 devices in 3 waves with the clock moved 10 minutes every 0.5 s, versions in the mirror within 2 s of the platform', async () => {
    const targets = devices.slice(20, 60);
    // Tasks made: creates the platform answered 200 (a create refused for a token the moved clock expired made none).
    const creates = () => stack.proxy.calls.filter((c) => `${c.method} ${c.path}` === ROUTE.createFirmwareUpgrade && c.status === 200).length;
    const before = creates();
    const created = await graphql(`mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId rollout { ${ROLLOUT_FIELDS} } } }`, {
      input: { fileId, name: 'fast clock', targets: { deviceIds: targets }, waves: [{ count: 4 }, { percent: 50 }, { percent: 100 }], failureThreshold: { percent: 50 } },
    });
    expect(created.errors).toBeUndefined();
    const rolloutId = created.data.createRollout.rolloutId as string;

    // When each device's new version came on the platform: the start of the clock's move after which it was first
    // seen there (the platform changes versions as its clock moves).
    const onPlatform = new Map<string, number>();
    // When it came in the mirror: its deviceUpdated with the new version, or a read that showed it, whichever came first.
    const inMirror = new Map<string, number>();
    const mirrored = (id: string, at: number) => {
      if (!inMirror.has(id)) inMirror.set(id, at);
    };
    const clients = [wsClient(), wsClient()];
    targets.forEach((id, i) =>
      clients[i % 2]?.subscribe<{ deviceUpdated: { fwVersion: string } }>(
        { query: 'subscription($id: ID!) { deviceUpdated(id: $id) { id fwVersion } }', variables: { id } },
        { next: (message) => message.data?.deviceUpdated?.fwVersion === version && mirrored(id, Date.now()), error: () => undefined, complete: () => undefined },
      ),
    );
    let state = 'RUNNING';
    try {
      const until = Date.now() + 120_000;
      while (state !== 'COMPLETED' || inMirror.size < targets.length) {
        if (Date.now() > until) throw new Error(`rollout ${state}, ${inMirror.size} of ${targets.length} versions in the mirror after 120 s`);
        // The clock moves 10 minutes every half second.
        const moved = Date.now();
        await stack.platform.advance(600);
        const pending = targets.filter((id) => !onPlatform.has(id));
        const platformVersions = await Promise.all(pending.map(async (id) => [id, (await stack.platform.state('devices', id)).deviceInfo.fwVersion] as const));
        for (const [id, v] of platformVersions) if (v === version) onPlatform.set(id, moved);
        const unmirrored = targets.filter((id) => !inMirror.has(id));
        const read = (await graphql('query($ids: [ID!]!) { devices(ids: $ids) { id fwVersion } }', { ids: unmirrored })).data.devices as Json[];
        const readAt = Date.now();
        for (const d of read) if (d.fwVersion === version) mirrored(d.id, readAt);
        state = (await graphql(`query($id: ID!) { rollout(id: $id) { state } }`, { id: rolloutId })).data.rollout.state;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, moved + 500 - Date.now())));
      }
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
    const rollout = (await graphql(`query($id: ID!) { rollout(id: $id) { ${ROLLOUT_FIELDS} } }`, { id: rolloutId })).data.rollout;
    expect(creates()).toBe(before + 3);
    expect(rollout.stats).toMatchObject({ total: 40, success: 40, completed: 40 });
    const lags = targets.map((id) => (inMirror.get(id) as number) - (onPlatform.get(id) ?? (inMirror.get(id) as number)));
    expect(Math.max(...lags)).toBeLessThanOrEqual(2_000);
  }, 150_000);
});
