// Dynamic groups under the defaults (a budget of 100 calls a minute, the emulator's real throttle, the mirror on with
// pushes), on both store engines: a saved filter whose members follow the devices as they change on the platform
// (changed, added, online), read with no platform call; names unique and validated; read keys refused; a rollout's target.
import { afterAll, expect, it } from 'vitest';
import { reachableEnv, TEST_API_KEY } from '../harness/gateway.js';
import { eventually } from '../harness/eventually.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { mirrorReady } from '../rollouts/support.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const READ_KEY = 'groups-reader-key';
const GROUP = 'id name filter memberCount members(first: 10) { totalCount nodes { id fwVersion } }';
const stacks: Stack[] = [];

afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
});

it.concurrent.each(ENGINES)('a group follows the devices as they change and appear on the platform, on %s', async (engine) => {
  const stack = await startStack({
    platform: { devices: 200, throttlePerMinute: 100 },
    store: engine,
    env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5', GATEWAY_API_KEYS: `${TEST_API_KEY}:operate,${READ_KEY}:read` },
  });
  stacks.push(stack);
  const { gateway, platform } = stack;
  await mirrorReady(gateway);
  const graphql = gateway.query;
  const group = async (id: string): Promise<Json> => (await graphql(`query($id: ID!) { dynamicGroup(id: $id) { ${GROUP} } }`, { id })).data.dynamicGroup;

  const created = await graphql(`mutation($input: CreateDynamicGroupInput!) { createDynamicGroup(input: $input) { ${GROUP} } }`, {
    input: { name: 'Pilot ring V9', filter: { model: 'WM100', fwVersion: 'V9.9.9' } },
  });
  expect(created.errors).toBeUndefined();
  const id = created.data.createDynamicGroup.id as string;
  expect(created.data.createDynamicGroup).toMatchObject({ name: 'Pilot ring V9', filter: { model: 'WM100', fwVersion: 'V9.9.9' }, memberCount: 0 });

  // A device changed on the platform to match: it joins, from its push.
  const fleet = await graphql('{ fleet(filter: { model: "WM100" }, first: 1) { nodes { id } } }');
  const changed = fleet.data.fleet.nodes[0].id as string;
  await platform.control(`devices/${changed}`, { fwVersion: 'V9.9.9' });
  const one = await eventually(() => group(id), (g) => g.memberCount === 1);
  expect(one.members.nodes).toEqual([{ id: changed, fwVersion: 'V9.9.9' }]);

  // A device added to the platform that matches joins too.
  const added = (await platform.control('devices', { model: 'WM100', fwVersion: 'V9.9.9', name: 'WaterMeter-New-1' })).deviceId as string;
  const two = await eventually(() => group(id), (g) => g.memberCount === 2);
  expect(new Set(two.members.nodes.map((d: Json) => d.id))).toEqual(new Set([changed, added]));

  // One that no longer matches leaves.
  await platform.control(`devices/${changed}`, { fwVersion: 'V1.0.0' });
  const left = await eventually(() => group(id), (g) => g.memberCount === 1);
  expect(left.members.nodes.map((d: Json) => d.id)).toEqual([added]);

  // A filter on status: a device joins when it comes online, and leaves when it goes offline.
  const online = (await graphql('mutation($input: CreateDynamicGroupInput!) { createDynamicGroup(input: $input) { id memberCount } }', {
    input: { name: 'New and online', filter: { nameContains: 'WaterMeter-New', status: ['ONLINE'] } },
  })).data.createDynamicGroup;
  expect(online.memberCount).toBe(0);
  await platform.control(`devices/${added}`, { status: 'ONLINE' });
  expect((await eventually(() => group(online.id), (g) => g.memberCount === 1)).members.nodes.map((d: Json) => d.id)).toEqual([added]);
  await platform.control(`devices/${added}`, { status: 'OFFLINE' });
  await eventually(() => group(online.id), (g) => g.memberCount === 0);
  await graphql('mutation($id: ID!) { deleteDynamicGroup(id: $id) }', { id: online.id });

  // Listed with its count, from the store and the mirror: no platform call.
  const { result: listed, total } = await stack.callsDuring(() => graphql('{ dynamicGroups { totalCount nodes { id name memberCount } } }'));
  expect(listed.data.dynamicGroups).toEqual({ totalCount: 1, nodes: [{ id, name: 'Pilot ring V9', memberCount: 1 }] });
  expect(total).toBe(0);

  // Names: unique regardless of case, validated, each refusal changing nothing.
  const create = (name: string) => graphql('mutation($input: CreateDynamicGroupInput!) { createDynamicGroup(input: $input) { id } }', { input: { name, filter: {} } });
  for (const [name, rule] of [['PILOT RING v9', 'unique'], ['', 'groupName'], [' padded', 'groupName'], ['x'.repeat(129), 'groupName']] as const) {
    const refused = await create(name);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', validationErrors: [{ path: 'input.name', rule }] });
  }
  const other = (await create('Everything')).data.createDynamicGroup.id as string;
  const rename = (groupId: string, name: string) => graphql('mutation($id: ID!, $name: String!) { renameDynamicGroup(id: $id, name: $name) { id name memberCount } }', { id: groupId, name });
  expect((await rename(other, 'pilot ring v9')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', validationErrors: [{ path: 'name', rule: 'unique' }] });
  expect((await rename(other, 'All devices')).data.renameDynamicGroup).toEqual({ id: other, name: 'All devices', memberCount: 201 });
  expect((await rename('no-such-group', 'x')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

  // The filter is checked by the fleet's own rules, with paths under input.filter; a refused group is not saved.
  const saveGroup = (name: string, filter: Json) => graphql('mutation($input: CreateDynamicGroupInput!) { createDynamicGroup(input: $input) { id memberCount } }', { input: { name, filter } });
  const badFilter = { or: [], and: [{ where: { fwVersion: { lt: 'beta' } } }], not: { not: { not: { not: { not: { not: { model: 'WM100' } } } } } } };
  const refusedFilter = await saveGroup('', badFilter);
  expect(refusedFilter.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(refusedFilter.errors[0].extensions.validationErrors.map((v: Json) => [v.path, v.rule]).sort()).toEqual(
    [
      ['input.name', 'groupName'],
      ['input.filter.or', 'notEmpty'],
      ['input.filter.and.0.where.fwVersion.lt', 'comparableVersion'],
      ['input.filter.not.not.not.not.not.not', 'maxDepth'],
    ].sort(),
  );
  expect((await saveGroup('Refused', badFilter)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect((await graphql('{ dynamicGroups { totalCount } }')).data.dynamicGroups.totalCount).toBe(2);

  // Saved, the filter is the fleet's: a platform group nested in or, whose members are read from the platform once for
  // the count (the backfill has not read the last group yet), and a time bound, which the store gives back as text.
  const platformGroups = (await graphql('{ deviceGroups(first: 100) { nodes { id deviceCount } } }')).data.deviceGroups.nodes;
  const platformGroup = platformGroups.at(-1);
  const nested = { or: [{ groupId: platformGroup.id }, { and: [{ where: { createdAt: { lt: '2100-01-01T00:00:00Z' } } }, { where: { model: { eq: 'WM100' } } }] }] };
  const { result: saved, byRoute } = await stack.callsDuring(() => saveGroup('Platform group or WM100', nested));
  expect(saved.errors).toBeUndefined();
  expect(byRoute[ROUTE.deviceGroupMembers]).toBe(1);
  const count = (f: Json) => graphql('query($f: DeviceFilter) { fleet(filter: $f) { totalCount } }', { f }).then((r) => r.data.fleet.totalCount as number);
  const [inGroup, wm100] = [await count({ groupId: platformGroup.id }), await count(nested.or[1])];
  expect(inGroup).toBe(platformGroup.deviceCount);
  expect(wm100).toBeGreaterThan(0);
  expect(saved.data.createDynamicGroup.memberCount).toBe(await count(nested));
  expect(saved.data.createDynamicGroup.memberCount).toBeGreaterThanOrEqual(Math.max(inGroup, wm100));
  expect((await group(saved.data.createDynamicGroup.id)).memberCount).toBe(saved.data.createDynamicGroup.memberCount);
  await graphql('mutation($id: ID!) { deleteDynamicGroup(id: $id) }', { id: saved.data.createDynamicGroup.id });

  // A read key reads groups and may not change them.
  const asReader = (text: string, variables?: Record<string, unknown>) => gateway.graphql(text, { variables, apiKey: READ_KEY }).then((r) => r.json as Json);
  expect((await asReader('{ dynamicGroups { totalCount } }')).data.dynamicGroups.totalCount).toBe(2);
  for (const mutation of [
    ['mutation { createDynamicGroup(input: { name: "Mine", filter: {} }) { id } }'],
    ['mutation($id: ID!) { renameDynamicGroup(id: $id, name: "Mine") { id } }', { id }],
    ['mutation($id: ID!) { deleteDynamicGroup(id: $id) }', { id }],
  ] as const) {
    expect((await asReader(mutation[0], mutation[1])).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  }

  // As a rollout's target: resolved when the rollout is created; continuous only on a group.
  const packages = await graphql('{ upgradePackages(filter: { model: "WM100", type: FIRMWARE }, first: 1) { nodes { id } } }');
  const fileId = packages.data.upgradePackages.nodes[0].id as string;
  const createRollout = (input: Json) =>
    graphql('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rollout { id total continuous dynamicGroup { id } waves { deviceIds } } } }', {
      input: { fileId, waves: [{ percent: 100 }], ...input },
    });
  const once = await createRollout({ targets: { dynamicGroupId: id } });
  expect(once.data.createRollout.rollout).toMatchObject({ total: 1, continuous: false, dynamicGroup: { id }, waves: [{ deviceIds: [added] }] });
  for (const [input, path, rule] of [
    [{ targets: { filter: { model: 'WM100' } }, continuous: true }, 'input.continuous', 'dynamicGroupTarget'],
    [{ targets: { filter: { model: 'WM100' }, dynamicGroupId: id } }, 'input.targets', 'exactlyOne'],
    [{ targets: { dynamicGroupId: 'no-such-group' }, continuous: true }, 'input.targets.dynamicGroupId', 'groupExists'],
  ] as const) {
    expect((await createRollout(input)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', validationErrors: [{ path, rule }] });
  }
  const stopOnce = await graphql('mutation($id: ID!) { stopRollout(id: $id) { id } }', { id: once.data.createRollout.rollout.id });
  expect(stopOnce.errors?.[0]?.extensions).toMatchObject({ code: 'STATE_CONFLICT' });
  const following = (await createRollout({ targets: { dynamicGroupId: id }, continuous: true })).data.createRollout.rollout;
  expect(following).toMatchObject({ continuous: true, dynamicGroup: { id } });
  // A group followed by a continuous rollout cannot be deleted until the rollout has ended.
  expect((await graphql('mutation($id: ID!) { deleteDynamicGroup(id: $id) }', { id })).errors?.[0]?.extensions).toMatchObject({ code: 'STATE_CONFLICT' });
  await graphql('mutation($id: ID!) { cancelRollout(id: $id) { state } }', { id: following.id });

  expect((await graphql('mutation($id: ID!) { deleteDynamicGroup(id: $id) }', { id: other })).data.deleteDynamicGroup).toBe(other);
  expect((await graphql('mutation($id: ID!) { deleteDynamicGroup(id: $id) }', { id: other })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  expect(await group(other)).toBeNull();
  expect((await graphql('{ dynamicGroups { totalCount nodes { id } } }')).data.dynamicGroups).toEqual({ totalCount: 1, nodes: [{ id }] });
  expect((await graphql('mutation($id: ID!) { deleteDynamicGroup(id: $id) }', { id })).data.deleteDynamicGroup).toBe(id);
}, 120_000);
