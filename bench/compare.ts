/**
 * The bench that settles issue 22: the README's dashboard query, side by side, in interleaved rounds, on
 *  - the gateway from its mirror on SQLite,
 *  - the gateway from its mirror on PostgreSQL (a throwaway database; the server's CPU on its backends counted too),
 *  - the gateway's platform path (MIRROR_BUDGET_SHARE=0),
 *  - graphql-js alone answering from an in-memory copy of the SQLite gateway's answer (bench/baseline-server.ts);
 * then the medians over the rounds and the ratios the issue's "Done when" names.
 *
 *   npm run bench:compare -- [seconds per run] [rounds] [--devices N]        defaults: 10 3 --devices 100000
 *
 * Each gateway is a real `node dist/src/main.js` process with its own emulator (same seed, 2,000 devices, manual
 * clock, throttle lifted) and the call budget raised, so the figures are the gateway's; each mirror is READY and
 * has read every task's subtasks (the platform quiet for 3 s) before any load. The baseline is a child process too.
 * autocannon (10 connections) runs in this process; every system is loaded alone (3 s unmeasured first, then once
 * a round), the order rotating each round.
 * CPU: utime + stime from /proc over the run; PostgreSQL's server: its backends on the bench database
 * (pg_stat_activity). Platform calls: the system's emulator's counters over the run, logins included. Peak RSS:
 * VmHWM. Before any load, the answers are compared: SQLite, PostgreSQL and the baseline must be the same data.
 * Afterwards, the SQLite mirror gateway's peak RSS at N devices (its sync, then one run of load; about 40 s at
 * 100,000 devices on 2 cores); `--devices 0` skips it.
 * BENCH_DATABASE_URL: see bench/postgres.ts.
 */
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverCpu, throwawayDatabase } from './postgres.js';
import { CLOCK_TICKS, cpuSeconds, memory, withTimeout } from './proc.js';
import {
  API_KEY,
  DASHBOARD,
  RAISED_BUDGET,
  callsBetween,
  dashboard,
  emulatorStats,
  exited,
  fixed,
  startEmulatorProcess,
  startGateway,
  untilCaughtUp,
  untilReady,
  type Json,
  type Platform,
} from './stack.js';

const CONNECTIONS = 10;
const DEVICES = 2000;
/** Where the issue asks for the mirror's peak RSS. */
const FLEET_DEVICES = 100_000;
const WARM_UP_REQUESTS = 5;
/** Load before the first round, not measured: each process's code is compiled and its caches filled. */
const WARM_UP_SECONDS = 3;
const SYNC_TIMEOUT_MS = 10 * 60_000;
/** The mirror has caught up once the platform has seen no call from it for this long. */
const QUIET_MS = 3_000;
const EMULATOR = { seed: 1, clock: 'manual', startTime: '2026-03-01T00:00:00Z', throttlePerMinute: null } as const;
const BASELINE = fileURLToPath(new URL('./baseline-server.js', import.meta.url));

type Key = 'sqlite' | 'postgres' | 'platform' | 'baseline';
const LABELS: Record<Key, string> = {
  sqlite: 'gateway, mirror (SQLite)',
  postgres: 'gateway, mirror (PostgreSQL)',
  platform: 'gateway, platform path',
  baseline: 'graphql-js in memory (baseline)',
};

interface System {
  key: Key;
  url: string;
  pid: number;
  /** Its own emulator: its counters are this system's platform calls. */
  platform?: Platform;
  /** The PostgreSQL database it reads: the server's CPU on it counts too. */
  database?: string;
}

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  answers: number;
  cpuPer1000: number;
  /** PostgreSQL: the gateway's CPU and the server's on its backends. */
  withServerPer1000?: number;
  callsPerAnswer: number;
  peakRssMb: number;
}

/** What to undo, in the reverse order of doing it. */
type Cleanups = (() => Promise<unknown>)[];

async function undo(cleanups: Cleanups): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error: unknown) => process.stderr.write(`cleanup failed: ${String(error)}\n`));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Starting the systems.

/** A gateway on an emulator of its own; with the mirror on, once it is READY and has caught up. */
async function gateway(key: Key, env: Record<string, string>, cleanups: Cleanups, devices = DEVICES): Promise<System> {
  const emulator = await startEmulatorProcess({ ...EMULATOR, devices });
  cleanups.push(() => emulator.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-compare-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const started = performance.now();
  const child = await startGateway(emulator.platform, { ...RAISED_BUDGET, GATEWAY_DATA_DIR: dataDir, MIRROR_BUDGET_SHARE: '0.5', ...env });
  cleanups.push(() => child.stop());
  if (env.MIRROR_BUDGET_SHARE !== '0') {
    await untilReady(child, started, SYNC_TIMEOUT_MS);
    await untilCaughtUp(child, emulator.platform, started, SYNC_TIMEOUT_MS, QUIET_MS);
  }
  return { key, url: child.url, pid: child.pid, platform: emulator.platform };
}

async function postgresGateway(cleanups: Cleanups): Promise<System> {
  const database = await throwawayDatabase();
  cleanups.push(() => database.drop());
  return { ...(await gateway('postgres', { DATABASE_URL: database.url }, cleanups)), database: database.name };
}

/** The baseline, serving `data`. */
async function baseline(data: Json, cleanups: Cleanups): Promise<System> {
  const child = fork(BASELINE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  cleanups.push(() => exited(child, () => child.disconnect()));
  child.send({ data });
  const { url } = await withTimeout(
    new Promise<{ url: string }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { url: string }));
      child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
    }),
    30_000,
    'baseline start',
  );
  return { key: 'baseline', url, pid: child.pid as number };
}

// ---------------------------------------------------------------------------------------------------------------
// The correctness guard.

/** Where two answers differ (paths such as `operations.nodes.3.status`), the first `limit`. */
function differences(a: Json, b: Json, limit = 5, path = '', found: string[] = []): string[] {
  if (found.length >= limit) return found;
  const objects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object';
  if (!objects) {
    if (a !== b) found.push(`${path || '(root)'}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`);
    return found;
  }
  if (Array.isArray(a) !== Array.isArray(b) || (Array.isArray(a) && a.length !== b.length)) {
    found.push(`${path}: ${Array.isArray(a) ? a.length : 'object'} ≠ ${Array.isArray(b) ? b.length : 'object'} items`);
    return found;
  }
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) differences(a[key], b[key], limit, path ? `${path}.${key}` : key, found);
  return found;
}

/** The answer with its leaves replaced by their types: its shape, every list's length included. */
const shapeOf = (value: Json): Json =>
  Array.isArray(value) ? value.map(shapeOf) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)])) : value === null ? 'null' : typeof value;

/** SQLite, PostgreSQL and the baseline must give the same data; the platform path is checked and reported. */
async function guard(systems: System[], reference: Json): Promise<string[]> {
  const notes: string[] = [];
  for (const system of systems.filter((s) => s.key !== 'sqlite')) {
    const answer = await dashboard(system.url);
    const differ = differences(reference, answer);
    if (differ.length === 0) {
      notes.push(`${LABELS[system.key]}: the same data as the SQLite mirror`);
    } else if (system.key !== 'platform') {
      throw new Error(`${LABELS[system.key]} answers other data than the SQLite mirror: ${differ.join('; ')}`);
    } else {
      const shape = differences(shapeOf(reference), shapeOf(answer));
      notes.push(`${LABELS.platform}: ${shape.length === 0 ? 'the same shape and list lengths, other values' : 'another shape'} than the SQLite mirror (${differ.join('; ')})`);
    }
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring.

const DASHBOARD_REQUEST = { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query: DASHBOARD }) } as const;

async function run(system: System, seconds: number): Promise<Run> {
  for (let i = 0; i < WARM_UP_REQUESTS; i++) await dashboard(system.url);
  let withErrors = 0;
  const before = system.platform && (await emulatorStats(system.platform));
  const server = system.database ? await serverCpu(system.database) : undefined;
  const cpuBefore = cpuSeconds(system.pid);
  const result = await autocannon({
    url: system.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        ...DASHBOARD_REQUEST,
        // A GraphQL error comes back as a 200 too.
        onResponse: (status: number, body: string) => {
          if (status !== 200 || !body.startsWith('{"data":{"operations":') || body.includes('"errors"')) withErrors += 1;
        },
      },
    ],
  });
  const cpu = cpuSeconds(system.pid) - cpuBefore;
  const serverSeconds = await server?.stop();
  const calls = before && system.platform ? callsBetween(before, await emulatorStats(system.platform)).calls : 0;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || withErrors > 0) {
    throw new Error(`${LABELS[system.key]}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${withErrors} answers with GraphQL errors`);
  }
  const answers = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    answers,
    cpuPer1000: (cpu / answers) * 1000,
    withServerPer1000: serverSeconds === undefined ? undefined : ((cpu + serverSeconds) / answers) * 1000,
    callsPerAnswer: calls / answers,
    peakRssMb: memory(system.pid).peakRssMb,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

function medianOf(runs: Run[]): Run {
  const of = (pick: (r: Run) => number | undefined) => median(runs.map(pick).filter((v): v is number => v !== undefined));
  const withServer = runs.some((r) => r.withServerPer1000 !== undefined);
  return {
    requestsPerSecond: of((r) => r.requestsPerSecond),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    answers: of((r) => r.answers),
    cpuPer1000: of((r) => r.cpuPer1000),
    withServerPer1000: withServer ? of((r) => r.withServerPer1000) : undefined,
    callsPerAnswer: of((r) => r.callsPerAnswer),
    peakRssMb: of((r) => r.peakRssMb),
  };
}

const cpuCell = (r: Run) => (r.withServerPer1000 === undefined ? fixed(r.cpuPer1000, 2) : `${fixed(r.cpuPer1000, 2)} (+ server: ${fixed(r.withServerPer1000, 2)})`);
const row = (r: Run) => ({
  'req/s': Math.round(r.requestsPerSecond),
  'p50 / p99 ms': `${r.p50Ms} / ${r.p99Ms}`,
  'CPU s per 1,000 answers': cpuCell(r),
  'platform calls per answer': fixed(r.callsPerAnswer, 2),
  'peak RSS MB': Math.round(r.peakRssMb),
});

/** The SQLite mirror gateway at `devices` devices, synced, then one run of load. */
async function fleet(devices: number, seconds: number): Promise<{ run: Run; readySeconds: number }> {
  const cleanups: Cleanups = [];
  try {
    const started = performance.now();
    const system = await gateway('sqlite', {}, cleanups, devices);
    const readySeconds = (performance.now() - started) / 1000;
    return { run: await run(system, seconds), readySeconds };
  } finally {
    await undo(cleanups);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The bench.

function argumentsGiven(): { seconds: number; rounds: number; devices: number } {
  const args = process.argv.slice(2);
  const at = args.indexOf('--devices');
  const devices = at >= 0 ? Number((args[at + 1] ?? '').replace(/_/g, '')) : FLEET_DEVICES;
  if (!(Number.isInteger(devices) && devices >= 0)) throw new Error('--devices: expected a number of devices, or 0 for none');
  const [seconds, rounds] = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1)).map(Number);
  return { seconds: seconds && seconds > 0 ? seconds : 10, rounds: rounds && rounds > 0 ? Math.round(rounds) : 3, devices };
}

const load = () => loadavg().map((n) => n.toFixed(2)).join(' / ');

function verdict(label: string, value: number, target: string, met: boolean | undefined, unit = '×'): string {
  return `  ${label.padEnd(62)} ${`${value.toFixed(2)}${unit}`.padStart(9)}  ${target.padEnd(8)} ${met === undefined ? '' : met ? 'met' : 'MISSED'}`;
}

async function main(): Promise<void> {
  const { seconds, rounds, devices } = argumentsGiven();
  const loadBefore = load();
  console.log(`Issue 22 comparison: the README's dashboard, ${DEVICES.toLocaleString('en')} devices; autocannon ${CONNECTIONS} connections, ${seconds} s per run, ${rounds} interleaved rounds, medians.`);
  console.log(`Node ${process.version}, ${cpus().length} CPUs; CPU from /proc (${CLOCK_TICKS} ticks/s). Load average (1 / 5 / 15 min) at start: ${loadBefore}.`);
  const cleanups: Cleanups = [];
  const runs = new Map<Key, Run[]>();
  let notes: string[] = [];
  try {
    process.stderr.write('starting: SQLite mirror gateway...\n');
    const sqlite = await gateway('sqlite', {}, cleanups);
    process.stderr.write('starting: PostgreSQL mirror gateway...\n');
    const postgres = await postgresGateway(cleanups);
    process.stderr.write('starting: platform path gateway...\n');
    const platform = await gateway('platform', { GATEWAY_DATA_DIR: ':memory:', MIRROR_BUDGET_SHARE: '0' }, cleanups);
    const reference = await dashboard(sqlite.url);
    const systems = [sqlite, postgres, platform, await baseline(reference, cleanups)];
    notes = await guard(systems, reference);
    for (const note of notes) process.stderr.write(`guard: ${note}\n`);
    for (const system of systems) await autocannon({ url: system.url, connections: CONNECTIONS, duration: WARM_UP_SECONDS, requests: [DASHBOARD_REQUEST] });
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < systems.length; i++) {
        const system = systems[(i + round) % systems.length] as System;
        const measured = await run(system, seconds);
        runs.set(system.key, [...(runs.get(system.key) ?? []), measured]);
        process.stderr.write(`round ${round + 1}/${rounds}, ${LABELS[system.key]}: ${Math.round(measured.requestsPerSecond)} req/s, ${cpuCell(measured)} CPU s per 1,000\n`);
      }
    }
  } finally {
    await undo(cleanups);
  }
  const keys = Object.keys(LABELS) as Key[];
  console.log('\nEvery run');
  console.table(keys.flatMap((key) => (runs.get(key) ?? []).map((r, i) => ({ system: LABELS[key], round: i + 1, ...row(r) }))));
  const medians = Object.fromEntries(keys.map((key) => [key, medianOf(runs.get(key) ?? [])])) as Record<Key, Run>;
  console.log(`\nMedians over ${rounds} rounds (CPU: the serving process; PostgreSQL "+ server": its backends on the bench database too)`);
  console.table(Object.fromEntries(keys.map((key) => [LABELS[key], row(medians[key])])));
  console.log('Correctness guard:');
  for (const note of notes) console.log(`  ${note}`);

  const fleetRun = devices === 0 ? undefined : (process.stderr.write(`fleet: ${devices} devices...\n`), await fleet(devices, seconds));
  const { sqlite, postgres, platform, baseline: base } = medians;
  const pgCpu = postgres.withServerPer1000 ?? postgres.cpuPer1000;
  console.log(`\nIssue 22, "Done when" — medians of this run (${rounds} round${rounds === 1 ? '' : 's'}, ${seconds} s each)`);
  console.log(verdict('SQLite mirror: CPU per answer ÷ baseline', sqlite.cpuPer1000 / base.cpuPer1000, '≤ 2×', sqlite.cpuPer1000 <= 2 * base.cpuPer1000));
  console.log(verdict('SQLite mirror: req/s ÷ baseline', sqlite.requestsPerSecond / base.requestsPerSecond, '≥ 0.5×', sqlite.requestsPerSecond >= 0.5 * base.requestsPerSecond));
  console.log(verdict('PostgreSQL mirror: req/s ÷ SQLite mirror', postgres.requestsPerSecond / sqlite.requestsPerSecond, '≥ 0.8×', postgres.requestsPerSecond >= 0.8 * sqlite.requestsPerSecond));
  console.log(verdict('PostgreSQL mirror: CPU per answer, gateway + server ÷ SQLite', pgCpu / sqlite.cpuPer1000, '', undefined));
  console.log(verdict('PostgreSQL mirror: CPU per answer, gateway + server ÷ baseline', pgCpu / base.cpuPer1000, '', undefined));
  console.log(verdict('PostgreSQL mirror: req/s ÷ baseline', postgres.requestsPerSecond / base.requestsPerSecond, '', undefined));
  console.log(verdict('platform path: CPU s per 1,000 answers', platform.cpuPer1000, '≤ 14', platform.cpuPer1000 <= 14, ' s'));
  console.log(verdict('platform path: CPU per answer ÷ baseline', platform.cpuPer1000 / base.cpuPer1000, '', undefined));
  console.log(verdict('platform path: req/s ÷ baseline', platform.requestsPerSecond / base.requestsPerSecond, '', undefined));
  console.log(verdict('platform path: platform calls per answer', platform.callsPerAnswer, '', undefined, ''));
  if (fleetRun) {
    const label = `SQLite mirror at ${devices.toLocaleString('en')} devices: peak RSS`;
    console.log(verdict(label, fleetRun.run.peakRssMb, '< 150 MB', devices >= 100_000 ? fleetRun.run.peakRssMb < 150 : undefined, ' MB'));
    console.log(`    (ready and caught up in ${fixed(fleetRun.readySeconds)} s; under load ${Math.round(fleetRun.run.requestsPerSecond)} req/s, ${fixed(fleetRun.run.cpuPer1000, 2)} CPU s per 1,000)`);
  } else {
    console.log(`  peak RSS at ${FLEET_DEVICES.toLocaleString('en')} devices: not measured (--devices 0); run \`npm run bench:compare -- ${seconds} ${rounds}\``);
  }
  console.log(`  load average (1 / 5 / 15 min): ${loadBefore} at start, ${load()} at end, on ${cpus().length} CPUs`);
}

await main();
