/**
 * Replicas (issue 14): the README's dashboard query against 1, 2 and 3 gateway processes on one PostgreSQL database,
 * and what they cost the platform. For each count: a fresh database, the emulator's counters zeroed, the gateways
 * started together (mirror on, the platform's real budget of 100 calls a minute), the mirror READY on all and
 * caught up (no platform call for 5 s); then
 * autocannon on every replica at once (the connections split between them) for the run, summed. Platform calls per
 * minute are the emulator's over the run (logins apart): they should not grow with replicas.
 *
 *   npm run bench:replicas -- [seconds per run]        default: 20
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres): a server where this user may create
 * and drop a database.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { throwawayDatabase } from './postgres.js';
import { GATEWAY_NODE_FLAGS } from './stack.js';

const CONNECTIONS = 12;
/** The mirror has caught up once the platform has seen no call for this long. */
const QUIET_MS = 5_000;
const API_KEY = 'bench-key';
const LOGIN = 'POST /iocm/app/sec/v1.1.0/login';
const REFRESH = 'POST /iocm/app/sec/v1.1.0/refreshToken';
const DASHBOARD = '{ operations(first: 20) { nodes { id status stats { total success fail progress } subtasks(first: 10) { nodes { status device { name fwVersion status } } } } } }';
const dist = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A gateway's start-up summary off a terminal: one JSON line on stdout, its endpoint in `url` (src/main.ts). */
const GATEWAY_STARTED = /^\{.*"url":"([^"]+)".*"msg":"gateway started"/m;

/** A process that prints `pattern` (its URL in group 1) once it is ready. */
async function startProcess(script: string, env: Record<string, string>, pattern: RegExp): Promise<{ url: string; child: ChildProcess }> {
  const flags = script === 'main.js' ? GATEWAY_NODE_FLAGS : [];
  const child = spawn(process.execPath, [...flags, dist(script)], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
  return { url, child };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function ready(url: string): Promise<void> {
  for (const until = Date.now() + 180_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query: '{ mirror { state } }' }) });
    if (((await response.json()) as Json).data?.mirror?.state === 'READY') return;
  }
  throw new Error(`${url}: the mirror is not READY after 180 s`);
}

interface Run {
  replicas: number;
  requestsPerSecond: number;
  errors: number;
  p99Ms: number;
  callsPerMinute: number;
  logins: number;
  refreshes: number;
}

async function measure(emulatorUrl: string, credentials: { appId: string; secret: string }, replicas: number, seconds: number): Promise<Run> {
  const database = await throwawayDatabase();
  const gateways: ChildProcess[] = [];
  try {
    await fetch(`${emulatorUrl}/_emulator/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const env = {
      PORT: '0',
      NODE_ENV: 'production',
      GATEWAY_PLAYGROUND: 'off',
      LOG_LEVEL: 'warn',
      NORTHBOUND_URL: emulatorUrl,
      NORTHBOUND_APP_ID: credentials.appId,
      NORTHBOUND_SECRET: credentials.secret,
      GATEWAY_API_KEYS: `${API_KEY}:read`,
      DATABASE_URL: database.url,
    };
    const started = await Promise.all(Array.from({ length: replicas }, () => startProcess('main.js', env, GATEWAY_STARTED)));
    gateways.push(...started.map((s) => s.child));
    await Promise.all(started.map((s) => ready(s.url)));
    const stats = async () => (await (await fetch(`${emulatorUrl}/_emulator/stats`)).json()) as { total: number; byRoute: Record<string, number> };
    // Steady state: the mirror has read every task's subtasks once it has made no call for a while.
    for (let last = -1, until = Date.now() + 180_000; Date.now() < until; await new Promise((r) => setTimeout(r, QUIET_MS))) {
      const { total } = await stats();
      if (total === last) break;
      last = total;
    }
    const before = await stats();
    const results = await Promise.all(
      started.map(({ url }) =>
        autocannon({
          url,
          connections: Math.max(1, Math.round(CONNECTIONS / replicas)),
          duration: seconds,
          requests: [{ method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query: DASHBOARD }) }],
        }),
      ),
    );
    const after = await stats();
    const delta = (route: string) => (after.byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
    const auth = delta(LOGIN) + delta(REFRESH);
    return {
      replicas,
      requestsPerSecond: Math.round(results.reduce((sum, r) => sum + r.requests.average, 0)),
      errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
      p99Ms: Math.max(...results.map((r) => r.latency.p99)),
      callsPerMinute: Math.round(((after.total - before.total - auth) / seconds) * 60 * 10) / 10,
      logins: after.byRoute[LOGIN] ?? 0,
      refreshes: after.byRoute[REFRESH] ?? 0,
    };
  } finally {
    await Promise.all(gateways.map(stop));
    await database.drop();
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? '') > 0 ? Number(process.argv[2]) : 20;
  console.log(`Replicas on one PostgreSQL database. Node ${process.version}, ${cpus().length} CPUs; the dashboard query, autocannon ${CONNECTIONS} connections split over the replicas, ${seconds} s a run.`);
  const emulator = await startProcess('emulator/cli.js', { EMULATOR_PORT: '0', EMULATOR_DEVICES: '2000', EMULATOR_CLOCK: 'realtime' }, /Platform emulator ready in \d+ ms at (\S+)/);
  try {
    const credentials = (await (await fetch(`${emulator.url}/_emulator/credentials`)).json()) as { appId: string; secret: string };
    const runs: Run[] = [];
    for (const replicas of [1, 2, 3]) {
      process.stderr.write(`${replicas} replica(s)...\n`);
      runs.push(await measure(emulator.url, credentials, replicas, seconds));
    }
    console.table(
      Object.fromEntries(
        runs.map((r) => [
          `${r.replicas} replica${r.replicas > 1 ? 's' : ''}`,
          { 'dashboard req/s': r.requestsPerSecond, 'p99 ms': r.p99Ms, errors: r.errors, 'platform calls/min (load)': r.callsPerMinute, 'logins (whole run)': r.logins, refreshes: r.refreshes },
        ]),
      ),
    );
  } finally {
    await stop(emulator.child);
  }
}

await main();
