// Rollouts under test: the emulator on its own (manual clock, so a wave ends when a test moves the clock), a gateway
// with the mirror on and the platform's pushes reaching its receiver, on a store engine of the test's choosing.
import { createServer } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { platformEnv, TEST_API_KEY } from '../gateway/helpers.js';
import { testStoreLocation, type Engine, type TestStoreLocation } from '../helpers/store.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const CREATE_ROUTE = 'POST /iodm/northbound/v1.5.0/operations/firmwareUpgrade';
/** A wave's upgrades start within 30 s and run at most 300 s on the platform. */
export const UPGRADE_SECONDS = 400;

export const ROLLOUT_FIELDS = `id name state haltReason total targetVersion fileId
  stats { total success fail timeout completed }
  waves { index size state startedAt finishedAt soakUntil deviceIds operations { id status targets { deviceIds } stats { total success fail timeout } } stats { total completed } }`;

/** A free port on loopback, so the gateway's public URL (its receiver) is known before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Platform {
  emulator: RunningEmulator;
  control(path: string, body?: unknown, method?: string): Promise<Json>;
  creates(): Promise<number>;
  advance(seconds: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPlatform(devices = 3000): Promise<Platform> {
  const emulator = await startEmulator({ port: 0, seed: 7, devices, clock: 'manual', startTime: '2026-03-01T00:00:00Z', throttlePerMinute: 1_000_000 });
  const control = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
    const response = await fetch(`${emulator.url}/_emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Json>;
  };
  return {
    emulator,
    control,
    creates: async () => ((await control('stats')).byRoute[CREATE_ROUTE] as number | undefined) ?? 0,
    advance: async (seconds) => {
      // In steps, so that each step's pushes are a trickle the receiver takes in order.
      for (let left = seconds; left > 0; left -= 20) await control('clock', { advanceSeconds: Math.min(20, left) });
    },
    close: () => emulator.close(),
  };
}

/** The gateway's environment on this platform and store: mirror on, push to its own receiver. */
export function gatewayEnv(platform: Platform, store: TestStoreLocation, port: number): Record<string, string> {
  return {
    ...(platformEnv(platform.emulator.url, platform.emulator.credentials) as Record<string, string>),
    ...store.env,
    PORT: String(port),
    MIRROR_BUDGET_SHARE: '0.5',
    GATEWAY_PUBLIC_URL: `http://127.0.0.1:${port}`,
  };
}

export interface RolloutStack {
  platform: Platform;
  store: TestStoreLocation;
  gateway: Gateway;
  graphql(query: string, variables?: Record<string, unknown>): Promise<Json>;
  close(): Promise<void>;
}

export async function startRolloutStack(engine: Engine): Promise<RolloutStack> {
  const platform = await startPlatform();
  const store = await testStoreLocation(engine);
  const loaded = loadConfig(gatewayEnv(platform, store, await freePort()));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const gateway = await createGateway(loaded.config);
  const graphql = (query: string, variables?: Record<string, unknown>) => post(gateway.url, query, variables);
  await eventually(() => graphql('{ mirror { state } }'), (r) => r.data?.mirror?.state === 'READY', 60_000);
  return {
    platform,
    store,
    gateway,
    graphql,
    close: async () => {
      await gateway.close();
      await platform.close();
      await store.drop();
    },
  };
}

export async function post(url: string, query: string, variables?: Record<string, unknown>): Promise<Json> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY }, body: JSON.stringify({ query, variables }) });
  return response.json();
}

export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${JSON.stringify(value).slice(0, 800)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The newest firmware package of a product, and that product's devices as the mirror lists them (by name). */
export async function productFixture(graphql: RolloutStack['graphql'], model: string): Promise<{ fileId: string; version: string; deviceIds: string[] }> {
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
