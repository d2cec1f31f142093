// What clients ask of a gateway just started on the default fleet, as users run it (see support.ts), before the
// mirror's backfill has read it: a task created the moment it starts, and another once the mirror is READY, have
// their subtasks answered every time through the first minute (while the mirror's first sync holds the window), never
// RATE_LIMITED; a group whose members the backfill has not read yet is answered rightly (fleet, fleetSummary,
// DeviceGroup.devices, a rollout by filter): its members are read from the platform once and kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE } from '../harness/routes.js';
import { eventually, sleepUntil, startAsUsersRunIt, type Json, type StartedStack } from './support.js';

let started: StartedStack;
const query = (text: string, variables?: Record<string, unknown>): Promise<Json> => started.stack.gateway.query(text, variables);

/** Three devices of one product, and a firmware package for it, as the gateway tells them (before READY: the platform). */
async function target(): Promise<{ fileId: string; deviceIds: string[] }> {
  const tasks = (await query('{ operations(first: 20) { nodes { type targets { deviceIds } } } }')).data.operations.nodes;
  const deviceIds: string[] = tasks.find((t: Json) => t.type === 'FIRMWARE_UPGRADE' && t.targets.deviceIds.length >= 3).targets.deviceIds.slice(0, 3);
  const [device] = (await query('query($ids: [ID!]!) { devices(ids: $ids) { deviceType model manufacturerName } }', { ids: deviceIds.slice(0, 1) })).data.devices;
  const packages = await query('query($f: UpgradePackageFilter) { upgradePackages(filter: $f, first: 1) { nodes { id } } }', { f: { type: 'FIRMWARE', ...device } });
  return { fileId: packages.data.upgradePackages.nodes[0].id, deviceIds };
}

async function create(input: { fileId: string; deviceIds: string[] }): Promise<string> {
  const created = await query('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
    input: { fileId: input.fileId, targets: { deviceIds: input.deviceIds } },
  });
  expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
  return created.data.createFirmwareUpgradeTask.operationId;
}

beforeAll(async () => {
  started = await startAsUsersRunIt(2000);
}, 60_000);
afterAll(async () => {
  await started?.stack.close();
});

describe('a task created right after the start', () => {
  it('has its subtasks answered every time through the first minute, never RATE_LIMITED', async () => {
    const input = await target();
    const first = await create(input);
    await eventually(() => query('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 30_000);
    const second = await create(input);
    const answers: Json[] = [];
    for (let at = performance.now(); at < started.startedAt + 65_000; at += 3_000) {
      await sleepUntil(at);
      answers.push(
        await query('query($a: ID!, $b: ID!) { a: operation(id: $a) { subtasks { totalCount nodes { status } } } b: operation(id: $b) { subtasks { totalCount nodes { status } } } }', {
          a: first,
          b: second,
        }),
      );
    }
    expect(answers.length).toBeGreaterThan(15);
    const codes = answers.flatMap((answer) => (answer.errors ?? []).map((e: Json) => e.extensions?.code));
    expect(codes).toEqual([]);
    for (const answer of answers) {
      for (const task of [answer.data.a, answer.data.b]) {
        expect(task.subtasks.totalCount).toBe(3);
        expect(task.subtasks.nodes).toHaveLength(3);
      }
    }
    expect((await started.stack.platform.stats()).throttled).toBe(0);
  }, 120_000);
});

describe('a group whose members the backfill has not read yet', () => {
  // The backfill reads groups in the platform's order, one every few seconds from a minute after the start: the last
  // ones come minutes later.
  let groups: Json[];
  const members = ROUTE.deviceGroupMembers;
  const calls = <T>(action: () => Promise<T>) => started.stack.callsDuring(action, { warm: false });
  beforeAll(async () => {
    groups = (await query('{ deviceGroups(first: 100) { nodes { id deviceCount } } }')).data.deviceGroups.nodes;
    expect(groups).toHaveLength(23);
  });

  it('fleet and fleetSummary filtered by it count its members, read once from the platform', async () => {
    const group = groups[22];
    const ask = () => query('query($f: DeviceFilter) { fleet(filter: $f, first: 500) { totalCount nodes { id } } fleetSummary(filter: $f) { total } }', { f: { groupId: group.id } });
    const first = await calls(ask);
    expect(first.result.errors).toBeUndefined();
    expect(first.result.data.fleet.totalCount).toBe(group.deviceCount);
    expect(first.result.data.fleetSummary.total).toBe(group.deviceCount);
    expect(first.byRoute[members]).toBe(1);
    const again = await calls(ask);
    expect(again.result.data).toEqual(first.result.data);
    expect(again.byRoute[members] ?? 0).toBe(0);
  });

  it('DeviceGroup.devices lists its members, which the fleet then answers too', async () => {
    const group = groups[21];
    const first = await calls(() => query('{ deviceGroups(first: 1, offset: 21) { nodes { id devices(first: 500) { totalCount nodes { id } } } } }'));
    const [listed] = first.result.data.deviceGroups.nodes;
    expect(listed.id).toBe(group.id);
    expect(listed.devices.totalCount).toBe(group.deviceCount);
    expect(new Set(listed.devices.nodes.map((d: Json) => d.id)).size).toBe(group.deviceCount);
    expect(first.byRoute[members]).toBe(1);
    const fleet = await calls(() => query('query($f: DeviceFilter) { fleet(filter: $f, first: 500) { nodes { id } } }', { f: { groupId: group.id } }));
    expect(fleet.result.data.fleet.nodes.map((d: Json) => d.id).sort()).toEqual(listed.devices.nodes.map((d: Json) => d.id).sort());
    expect(fleet.byRoute[members] ?? 0).toBe(0);
  });

  it('a rollout targeting it by filter takes its members', async () => {
    const group = groups[20];
    const pkg = (await query('{ upgradePackages(filter: { type: FIRMWARE }, first: 1) { nodes { id deviceType model manufacturerName } } }')).data.upgradePackages.nodes[0];
    const filter = { groupId: group.id, deviceType: pkg.deviceType, model: pkg.model, manufacturerName: pkg.manufacturerName };
    const created = await calls(() =>
      query('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rollout { id total } } }', {
        input: { fileId: pkg.id, targets: { filter }, waves: [{ percent: 100 }] },
      }),
    );
    expect(created.result.errors, JSON.stringify(created.result.errors)).toBeUndefined();
    expect(created.byRoute[members]).toBe(1);
    const matching = (await query('query($f: DeviceFilter) { fleet(filter: $f) { totalCount } }', { f: filter })).data.fleet.totalCount;
    expect(matching).toBeGreaterThan(0);
    expect(created.result.data.createRollout.rollout.total).toBe(matching);
  });
});
