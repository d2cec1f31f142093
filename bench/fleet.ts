/**
 * Fleet analytics over a mirror of 100,000 devices (issue 24): fleetAggregate and compliance, one request at a time,
 * p50/p99 per question, on each store engine, and the platform calls made meanwhile (none expected).
 *
 *   npm run bench:fleet -- [requests per question] [devices] [engines]      defaults: 200 100000 sqlite,postgres
 *
 * The emulator runs in a child process (manual clock, no throttle); the gateway is a real `node dist/src/main.js`
 * process with a raised budget, its mirror filled by its own full sync (as bench/mirror.ts does) and caught up
 * (no platform call for 10 s: the paced backfill of older tasks' subtasks done) before the first question; on
 * PostgreSQL also once autovacuum has vacuumed and analysed the table after the sync's inserts (as it does within
 * about a minute in service: until then no index-only scan), or, where autovacuum is off, once the bench has. Every
 * request has an operation name of its own (and a `first` of its own where it takes one), so none is answered from
 * the response cache: each runs its SQL. Latency is the client's, over HTTP. The machine's load average is printed
 * with the figures: other processes' CPU shows in them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { throwawayDatabase } from './postgres.js';
import { API_KEY, RAISED_BUDGET, callsBetween, emulatorStats, fixed, routes, startEmulatorProcess, startGateway, untilCaughtUp, untilReady, type Json } from './stack.js';

const args = process.argv.slice(2);
const REQUESTS = Number(args[0] ?? 200);
const DEVICES = Number(args[1] ?? 100_000);
const ENGINES = (args[2] ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[];
const SYNC_TIMEOUT_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
/** The emulator's clock starts here: "online in the last day" is the day before it. */
const START = '2026-03-01T00:00:00Z';

/** Each question as GraphQL; each request is named apart (`query Q<n>`) and takes `$n` if it has it. */
const QUESTIONS: Record<string, { query: string; variables: Record<string, unknown> }> = {
  'per firmware version, whole fleet': {
    query: 'query($n: Int) { fleetAggregate(groupBy: [FW_VERSION], first: $n) { total bucketCount buckets { values count } } }',
    variables: {},
  },
  'WM200 seen in the last day, per firmware and manufacturer': {
    query: `query($f: DeviceFilter, $n: Int) { fleetAggregate(filter: $f, groupBy: [FW_VERSION, MANUFACTURER_NAME], first: $n) { total bucketCount buckets { values count } } }`,
    variables: { f: { model: 'WM200', where: { lastModifiedAt: { gte: new Date(Date.parse(START) - DAY_MS).toISOString() } } } },
  },
  'and/or/not with ranges, per model, status and location': {
    query: `query($f: DeviceFilter, $n: Int) { fleetAggregate(filter: $f, groupBy: [MODEL, STATUS, LOCATION], first: $n) { total bucketCount buckets { values count } } }`,
    variables: {
      f: {
        or: [{ where: { fwVersion: { gte: '1.2', lt: '3' } } }, { where: { name: { like: 'Gas*-Harbor-*' } } }],
        not: { where: { status: { eq: 'INACTIVE' } } },
        where: { createdAt: { gte: new Date(Date.parse(START) - 200 * DAY_MS).toISOString() } },
      },
    },
  },
  'compliance of WM100 firmware': {
    query: `query { compliance(product: { model: "WM100" }) { total onNewest share versions { version count } } }`,
    variables: {},
  },
};

async function ask(url: string, question: (typeof QUESTIONS)[string], n: number): Promise<number> {
  const query = question.query.replace(/^query/, `query Q${n}`);
  const variables = question.query.includes('$n') ? { ...question.variables, n } : question.variables;
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as Json;
  const ms = performance.now() - started;
  if (response.status !== 200 || body.errors) throw new Error(`bad answer (${response.status}): ${JSON.stringify(body).slice(0, 500)}`);
  return ms;
}

/**
 * Until autovacuum has vacuumed and analysed the mirror's devices after the sync's inserts; where autovacuum is off
 * (as on our test server), the same `vacuum analyze` run here. Returns what was done and the seconds it took.
 */
async function vacuumed(url: string, timeoutMs: number): Promise<string> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
  try {
    if ((await client.query('show autovacuum')).rows[0]?.autovacuum !== 'on') {
      await client.query('vacuum analyze mirror_devices');
      return `autovacuum off: vacuum analyze run, ${seconds()} s`;
    }
    for (;;) {
      const { rows } = await client.query("select last_autovacuum, last_autoanalyze from pg_stat_user_tables where relname = 'mirror_devices'");
      if (rows[0]?.last_autovacuum && rows[0]?.last_autoanalyze) return `autovacuum done after ${seconds()} s`;
      if (performance.now() - started > timeoutMs) throw new Error(`mirror_devices not autovacuumed after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await client.end();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

async function main(): Promise<void> {
  process.stderr.write(`${DEVICES} devices: starting the emulator...\n`);
  const emulator = await startEmulatorProcess({ seed: 1, devices: DEVICES, clock: 'manual', startTime: START, throttlePerMinute: null });
  try {
    for (const engine of ENGINES) {
      const dataDir = engine === 'sqlite' ? mkdtempSync(join(tmpdir(), 'gw-bench-fleet-')) : undefined;
      const database = engine === 'postgres' ? await throwawayDatabase() : undefined;
      const store: Record<string, string> = dataDir ? { GATEWAY_DATA_DIR: dataDir } : { DATABASE_URL: (database as { url: string }).url };
      const started = performance.now();
      process.stderr.write(`${engine}: gateway syncing ${DEVICES} devices...\n`);
      // The mirror's poll of running tasks (every subtask of each, 120-odd calls on this fleet) waits an hour: its own
      // work would share the gateway's one thread with the questions measured.
      const gateway = await startGateway(emulator.platform, { ...RAISED_BUDGET, ...store, MIRROR_BUDGET_SHARE: '0.5', MIRROR_POLL_SECONDS: '3600' });
      try {
        await untilReady(gateway, started, SYNC_TIMEOUT_MS);
        const { status } = await untilCaughtUp(gateway, emulator.platform, started, SYNC_TIMEOUT_MS, 10_000);
        process.stderr.write(`${engine}: ${status.devices} devices mirrored after ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
        if (database) process.stderr.write(`${engine}: ${await vacuumed(database.url, SYNC_TIMEOUT_MS)}\n`);
        console.log(`\n${engine}, ${status.devices} devices, ${REQUESTS} requests per question (one at a time), load average ${loadavg()[0]?.toFixed(1)}:`);
        console.log('question'.padEnd(60) + 'p50 ms'.padStart(9) + 'p99 ms'.padStart(9) + 'max ms'.padStart(9) + '  platform calls');
        for (const [name, question] of Object.entries(QUESTIONS)) {
          for (let i = 0; i < 5; i++) await ask(gateway.url, question, 1000 - i);
          const before = await emulatorStats(emulator.platform);
          const times: number[] = [];
          for (let i = 0; i < REQUESTS; i++) times.push(await ask(gateway.url, question, 1 + (i % 990)));
          const calls = callsBetween(before, await emulatorStats(emulator.platform));
          times.sort((a, b) => a - b);
          console.log(name.padEnd(60) + fixed(percentile(times, 50)).padStart(9) + fixed(percentile(times, 99)).padStart(9) + fixed(times.at(-1)).padStart(9) + `  ${calls.calls}${calls.calls ? ` (${routes(calls.byRoute)})` : ''}`);
        }
      } finally {
        await gateway.stop();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
        await database?.drop();
      }
    }
  } finally {
    await emulator.stop();
  }
}

await main();
