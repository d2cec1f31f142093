// Issue 24's features together, under the defaults (a budget of 100 calls a minute, the emulator's real throttle,
// the mirror on with pushes), on both store engines: a dynamic group saved with the fleet's operators (a version range,
// a prefix and a wildcard under or) is the target of a continuous rollout with a maintenance window. The rollout waits
// for the window and its first wave starts inside it; a device added to the platform after the window closed joins
// the group and is taken in a later wave, in the next window only; the audit log names the key for each command.
import { afterAll, expect, it } from 'vitest';
import { reachableEnv, TEST_API_KEY } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { eventually, finishUpgrades, mirrorReady, productFixture, type Json } from './support.js';
import { clientNameOf } from '../harness/keys.js';

const KEY = 'together-operate-key';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const EVERY_DAY = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const FIELDS = `id state continuous waitingFor nextWindowAt dynamicGroup { id memberCount }
  waves { index state deviceIds operations { id createdAt policy { executeType startTime endTime } } }`;
const isoOf = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const stacks: Stack[] = [];
afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
});

it.concurrent.each(ENGINES)('a continuous rollout on a dynamic group, inside its maintenance windows, audited, on %s', async (engine) => {
  const stack = await startStack({
    platform: { devices: 400, throttlePerMinute: 100 },
    store: engine,
    env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5', GATEWAY_API_KEYS: `${TEST_API_KEY}:read,${KEY}:operate` },
  });
  stacks.push(stack);
  const { gateway, platform } = stack;
  await mirrorReady(gateway);
  const graphql = (query: string, variables?: Record<string, unknown>): Promise<Json> => gateway.graphql(query, { variables, apiKey: KEY }).then((r) => r.json);
  const rollout = async (id: string): Promise<Json> => (await graphql(`query($id: ID!) { rollout(id: $id) { ${FIELDS} } }`, { id })).data.rollout;
  const platformNow = async (): Promise<number> => Date.parse((await platform.control('clock', undefined, 'GET')).now);
  // The clock moved: one platform call (the health check's) shows the gateway the new time, sooner than its mirror's poll.
  const moveTo = async (at: number, step: number) => {
    await platform.advance((at - (await platformNow())) / 1000, step);
    await graphql('{ health { loginOk } }');
  };
  await platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  const { fileId, version } = await productFixture(graphql, 'WM100');
  const behind = await graphql('query($v: String!) { fleet(filter: { where: { model: { eq: "WM100" }, fwVersion: { lt: $v } } }, first: 2) { nodes { id } } }', { v: version });
  const pilots = (behind.data.fleet.nodes as Json[]).map((d) => d.id as string);
  expect(pilots).toHaveLength(2);
  for (const [i, id] of pilots.entries()) await platform.control(`devices/${id}`, { name: `Pilot-${i}`, status: 'ONLINE' });
  // The platform's tasks on a device (the mirror's list, which takes the gateway's own creates at once).
  const tasksOn = async (deviceId: string): Promise<number> => (await graphql('query($id: ID!) { operations(filter: { deviceId: $id }, first: 0) { totalCount } }', { id: deviceId })).data.operations.totalCount;
  const pilotTasks = await Promise.all(pilots.map(tasksOn));

  const group = await graphql('mutation($input: CreateDynamicGroupInput!) { createDynamicGroup(input: $input) { id } }', {
    input: { name: 'Behind pilots', filter: { where: { model: { eq: 'WM100' }, fwVersion: { lt: version } }, or: [{ where: { name: { prefix: 'Pilot-' } } }, { where: { name: { like: 'Late-?' } } }] } },
  });
  expect(group.errors).toBeUndefined();
  const groupId = group.data.createDynamicGroup.id as string;
  await eventually(() => graphql('query($id: ID!) { dynamicGroup(id: $id) { memberCount } }', { id: groupId }), (r) => r.data.dynamicGroup.memberCount === 2);

  // A 10-minute window every day, opening an hour from now on the platform's clock.
  const opening = Math.ceil(((await platformNow()) + 60 * MINUTE) / MINUTE) * MINUTE;
  const hhmm = new Date(opening).toISOString().slice(11, 16);
  const created = await graphql('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }', {
    input: { fileId, targets: { dynamicGroupId: groupId }, waves: [{ percent: 100 }], continuous: true, maintenanceWindows: [{ days: EVERY_DAY, start: hhmm, durationMinutes: 10, timeZone: 'UTC' }] },
  });
  expect(created.errors).toBeUndefined();
  const id = created.data.createRollout.rolloutId as string;
  expect(await rollout(id)).toMatchObject({ state: 'RUNNING', continuous: true, waitingFor: 'MAINTENANCE_WINDOW', nextWindowAt: isoOf(opening), waves: [{ state: 'PENDING', operations: [] }] });

  // The first wave starts at the window's opening, its task's CUSTOM window inside it.
  await moveTo(opening, 600);
  const first = (await eventually(() => rollout(id), (r) => r.waves[0].operations.length === 1, 60_000)).waves[0];
  expect([...first.deviceIds].sort()).toEqual([...pilots].sort());
  expect(first.operations[0].policy).toMatchObject({ executeType: 'CUSTOM', endTime: isoOf(opening + 10 * MINUTE) });
  expect(Date.parse(first.operations[0].createdAt)).toBeGreaterThanOrEqual(opening);
  await finishUpgrades(platform);
  await eventually(() => rollout(id), (r) => r.waves[0].state === 'DONE', 60_000);

  // After the window: a device added to the platform joins the group, and its wave waits for the next window.
  await moveTo(opening + 11 * MINUTE, 60);
  const late = (await platform.control('devices', { model: 'WM100', name: 'Late-1', status: 'ONLINE' })).deviceId as string;
  const waiting = await eventually(() => rollout(id), (r) => r.waves.length === 2, 60_000);
  expect(waiting).toMatchObject({ state: 'RUNNING', waitingFor: 'MAINTENANCE_WINDOW', nextWindowAt: isoOf(opening + DAY) });
  expect(waiting.waves[1]).toMatchObject({ state: 'PENDING', deviceIds: [late], operations: [] });

  await moveTo(opening + DAY, 3600);
  const second = (await eventually(() => rollout(id), (r) => r.waves[1].operations.length === 1, 60_000)).waves[1];
  expect(Date.parse(second.operations[0].createdAt)).toBeGreaterThanOrEqual(opening + DAY);
  expect(second.operations[0].policy).toMatchObject({ executeType: 'CUSTOM', endTime: isoOf(opening + DAY + 10 * MINUTE) });
  await finishUpgrades(platform);
  await eventually(() => rollout(id), (r) => r.waves[1].state === 'DONE', 60_000);
  // Each device taken once: one new task each on the platform, however many waves.
  expect(await Promise.all([...pilots, late].map(tasksOn))).toEqual([...pilotTasks.map((n) => n + 1), 1]);

  const stopped = await graphql('mutation($id: ID!) { stopRollout(id: $id) { id } }', { id });
  expect(stopped.errors).toBeUndefined();
  await eventually(() => rollout(id), (r) => r.state === 'COMPLETED', 60_000);

  // The audit log: each command with the key's name (never the key) and its outcome.
  const audit = await graphql('query($client: String) { auditLog(filter: { client: $client }, first: 100) { nodes { client operation outcome targetIds } } }', {
    client: clientNameOf(KEY),
  });
  const records = (audit.data.auditLog.nodes as Json[]).filter((r) => ['createDynamicGroup', 'createRollout', 'stopRollout'].includes(r.operation));
  expect(records.map((r) => r.operation).sort()).toEqual(['createDynamicGroup', 'createRollout', 'stopRollout']);
  for (const record of records) expect(record).toMatchObject({ outcome: 'OK' });
  expect(records.filter((r) => r.targetIds.includes(id)).map((r) => r.operation).sort()).toEqual(['createRollout', 'stopRollout']);
  expect(JSON.stringify(audit.data)).not.toContain(KEY);
}, 240_000);
