// A continuous rollout on a dynamic group takes the devices that come to match the group after it started (devices
// added to the platform, and one changed to match), in new waves by its own wave rules, each device once: the claims and waves are the
// store's, so a gateway killed (SIGKILL) while a new wave's task runs, and started again on the same store, creates
// nothing twice (the emulator's count of creates), and takes the devices added after the restart too. Once stopped, it
// completes and takes no further device. Under the defaults: a budget of 100 calls a minute and the emulator's real
// throttle, the mirror on with pushes.
import { afterAll, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { reachableEnv } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { creates, eventually, finishUpgrades, productFixture, ROLLOUT_FIELDS, startRolloutGateway, type Json } from './support.js';

const stacks: Stack[] = [];

afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
});

const FIELDS = `${ROLLOUT_FIELDS} continuous dynamicGroup { id name memberCount }`;

// Each engine on its own platform: two gateways of one application would void each other's tokens (one login each).
it.concurrent.each(ENGINES)('a continuous rollout reaches devices added after it started, each once, across a restart, on %s', async (engine) => {
  const stack = await startStack({ platform: { devices: 400, throttlePerMinute: 100 }, store: engine, env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5' }, gateway: 'none' });
  stacks.push(stack);
  const { platform } = stack;
  await platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  const start = () => startRolloutGateway(stack, FIELDS);
  const first = await start();
  const { fileId, version } = await productFixture(first.graphql, 'WM100');
  // Devices not on the package's version yet (one already on it would be left out of a later wave).
  const behind = await first.graphql('query($v: String) { fleet(filter: { model: "WM100", fwVersionNot: $v }, first: 3) { nodes { id } } }', { v: version });
  const deviceIds = (behind.data.fleet.nodes as Json[]).map((d) => d.id as string);
  const pilots = deviceIds.slice(0, 2);
  for (const [i, id] of pilots.entries()) await platform.control(`devices/${id}`, { name: `Canary-${i}`, status: 'ONLINE' });
  const addDevice = async (name: string): Promise<string> => (await platform.control('devices', { model: 'WM100', name, status: 'ONLINE' })).deviceId;

  const group = await first.graphql('mutation($input: CreateDynamicGroupInput!) { createDynamicGroup(input: $input) { id } }', {
    input: { name: 'Canaries', filter: { model: 'WM100', nameContains: 'canary-' } },
  });
  const groupId = group.data.createDynamicGroup.id as string;
  await eventually(() => first.graphql('query($id: ID!) { dynamicGroup(id: $id) { memberCount } }', { id: groupId }), (r) => r.data.dynamicGroup.memberCount === 2);
  const reply = await first.graphql('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }', {
    input: { fileId, targets: { dynamicGroupId: groupId }, waves: [{ count: 1 }, { percent: 100 }], continuous: true },
  });
  expect(reply.errors).toBeUndefined();
  const id = reply.data.createRollout.rolloutId as string;

  // Its first devices, in its two waves; then it waits for more, RUNNING (not COMPLETED).
  await eventually(() => first.rollout(id), (r) => r.waves[0].operations.length === 1);
  await finishUpgrades(platform);
  await eventually(() => first.rollout(id), (r) => r.waves[1].operations.length === 1);
  await finishUpgrades(platform);
  const waiting = await eventually(() => first.rollout(id), (r) => r.waves.every((w: Json) => w.state === 'DONE'));
  expect(waiting).toMatchObject({ state: 'RUNNING', continuous: true, total: 2, dynamicGroup: { id: groupId, name: 'Canaries' } });
  expect(await creates(platform)).toBe(2);

  // A device added to the platform: a new wave takes it.
  const added = await addDevice('Canary-2');
  const third = await eventually(() => first.rollout(id), (r) => r.waves.length === 3 && r.waves[2].operations.length === 1);
  expect(third.waves[2].deviceIds).toEqual([added]);
  expect(await creates(platform)).toBe(3);

  // Killed while that wave's task runs: the next gateway continues it and creates nothing again.
  await first.gateway.stop('SIGKILL');
  const second = await start();
  expect((await second.rollout(id)).waves.map((w: Json) => w.state)).toEqual(['DONE', 'DONE', 'RUNNING']);
  await finishUpgrades(platform);
  await eventually(() => second.rollout(id), (r) => r.waves[2].state === 'DONE', 60_000);
  expect(await creates(platform)).toBe(3);

  // Two more after the restart, one added and one changed to match, while the rollout is paused (a paused rollout takes
  // none): once resumed, one look takes both, split by the wave rules (a count of 1, then the rest).
  await second.graphql('mutation($id: ID!) { pauseRollout(id: $id) { state } }', { id });
  const changed = deviceIds[2] as string;
  await platform.control(`devices/${changed}`, { name: 'Canary-4', status: 'ONLINE' });
  const later = [await addDevice('Canary-3'), changed];
  await eventually(() => second.graphql('query($id: ID!) { dynamicGroup(id: $id) { memberCount } }', { id: groupId }), (r) => r.data.dynamicGroup.memberCount === 5);
  expect((await second.rollout(id)).waves).toHaveLength(3);
  await second.graphql('mutation($id: ID!) { resumeRollout(id: $id) { state } }', { id });
  const more = await eventually(() => second.rollout(id), (r) => r.waves.length === 5 && r.waves[3].operations.length === 1);
  expect(more.waves.slice(3).map((w: Json) => w.deviceIds.length)).toEqual([1, 1]);
  await finishUpgrades(platform);
  await eventually(() => second.rollout(id), (r) => r.waves[4].operations.length === 1);

  // Stopped: it completes once its waves have finished, and takes no further device.
  const stopped = await second.graphql(`mutation($id: ID!) { stopRollout(id: $id) { state continuous } }`, { id });
  expect(stopped.data.stopRollout).toEqual({ state: 'RUNNING', continuous: false });
  expect((await second.graphql(`mutation($id: ID!) { stopRollout(id: $id) { state } }`, { id })).errors?.[0]?.extensions).toMatchObject({ code: 'STATE_CONFLICT' });
  await finishUpgrades(platform);
  await eventually(() => second.rollout(id), (r) => r.state === 'COMPLETED');
  await addDevice('Canary-5');
  await sleep(3_000);

  // Read after the new device came: still completed, and it was not taken.
  const done = await second.rollout(id);
  expect(done.state).toBe('COMPLETED');
  const reached = done.waves.flatMap((w: Json) => w.deviceIds);
  expect(new Set(reached)).toEqual(new Set([...pilots, added, ...later]));
  expect(reached).toHaveLength(5);
  expect(done.stats).toMatchObject({ total: 5, success: 5 });
  expect(await creates(platform)).toBe(5);
  for (const device of [added, ...later]) expect((await platform.state('devices', device)).deviceInfo.fwVersion).toBe(version);
  await second.gateway.stop('SIGTERM');
}, 240_000);
