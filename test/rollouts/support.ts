// Rollouts under test: the emulator on its own (manual clock, so a wave ends when a test moves the clock), a gateway
// with the mirror on and the platform's pushes reaching its receiver, on a store engine of the test's choosing.
import { reachableEnv, type TestGateway } from '../harness/gateway.js';
import type { Platform } from '../harness/platform.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { eventually } from '../harness/eventually.js';
import type { Engine } from '../harness/store.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A wave's upgrades start within 30 s and run at most 300 s on the platform. */
export const UPGRADE_SECONDS = 400;

export const ROLLOUT_FIELDS = `id name state haltReason total targetVersion fileId
  thresholdStanding { failed finished appliesAt applies sinceResume }
  stats { total success fail timeout completed }
  waves { index size state startedAt finishedAt soakUntil deviceIds operations { id status targets { deviceIds } stats { total success fail timeout } } stats { total completed } }`;

/** The creates the platform has counted. */
export const creates = async (platform: Platform): Promise<number> => (await platform.stats()).byRoute[ROUTE.createFirmwareUpgrade] ?? 0;

/** Lets the upgrades under way end, in steps of 20 s so that each step's pushes are a trickle the receiver takes in order. */
export const finishUpgrades = (platform: Platform): Promise<void> => platform.advance(UPGRADE_SECONDS, 20);

/** A stack of `devices` devices whose gateways (none started yet unless `gateway`) run the mirror and take pushes. */
export async function startRolloutStack(engine: Engine, { devices = 3000, gateway = 'in-process' }: { devices?: number; gateway?: 'in-process' | 'none' } = {}): Promise<Stack> {
  const stack = await startStack({ platform: { devices }, store: engine, env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5' }, gateway });
  if (gateway !== 'none') await mirrorReady(stack.gateway);
  return stack;
}

/** A gateway process on the stack with its mirror READY, and a reader of one rollout's `fields`. */
export async function startRolloutGateway(stack: Stack, fields = ROLLOUT_FIELDS) {
  const gateway = await stack.startGateway({ process: true });
  const graphql = gateway.query;
  await mirrorReady(gateway);
  return { gateway, rollout: async (id: string): Promise<Json> => (await graphql(`query($id: ID!) { rollout(id: $id) { ${fields} } }`, { id })).data.rollout, graphql };
}

/** Waits until the gateway's mirror is READY (a fleet of thousands takes a while). */
export const mirrorReady = (gateway: TestGateway): Promise<Json> => eventually(() => gateway.query('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 60_000);


/** The newest firmware package of a product, and that product's devices as the mirror lists them (by name). */
export async function productFixture(graphql: TestGateway['query'], model: string): Promise<{ fileId: string; version: string; deviceIds: string[] }> {
  const packages = await graphql('{ upgradePackages(first: 100) { nodes { id type version model uploadedAt } } }');
  const firmware = (packages.data.upgradePackages.nodes as Json[]).filter((p) => p.type === 'FIRMWARE' && p.model === model).sort((a, b) => (a.uploadedAt < b.uploadedAt ? 1 : -1));
  const newest = firmware[0];
  const deviceIds: string[] = [];
  for (let offset = 0; ; offset += 500) {
    const fleet = await graphql('query($f: DeviceFilter, $o: Int) { fleet(filter: $f, first: 500, offset: $o) { totalCount nodes { id } } }', { f: { model }, o: offset });
    deviceIds.push(...(fleet.data.fleet.nodes as Json[]).map((d) => d.id));
    if (deviceIds.length >= fleet.data.fleet.totalCount) break;
  }
  return { fileId: newest.id, version: newest.version, deviceIds };
}

export { eventually };
