// Three replicas under load lose their PostgreSQL database for 20 s, with the defaults a user gets (budget 100 calls
// a minute, the emulator's real throttle, the mirror on): reads by id go on from the platform as far as the budget
// allows, every failure has a specific code (never INTERNAL_SERVER_ERROR), the platform never throttles, readiness
// says 503, a create answered during the outage gives its operationId (recorded once the store is back: a retry under
// its key gets the same task), and everything answers again when the database is back.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady, reachableEnv, type GatewayProcess } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { startStoreProxy, type StoreProxy } from '../harness/store-proxy.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OUTAGE_MS = 20_000;
const CREATE = 'mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }';

let stack: Stack;
let store: StoreProxy;
const replicas: GatewayProcess[] = [];
let devices: Json[];
let operations: string[];

beforeAll(async () => {
  stack = await startStack({ platform: { devices: 300, throttlePerMinute: 100 }, store: 'postgres', gateway: 'none' });
  store = await startStoreProxy(stack.store?.env.DATABASE_URL as string);
  for (let i = 0; i < 3; i++) {
    const env = { DATABASE_URL: store.url, GATEWAY_REPLICAS: '3', MIRROR_BUDGET_SHARE: '0.5', ...(await reachableEnv()) };
    replicas.push((await stack.startGateway({ process: true, env })) as GatewayProcess);
  }
  for (const replica of replicas) await mirrorReady(replica, 90_000);
  devices = (await replicas[0]!.query('{ fleet(first: 300) { nodes { id deviceType model fwVersion } } }')).data.fleet.nodes;
  operations = (await replicas[0]!.query('{ operations(first: 100) { nodes { id } } }')).data.operations.nodes.map((o: Json) => o.id);
}, 180_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop('SIGKILL')));
  await store?.close();
  await stack?.close();
});

interface Read {
  at: number;
  answered: boolean;
  codes: string[];
}

/** Reads by id, round the replicas, one every `everyMs`, until stopped. */
function keepReading(everyMs: number): { reads: Read[]; stop: () => Promise<void> } {
  const reads: Read[] = [];
  const pending: Promise<void>[] = [];
  let n = 0;
  const timer = setInterval(() => {
    const i = n++;
    const replica = replicas[i % replicas.length]!;
    const [query, id] = i % 2 === 0 ? ['query($id: ID!) { device(id: $id) { id fwVersion } }', devices[(i * 7) % devices.length].id] : ['query($id: ID!) { operation(id: $id) { id status } }', operations[(i * 3) % operations.length]];
    pending.push(
      replica.query(query, { id }).then(
        (reply) => void reads.push({ at: Date.now(), answered: Object.values(reply.data ?? {}).some((value) => value !== null), codes: (reply.errors ?? []).map((e: Json) => e.extensions?.code) }),
        (error) => void reads.push({ at: Date.now(), answered: false, codes: [`no answer: ${String(error)}`] }),
      ),
    );
  }, everyMs);
  return { reads, stop: async () => (clearInterval(timer), void (await Promise.all(pending))) };
}

describe('three replicas through a 20 s store outage under load', () => {
  it('answer what the platform can, say why for the rest, never overspend, and come back', async () => {
    const before = await stack.platform.stats();
    const [throttledBefore, createsBefore] = [before.throttled, before.byRoute[ROUTE.createFirmwareUpgrade] ?? 0];
    const load = keepReading(200);
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    // A create whose answer comes during the outage: the platform is slow to answer it, the store goes meanwhile.
    const device = devices.find((d) => d.fwVersion);
    const pkg = (await replicas[0]!.query('{ upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id deviceType model version } } }')).data.upgradePackages.nodes.find(
      (p: Json) => p.deviceType === device.deviceType && p.model === device.model,
    );
    await stack.platform.control(`devices/${device.id}`, { status: 'ONLINE' });
    await stack.platform.fault({ routes: [ROUTE.createFirmwareUpgrade], latencyMs: 3_000 });
    const input = { fileId: pkg.id, targets: { deviceIds: [device.id] }, idempotencyKey: randomUUID() };
    const creating = replicas[1]!.query(CREATE, { input });
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const cutAt = Date.now();
    const callsAtCut = (await stack.platform.stats()).total;
    await store.cut();
    const created = await creating;
    expect(created.errors).toBeUndefined();
    const operationId = created.data.createFirmwareUpgradeTask.operationId as string;
    expect(operationId).toMatch(/\S/);
    await stack.platform.clearFaults();

    const ready = await Promise.all(replicas.map((replica) => replica.request('/health/ready')));
    expect(ready.map((reply) => reply.status)).toEqual([503, 503, 503]);
    const fleet = await replicas[2]!.query('{ fleet(first: 5) { nodes { id } } }');
    expect(fleet.errors?.[0]?.extensions?.code).toBe('STORE_UNAVAILABLE');
    const keyed = await replicas[2]!.query(CREATE, { input: { ...input, idempotencyKey: randomUUID() } });
    expect(keyed.errors?.[0]?.extensions?.code).toBe('STORE_UNAVAILABLE');

    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - cutAt)));
    const callsDuring = (await stack.platform.stats()).total - callsAtCut;
    await store.restore();
    const restoredAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await load.stop();

    const during = load.reads.filter((read) => read.at > cutAt && read.at < restoredAt);
    const codes = new Set(during.flatMap((read) => read.codes));
    const bySeconds = [0, 5, 10, 15].map((from) => during.filter((r) => r.answered && r.at - cutAt >= from * 1000 && r.at - cutAt < (from + 5) * 1000).length);
    console.info(`during the outage: ${during.length} reads, ${during.filter((r) => r.answered).length} answered (${bySeconds.join(', ')} in each 5 s); codes ${[...codes].join(', ') || 'none'}; ${callsDuring} platform calls`);
    // Every failure says why: the budget (it cannot count the others' calls) or the store; never an internal error.
    expect([...codes].filter((code) => !['RATE_LIMITED', 'STORE_UNAVAILABLE'].includes(code))).toEqual([]);
    expect(during.filter((read) => !read.answered && read.codes.length === 0)).toEqual([]);
    expect((await stack.platform.stats()).throttled - throttledBefore).toBe(0);
    // Answered throughout: every replica spent slots it had leased ahead (the create aside), and every 5 s had answers.
    expect(callsDuring - 1).toBeGreaterThanOrEqual(replicas.length);
    expect(bySeconds.every((answered) => answered > 0)).toBe(true);

    // Back: ready again, reads answered, and the create recorded: a retry under its key gets the same task, once.
    await expect.poll(async () => (await Promise.all(replicas.map((replica) => replica.request('/health/ready')))).map((r) => r.status), { timeout: 20_000, interval: 1_000 }).toEqual([200, 200, 200]);
    expect(load.reads.filter((read) => read.at > restoredAt + 3_000).every((read) => read.answered)).toBe(true);
    const again = await replicas[0]!.query(CREATE, { input });
    expect(again.data?.createFirmwareUpgradeTask?.operationId).toBe(operationId);
    expect(((await stack.platform.stats()).byRoute[ROUTE.createFirmwareUpgrade] ?? 0) - createsBefore).toBe(1);
  }, 120_000);
});
