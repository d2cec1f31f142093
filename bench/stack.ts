/**
 * What the mirror benches share: the emulator in a child process and its counters, a gateway as a real
 * `node dist/src/main.js` process, a GraphQL request, the waits for the mirror (READY, then caught up), and the
 * printing of platform routes.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EmulatorOptions } from '../src/emulator/index.js';
import { withTimeout } from './proc.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const API_KEY = 'bench-key';
export const LOGIN = 'POST /iocm/app/sec/v1.1.0/login';
const START_TIMEOUT_MS = 3 * 60_000;
const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
/** The node flags the gateway runs with (package.json's config.nodeFlags, as `npm start` and the recipes pass them). */
export const GATEWAY_NODE_FLAGS: string[] = (
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { config?: { nodeFlags?: string } }).config?.nodeFlags ?? ''
)
  .split(' ')
  .filter(Boolean);
const EMULATOR_PROCESS = fileURLToPath(new URL('./emulator-process.js', import.meta.url));
const MIRROR_STATUS = '{ mirror { state devices operations subtasks } }';

/** The README's dashboard query, exactly. */
export const DASHBOARD = '{ operations(first: 20) { nodes { id status stats { total success fail progress } subtasks(first: 10) { nodes { status device { name fwVersion status } } } } } }';

/** A call budget far above what a bench needs, all of it open to one client: the figures are the gateway's. */
export const RAISED_BUDGET = { NORTHBOUND_RATE_LIMIT: '1000000/60s', GATEWAY_CLIENT_BUDGET_SHARE: '1' };

export interface Platform {
  url: string;
  appId: string;
  secret: string;
}

export interface EmulatorStats {
  total: number;
  throttled: number;
  byRoute: Record<string, number>;
  notifications: { sent: number; failed: number; retried: number; dropped: number };
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator, in a child process.

export interface Emulator {
  platform: Platform;
  startupSeconds: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(options: EmulatorOptions): Promise<Emulator> {
  const started = performance.now();
  const worker = fork(EMULATOR_PROCESS, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { url } = await withTimeout(
    new Promise<{ url: string }>((resolve, reject) => {
      worker.once('message', (m) => resolve(m as { url: string }));
      worker.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    }),
    START_TIMEOUT_MS,
    'emulator start',
  );
  const startupSeconds = (performance.now() - started) / 1000;
  const credentials = (await (await fetch(`${url}/_emulator/credentials`)).json()) as { appId: string; secret: string };
  return {
    platform: { url, appId: credentials.appId, secret: credentials.secret },
    startupSeconds,
    process: worker,
    stop: () => exited(worker, () => worker.disconnect()),
  };
}

export async function emulatorStats(platform: Platform): Promise<EmulatorStats> {
  return (await fetch(`${platform.url}/_emulator/stats`)).json() as Promise<EmulatorStats>;
}

export function callsBetween(before: EmulatorStats, after: EmulatorStats): { calls: number; throttled: number; logins: number; byRoute: Record<string, number> } {
  const byRoute: Record<string, number> = {};
  for (const [route, n] of Object.entries(after.byRoute)) {
    const delta = n - (before.byRoute[route] ?? 0);
    if (delta > 0) byRoute[route] = delta;
  }
  return { calls: after.total - before.total, throttled: after.throttled - before.throttled, logins: byRoute[LOGIN] ?? 0, byRoute };
}

// ---------------------------------------------------------------------------------------------------------------
// A gateway: `node dist/src/main.js`, ready when it prints its start-up summary.

export interface Gateway {
  pid: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A TCP port free right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** As the README deploys it, with `env` on top: the defaults of every setting `env` leaves out. */
export async function startGateway(platform: Platform, env: Record<string, string>): Promise<Gateway> {
  // BENCH_GATEWAY_NODE_ARGS: extra node flags for the gateways, e.g. `--cpu-prof --cpu-prof-dir=prof`.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, ...nodeArgs, MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      NORTHBOUND_URL: platform.url,
      NORTHBOUND_APP_ID: platform.appId,
      NORTHBOUND_SECRET: platform.secret,
      GATEWAY_API_KEYS: `${API_KEY}:read`,
      NODE_ENV: 'production',
      GATEWAY_PLAYGROUND: 'off',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        // Off a terminal the start-up summary is one JSON line (src/main.ts).
        const started = line.startsWith('{') ? (JSON.parse(line) as Json) : undefined;
        if (started?.msg === 'gateway started') resolve(started.url as string);
        else if (line.trim()) process.stderr.write(`  [gateway] ${line}\n`);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    }),
    START_TIMEOUT_MS,
    'gateway start',
  );
  return {
    pid: child.pid as number,
    url,
    process: child,
    stop: () => exited(child, () => child.kill('SIGTERM')),
  };
}

/** A gateway the platform pushes to: GATEWAY_PUBLIC_URL is its own address (a port chosen before it starts). */
export async function startPushGateway(platform: Platform, env: Record<string, string>): Promise<Gateway> {
  const port = await freePort();
  return startGateway(platform, { PORT: String(port), GATEWAY_PUBLIC_URL: `http://127.0.0.1:${port}`, ...env });
}

export async function graphql(url: string, query: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as Json };
}

/** A dashboard; fails the bench unless it is a 200 with data, no errors, and some subtasks with devices. */
export async function dashboard(url: string): Promise<Json> {
  const { status, body } = await graphql(url, DASHBOARD);
  if (status !== 200 || body.errors || !body.data) throw new Error(`bad dashboard answer (${status}): ${JSON.stringify(body).slice(0, 500)}`);
  const nodes = body.data.operations.nodes as Json[];
  if (nodes.length === 0 || !nodes.some((o) => o.subtasks.nodes.some((s: Json) => s.device?.name))) {
    throw new Error(`dashboard without tasks or devices: ${JSON.stringify(body).slice(0, 500)}`);
  }
  return body.data;
}

// ---------------------------------------------------------------------------------------------------------------
// Waiting for the mirror.

export interface MirrorCounts {
  state: string;
  devices: number;
  operations: number;
  subtasks: number;
}

/** Polls `{ mirror { state } }` every 100 ms until READY; fails once `timeoutMs` have passed since `started`. */
export async function untilReady(gateway: Gateway, started: number, timeoutMs: number): Promise<MirrorCounts> {
  for (;;) {
    const { body } = await graphql(gateway.url, MIRROR_STATUS);
    const status = body.data?.mirror as MirrorCounts | undefined;
    if (status?.state === 'READY') return status;
    if (performance.now() - started > timeoutMs) throw new Error(`mirror not READY after ${timeoutMs / 1000} s: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * READY needs the newest tasks' subtasks only; the rest are read next. Caught up: the platform has seen no call and
 * the mirror's counts have not moved for `quietMs`. Returns the counts and when that quiet began (performance.now()).
 */
export async function untilCaughtUp(gateway: Gateway, platform: Platform, started: number, timeoutMs: number, quietMs: number): Promise<{ status: MirrorCounts; quietFrom: number }> {
  const look = async () => {
    const status = (await graphql(gateway.url, MIRROR_STATUS)).body.data.mirror as MirrorCounts;
    return { status, key: JSON.stringify([(await emulatorStats(platform)).total, status]) };
  };
  let quietFrom = performance.now();
  let last = await look();
  while (performance.now() - quietFrom < quietMs) {
    if (performance.now() - started > timeoutMs) throw new Error(`mirror still reading after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await look();
    if (now.key !== last.key) quietFrom = performance.now();
    last = now;
  }
  return { status: last.status, quietFrom };
}

// ---------------------------------------------------------------------------------------------------------------
// Arguments and printing.

/** Positive integers from a command-line argument such as `2000,100_000` (fleet sizes, rates). */
export const integersFrom = (arg: string | undefined, fallback: string): number[] =>
  (arg ?? fallback)
    .split(',')
    .map((s) => Number(s.replace(/_/g, '')))
    .filter((n) => Number.isInteger(n) && n > 0);

export const fixed = (n: number | undefined, digits = 1) => (n === undefined ? '—' : n.toFixed(digits));
const shortRoute = (route: string) => route.replace(/^(\w+) \/\w+\/[\w/]*?\/v[\d.]+/, '$1 …');

/** Platform calls by route, sorted: `GET …/devices 8; POST …/login 1` (per `per` requests when given). */
export const routes = (byRoute: Record<string, number>, per = 1) =>
  Object.entries(byRoute)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([route, n]) => `${shortRoute(route)} ${per === 1 ? n : (n / per).toFixed(2)}`)
    .join('; ');

/** Asks a child process to end (`ask`) unless it already has, and resolves once it has exited. */
export function exited(child: ChildProcess, ask: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    ask();
  });
}
