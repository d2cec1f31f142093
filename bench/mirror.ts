/**
 * The fleet mirror against the platform path, for the README's dashboard query, at each fleet size (issue 10):
 * initial sync (platform calls, seconds), store size, gateway RSS, and under load (autocannon, 10 connections)
 * requests per second, p50/p99 and CPU seconds per 1,000 requests, side by side with the same query answered
 * from the platform (MIRROR_BUDGET_SHARE=0: per-request DataLoaders and the shared caches).
 *
 *   npm run bench:mirror -- [seconds per run] [sizes]        defaults: 10 2000,100000
 *
 * The emulator runs in a child process (manual clock, no throttle); each gateway is a real `node dist/src/main.js`
 * process, one at a time, so it has the machine's CPUs to itself besides the emulator; autocannon runs in this
 * process. The gateways' call budget is raised far above what the load needs and one client may use all of it,
 * so the figures measure the gateway, not the budget.
 *  - mirror: a fresh SQLite data dir; started without a public URL (no push: the full sync alone fills it); timed
 *    from spawn until `{ mirror { state } }` is READY; the emulator's counters over that span are the sync's calls.
 *    The load starts once the mirror has read every task's subtasks too (no platform call for 3 s).
 *  - platform: `:memory:` store, mirror off; warmed with a few dashboards before the load.
 * BENCH_GATEWAY_NODE_ARGS adds node flags to the gateways (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 * CPU: the gateway process's utime + stime (/proc/<pid>/stat) over the load run. Peak RSS: VmHWM (/proc/<pid>/status).
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOCK_TICKS, cpuSeconds, directoryBytes, memory } from './proc.js';
import {
  API_KEY,
  DASHBOARD,
  RAISED_BUDGET,
  callsBetween,
  dashboard,
  emulatorStats,
  fixed,
  routes,
  integersFrom,
  startEmulatorProcess,
  startGateway,
  untilCaughtUp,
  untilReady,
  type Gateway,
  type Platform,
} from './stack.js';

const args = process.argv.slice(2);

const CONNECTIONS = 10;
const WARM_UP_REQUESTS = 5;
const SYNC_TIMEOUT_MS = 10 * 60_000;
/** The mirror has caught up once the platform has seen no call from it for this long. */
const QUIET_MS = 3_000;

type Path = 'mirror' | 'platform';

// ---------------------------------------------------------------------------------------------------------------
// Measuring one path at one size.

interface Load {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  cpuSecondsPer1000: number;
  callsPerRequest: number;
  byRoute: Record<string, number>;
}

interface Row extends Load {
  path: Path;
  syncCalls?: number;
  syncLogins?: number;
  syncByRoute?: Record<string, number>;
  syncSeconds?: number;
  /** Until every task's subtasks are in (the platform quiet). */
  caughtUpCalls?: number;
  caughtUpSeconds?: number;
  mirrored?: { devices: number; operations: number; subtasks: number };
  storeMb?: number;
  storeMbAfterLoad?: number;
  /** Before the load: RSS, and the peak so far (the sync's, for the mirror). */
  rssReadyMb: number;
  peakRssReadyMb: number;
  rssMb: number;
  peakRssMb: number;
}

async function load(gateway: Gateway, platform: Platform, seconds: number): Promise<Load> {
  let withErrors = 0;
  let checked = 0;
  const before = await emulatorStats(platform);
  const cpuBefore = cpuSeconds(gateway.pid);
  const result = await autocannon({
    url: gateway.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ query: DASHBOARD }),
        // Every answer: a GraphQL error would come back as a 200 too.
        onResponse: (status: number, body: string) => {
          checked += 1;
          if (status !== 200 || !body.startsWith('{"data":{"operations":') || body.includes('"errors"')) withErrors += 1;
        },
      },
    ],
  });
  const cpuAfter = cpuSeconds(gateway.pid);
  const after = await emulatorStats(platform);
  // And a few answers after the run, read in full.
  for (let i = 0; i < 3; i++) await dashboard(gateway.url);
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || withErrors > 0) {
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${withErrors} of ${checked} answers with GraphQL errors`);
  }
  const requests = result.requests.total;
  const calls = callsBetween(before, after);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    cpuSecondsPer1000: ((cpuAfter - cpuBefore) / requests) * 1000,
    callsPerRequest: calls.calls / requests,
    byRoute: calls.byRoute,
  };
}

async function measureMirror(platform: Platform, seconds: number): Promise<Row> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-mirror-'));
  const before = await emulatorStats(platform);
  const started = performance.now();
  const gateway = await startGateway(platform, { ...RAISED_BUDGET, GATEWAY_DATA_DIR: dataDir, MIRROR_BUDGET_SHARE: '0.5' });
  try {
    await untilReady(gateway, started, SYNC_TIMEOUT_MS);
    const syncSeconds = (performance.now() - started) / 1000;
    const sync = callsBetween(before, await emulatorStats(platform));
    const storeMb = directoryBytes(dataDir) / 1e6;
    // The load starts once every task's subtasks are in.
    const { status, quietFrom } = await untilCaughtUp(gateway, platform, started, SYNC_TIMEOUT_MS, QUIET_MS);
    const caughtUpSeconds = (quietFrom - started) / 1000;
    const caughtUp = callsBetween(before, await emulatorStats(platform));
    const { rssMb: rssReadyMb, peakRssMb: peakRssReadyMb } = memory(gateway.pid);
    for (let i = 0; i < WARM_UP_REQUESTS; i++) await dashboard(gateway.url);
    const measured = await load(gateway, platform, seconds);
    return {
      path: 'mirror',
      peakRssReadyMb,
      syncCalls: sync.calls,
      syncLogins: sync.logins,
      syncByRoute: sync.byRoute,
      syncSeconds,
      caughtUpCalls: caughtUp.calls,
      caughtUpSeconds,
      mirrored: { devices: status.devices, operations: status.operations, subtasks: status.subtasks },
      storeMb,
      storeMbAfterLoad: directoryBytes(dataDir) / 1e6,
      rssReadyMb,
      ...memory(gateway.pid),
      ...measured,
    };
  } finally {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measurePlatform(platform: Platform, seconds: number): Promise<Row> {
  const gateway = await startGateway(platform, { ...RAISED_BUDGET, GATEWAY_DATA_DIR: ':memory:', MIRROR_BUDGET_SHARE: '0' });
  try {
    const { rssMb: rssReadyMb, peakRssMb: peakRssReadyMb } = memory(gateway.pid);
    for (let i = 0; i < WARM_UP_REQUESTS; i++) await dashboard(gateway.url);
    const measured = await load(gateway, platform, seconds);
    return { path: 'platform', rssReadyMb, peakRssReadyMb, ...memory(gateway.pid), ...measured };
  } finally {
    await gateway.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Printing.

function print(devices: number, emulator: { startupSeconds: number; rssMb: number; peakRssMb: number }, mirror: Row, platform: Row, seconds: number): void {
  const both = (f: (r: Row) => string | number) => ({ mirror: f(mirror), platform: f(platform) });
  console.log(`\n${devices.toLocaleString('en')} devices — the README's dashboard query; autocannon ${CONNECTIONS} connections, ${seconds} s per path`);
  console.table({
    'initial sync: platform calls (logins)': both((r) => (r.syncCalls === undefined ? '—' : `${r.syncCalls} (${r.syncLogins})`)),
    'initial sync: seconds to READY': both((r) => fixed(r.syncSeconds)),
    'all subtasks read: calls, seconds': both((r) => (r.caughtUpCalls === undefined ? '—' : `${r.caughtUpCalls}, ${fixed(r.caughtUpSeconds)}`)),
    'mirrored devices / tasks / subtasks': both((r) => (r.mirrored ? `${r.mirrored.devices} / ${r.mirrored.operations} / ${r.mirrored.subtasks}` : '—')),
    'store MB (after sync → after load)': both((r) => (r.storeMb === undefined ? '—' : `${fixed(r.storeMb)} → ${fixed(r.storeMbAfterLoad)}`)),
    'gateway RSS MB before load (peak so far)': both((r) => `${r.rssReadyMb} (${r.peakRssReadyMb})`),
    'gateway RSS MB after load': both((r) => r.rssMb),
    'gateway peak RSS MB (VmHWM)': both((r) => r.peakRssMb),
    'dashboard req/s': both((r) => r.requestsPerSecond),
    'p50 ms': both((r) => r.p50Ms),
    'p99 ms': both((r) => r.p99Ms),
    'CPU s per 1,000 requests': both((r) => fixed(r.cpuSecondsPer1000, 2)),
    'platform calls per request': both((r) => fixed(r.callsPerRequest, 3)),
    requests: both((r) => r.requests),
  });
  const ratio = mirror.requestsPerSecond / Math.max(1, platform.requestsPerSecond);
  console.log(`req/s mirror / platform: ${ratio.toFixed(1)}× (target ≥ 3×: ${ratio >= 3 ? 'met' : 'MISSED'}); mirror peak RSS ${mirror.peakRssMb} MB${devices >= 100_000 ? ` (target < 200 MB at 100,000 devices: ${mirror.peakRssMb < 200 ? 'met' : 'MISSED'})` : ''}`);
  console.log(`initial sync calls by route: ${routes(mirror.syncByRoute ?? {})}`);
  console.log(`platform calls per request under load — mirror: ${routes(mirror.byRoute, mirror.requests) || 'none'}; platform: ${routes(platform.byRoute, platform.requests) || 'none'}`);
  console.log(`emulator: started in ${fixed(emulator.startupSeconds)} s, RSS ${emulator.rssMb} MB (peak ${emulator.peakRssMb} MB)`);
}


async function main(): Promise<void> {
  const seconds = Number(args[0] ?? '') > 0 ? Number(args[0]) : 10;
  const sizes = integersFrom(args[1], '2000,100000');
  console.log(`Fleet mirror vs platform path. Node ${process.version}, ${cpus().length} CPUs; CPU from /proc (${CLOCK_TICKS} ticks/s).`);
  for (const devices of sizes) {
    process.stderr.write(`${devices} devices: starting the emulator...\n`);
    const emulator = await startEmulatorProcess({ seed: 1, devices, clock: 'manual', startTime: '2026-03-01T00:00:00Z', throttlePerMinute: null });
    try {
      process.stderr.write(`${devices} devices: mirror (initial sync, then ${seconds} s of load)...\n`);
      const mirror = await measureMirror(emulator.platform, seconds);
      process.stderr.write(`${devices} devices: platform path (${seconds} s of load)...\n`);
      const platform = await measurePlatform(emulator.platform, seconds);
      print(devices, { startupSeconds: emulator.startupSeconds, ...memory(emulator.process.pid as number) }, mirror, platform, seconds);
    } finally {
      await emulator.stop();
    }
  }
}

await main();
