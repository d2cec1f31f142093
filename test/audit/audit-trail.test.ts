// The audit trail under the defaults a user gets (budget 100 calls / 60 s, the emulator's real throttle of 100 a
// minute, push on), on both store engines: every mutation call, over HTTP, WebSocket or SSE, is recorded once with the
// key's name (never the key), its role, the ids it touched and its outcome (a refused one with its code, a replay as
// such); a read key cannot read the log; the retention sweep deletes what is older than GATEWAY_AUDIT_DAYS.
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, reachableEnv, type InProcessGateway } from '../harness/gateway.js';
import { collect, wsClient } from '../harness/live.js';
import { startStack, type Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { eventually, finishUpgrades, productFixture, type Json } from '../rollouts/support.js';
import { clientNameOf } from '../harness/keys.js';

const OPERATE_KEY = 'audit-operate-key';
const READ_KEY = 'audit-read-key';
const DAY_MS = 24 * 60 * 60_000;

const CREATE_TASK = 'mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }';
const CREATE_BATCH = 'mutation($input: CreateBatchTaskInput!) { createBatchTask(input: $input) { taskId } }';
const CREATE_ROLLOUT = 'mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }';
const COMMAND = (name: string) => `mutation($id: ID!) { ${name}(id: $id) { id state } }`;
const RETRY = 'mutation($id: ID!) { retryFailedDevices(operationId: $id) { rolloutId } }';
const AUDIT_LOG = `query($filter: AuditLogFilter, $first: Int) { auditLog(filter: $filter, first: $first) {
  totalCount nodes { id at client role operation inputDigest targetIds outcome errorCode replayed requestId } } }`;

describe.each(ENGINES)('the audit trail on %s, under the defaults', (engine) => {
  let stack: Stack;
  let fileId: string;
  let devices: string[];
  const operate = (query: string, variables?: Record<string, unknown>): Promise<Json> => stack.gateway.graphql(query, { variables, apiKey: OPERATE_KEY }).then((r) => r.json);
  const read = (query: string, variables?: Record<string, unknown>): Promise<Json> => stack.gateway.graphql(query, { variables, apiKey: READ_KEY }).then((r) => r.json);
  const log = async (filter?: Record<string, unknown>): Promise<Json[]> => {
    const reply = await operate(AUDIT_LOG, { filter, first: 100 });
    expect(reply.errors).toBeUndefined();
    return reply.data.auditLog.nodes;
  };

  beforeAll(async () => {
    stack = await startStack({
      platform: { devices: 300, throttlePerMinute: 100 },
      store: engine,
      env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5', GATEWAY_API_KEYS: `${OPERATE_KEY}:operate,${READ_KEY}:read` },
    });
    await mirrorReady(stack.gateway, 60_000);
    ({ fileId, deviceIds: devices } = await productFixture(operate, 'WM100'));
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('records every command once, with the key name, role, ids and outcome (a refusal with its code, a replay as such); a read key cannot read it', async () => {
    expect((await operate('{ viewer { client } }')).data.viewer.client).toBe(clientNameOf(OPERATE_KEY));
    const [a, b, c, d, e] = devices;
    await stack.platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: [a] });
    const taskInput = { fileId, targets: { deviceIds: [a, b] }, idempotencyKey: 'audit-task-1' };
    const task = await operate(CREATE_TASK, { input: taskInput });
    const operationId = task.data.createFirmwareUpgradeTask.operationId as string;
    const replay = await operate(CREATE_TASK, { input: taskInput });
    expect(replay.data.createFirmwareUpgradeTask.operationId).toBe(operationId);
    const batch = await operate(CREATE_BATCH, {
      input: { name: 'audit self-test', timeout: 10, target: { type: 'DEVICE_LIST', deviceIds: [c] }, command: { serviceId: 'Maintenance', method: 'SELF_TEST', paras: {} } },
    });
    const taskId = batch.data.createBatchTask.taskId as string;
    const rollout = await operate(CREATE_ROLLOUT, { input: { fileId, name: 'audited', targets: { deviceIds: [d, e] }, waves: [{ count: 1 }, { count: 1 }] } });
    const rolloutId = rollout.data.createRollout.rolloutId as string;
    expect((await operate(COMMAND('pauseRollout'), { id: rolloutId })).data.pauseRollout.state).toBe('PAUSED');
    expect((await operate(COMMAND('pauseRollout'), { id: rolloutId })).errors[0].extensions.code).toBe('STATE_CONFLICT');
    // Over a WebSocket: the same pipeline, the same one record.
    const client = wsClient(stack.gateway, OPERATE_KEY);
    const [resumed] = await collect(client, COMMAND('resumeRollout'), { id: rolloutId }, () => true);
    await client.dispose();
    expect(resumed.data.resumeRollout.state).toBe('RUNNING');
    // Over Server-Sent Events: likewise.
    const sse = createSseClient({ url: `${stack.gateway.url}/stream`, fetchFn: fetch, retryAttempts: 0, headers: { 'x-api-key': OPERATE_KEY } });
    const cancelled = await new Promise<Json>((resolve, reject) => {
      let answer: Json;
      sse.subscribe({ query: COMMAND('cancelRollout'), variables: { id: rolloutId } }, { next: (value) => (answer = value), error: reject, complete: () => resolve(answer) });
    });
    sse.dispose();
    expect(cancelled.data.cancelRollout.state).toBe('CANCELLED');
    // Refused: a read key may not command, and a task still running has no failed devices to retry yet.
    expect((await read(COMMAND('pauseRollout'), { id: rolloutId })).errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await operate(RETRY, { id: operationId })).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    await finishUpgrades(stack.platform);
    await eventually(() => operate('query($id: ID!) { operation(id: $id) { status } }', { id: operationId }), (r) => r.data.operation.status === 'FAILED', 75_000);
    const retry = await operate(RETRY, { id: operationId });
    expect(retry.errors).toBeUndefined();
    const retryId = retry.data.retryFailedDevices.rolloutId as string;

    const records = (await log()).reverse();
    const op = clientNameOf(OPERATE_KEY);
    expect(records.map((r) => [r.operation, r.client, r.role, r.outcome, r.errorCode, r.replayed])).toEqual([
      ['createFirmwareUpgradeTask', op, 'OPERATE', 'OK', null, false],
      ['createFirmwareUpgradeTask', op, 'OPERATE', 'OK', null, true],
      ['createBatchTask', op, 'OPERATE', 'OK', null, false],
      ['createRollout', op, 'OPERATE', 'OK', null, false],
      ['pauseRollout', op, 'OPERATE', 'OK', null, false],
      ['pauseRollout', op, 'OPERATE', 'ERROR', 'STATE_CONFLICT', false],
      ['resumeRollout', op, 'OPERATE', 'OK', null, false],
      ['cancelRollout', op, 'OPERATE', 'OK', null, false],
      ['pauseRollout', clientNameOf(READ_KEY), 'READ', 'ERROR', 'FORBIDDEN', false],
      ['retryFailedDevices', op, 'OPERATE', 'ERROR', 'BAD_USER_INPUT', false],
      ['retryFailedDevices', op, 'OPERATE', 'OK', null, false],
    ]);
    expect(records.map((r) => r.targetIds)).toEqual([
      [operationId],
      [operationId],
      [taskId],
      [rolloutId],
      ...Array(5).fill([rolloutId]),
      [operationId],
      [operationId, retryId],
    ]);
    // The same input, the same digest; the keys themselves appear nowhere.
    expect(records[1].inputDigest).toBe(records[0].inputDigest);
    expect(records[0].inputDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(records)).not.toContain(OPERATE_KEY);
    expect(JSON.stringify(records)).not.toContain(READ_KEY);

    expect((await log({ targetId: rolloutId })).map((r) => r.operation)).toEqual(['pauseRollout', 'cancelRollout', 'resumeRollout', 'pauseRollout', 'pauseRollout', 'createRollout']);
    expect((await log({ outcome: 'ERROR' })).map((r) => r.errorCode)).toEqual(['BAD_USER_INPUT', 'FORBIDDEN', 'STATE_CONFLICT']);
    expect((await log({ client: clientNameOf(READ_KEY) })).length).toBe(1);
    expect((await log({ operation: 'createBatchTask' })).map((r) => r.targetIds)).toEqual([[taskId]]);
    // Times are shown to the second, as the platform's are.
    const last = records[records.length - 1].at;
    expect(await log({ since: last })).toHaveLength(records.filter((r) => r.at >= last).length);
    expect(await log({ until: records[0].at })).toHaveLength(0);
    const bad = await operate(AUDIT_LOG, { filter: { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' } });
    expect(bad.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

    // A rollout's history: its commands and its waves, oldest first.
    const history = await operate('query($id: ID!) { rollout(id: $id) { history { event waveIndex record { operation outcome } } } }', { id: rolloutId });
    expect(history.data.rollout.history).toEqual([
      { event: 'COMMAND', waveIndex: null, record: { operation: 'createRollout', outcome: 'OK' } },
      expect.objectContaining({ event: 'WAVE_STARTED', waveIndex: 0 }),
      ...['pauseRollout', 'pauseRollout', 'resumeRollout', 'cancelRollout', 'pauseRollout'].map((operation, i) => ({ event: 'COMMAND', waveIndex: null, record: { operation, outcome: [1, 4].includes(i) ? 'ERROR' : 'OK' } })),
      ...(history.data.rollout.history.some((h: Json) => h.event === 'WAVE_FINISHED') ? [expect.objectContaining({ event: 'WAVE_FINISHED', waveIndex: 0 })] : []),
    ]);

    // A read key gets the forbidden code and nothing of the log, nor of a rollout's history.
    const refused = await read(AUDIT_LOG, {});
    expect(refused.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(refused.data).toBeNull();
    const hidden = await read('query($id: ID!) { rollout(id: $id) { id history { event } } }', { id: rolloutId });
    expect(hidden.data.rollout).toEqual({ id: rolloutId, history: null });
    expect(hidden.errors[0].extensions.code).toBe('FORBIDDEN');
  }, 150_000);

  it("records the orchestrator's own halt and completion of a rollout, under its client, in the log and the rollout's history", async () => {
    const [failing, passing] = devices.slice(5, 7) as [string, string];
    await stack.platform.control('outcomes', { upgradeFailureRate: 1, deviceIds: [failing] });
    const create = async (deviceId: string, name: string) =>
      (await operate(CREATE_ROLLOUT, { input: { fileId, name, targets: { deviceIds: [deviceId] }, waves: [{ count: 1 }], failureThreshold: { percent: 50, minFinished: 1 } } })).data.createRollout.rolloutId as string;
    const halting = await create(failing, 'halts');
    const completing = await create(passing, 'completes');
    const state = (id: string) => operate('query($id: ID!) { rollout(id: $id) { state waves { operations { id } } } }', { id }).then((r) => r.data.rollout);
    // Both waves' tasks exist on the platform before its clock moves them to their end.
    for (const id of [halting, completing]) await eventually(() => state(id), (r) => r.waves[0].operations.length === 1, 30_000);
    await finishUpgrades(stack.platform);
    await eventually(() => state(halting), (r) => r.state === 'HALTED', 60_000);
    await eventually(() => state(completing), (r) => r.state === 'COMPLETED', 60_000);
    // The first test's retry rollout may have completed meanwhile: these two rollouts' records are looked at.
    const own = (await log({ client: 'rollouts' })).filter((r) => [halting, completing].includes(r.targetIds[0]));
    expect(own.map((r) => [r.operation, r.targetIds, r.role, r.outcome, r.requestId]).sort()).toEqual([
      ['rolloutCompleted', [completing], 'OPERATE', 'OK', null],
      ['rolloutHalted', [halting], 'OPERATE', 'OK', null],
    ]);
    const history = async (id: string) => (await operate('query($id: ID!) { rollout(id: $id) { history { at event waveIndex } } }', { id })).data.rollout.history as Json[];
    const halted = await history(halting);
    // Oldest first. The halt and the wave's end come in either order: the halt may be judged before the wave's task has ended.
    expect(halted.map((h) => Date.parse(h.at))).toEqual(halted.map((h) => Date.parse(h.at)).sort((a, b) => a - b));
    expect(halted.filter((h) => h.event !== 'WAVE_FINISHED').map(({ event, waveIndex }) => ({ event, waveIndex }))).toEqual([
      { event: 'COMMAND', waveIndex: null },
      { event: 'WAVE_STARTED', waveIndex: 0 },
      { event: 'HALTED', waveIndex: null },
    ]);
    // The wave's end, if the mirror saw it already, comes after its start.
    expect([-1, 2, 3]).toContain(halted.findIndex((h) => h.event === 'WAVE_FINISHED'));
    expect((await history(completing)).map((h: Json) => h.event)).toEqual(['COMMAND', 'WAVE_STARTED', 'WAVE_FINISHED', 'COMPLETED']);
  }, 150_000);

  it('keeps records GATEWAY_AUDIT_DAYS (90 by default) and the sweep deletes older ones', async () => {
    const server = (stack.gateway as InProcessGateway).server;
    const before = await log();
    expect(before.length).toBeGreaterThan(0);
    // Shown to the second: each record lies within the second its time names.
    const newest = Date.parse(before[0].at);
    const oldest = Date.parse(before[before.length - 1].at);
    // 90 days after the oldest record's second began it is still kept; once its second has passed it is gone, and newer ones stay.
    expect(await server.sweepAudit(oldest + 90 * DAY_MS)).toBe(0);
    expect(await log()).toHaveLength(before.length);
    const dropped = before.filter((r) => Date.parse(r.at) < newest).length;
    expect(await server.sweepAudit(newest + 90 * DAY_MS)).toBe(dropped);
    expect((await log()).map((r) => r.id)).toEqual(before.slice(0, before.length - dropped).map((r) => r.id));
    expect(await server.sweepAudit(newest + 90 * DAY_MS + 1000)).toBe(before.length - dropped);
    expect(await log()).toEqual([]);
    expect(await log({ targetId: before[0].targetIds[0] })).toEqual([]);
  });
});

describe('GATEWAY_AUDIT_DAYS=1', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { GATEWAY_AUDIT_DAYS: '1' } });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps a record one day: a sweep half a day on keeps it, one a day and a second on deletes it', async () => {
    const server = (stack.gateway as InProcessGateway).server;
    const refused = await stack.gateway.query(COMMAND('pauseRollout'), { id: 'no-such-rollout' });
    expect(refused.errors).toHaveLength(1);
    const [record] = (await stack.gateway.query(AUDIT_LOG, {})).data.auditLog.nodes;
    expect(record).toMatchObject({ operation: 'pauseRollout', outcome: 'ERROR', errorCode: refused.errors[0].extensions.code, targetIds: ['no-such-rollout'] });
    const at = Date.parse(record.at);
    expect(await server.sweepAudit(at + DAY_MS / 2)).toBe(0);
    expect((await stack.gateway.query(AUDIT_LOG, {})).data.auditLog.totalCount).toBe(1);
    expect(await server.sweepAudit(at + DAY_MS + 1000)).toBe(1);
    expect((await stack.gateway.query(AUDIT_LOG, {})).data.auditLog.totalCount).toBe(0);
  });
});
