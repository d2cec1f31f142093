/**
 * Gateway figures on this machine: what two typical queries cost the platform and how fast they are answered,
 * for the gateway and for a naive resolver-per-field baseline (bench/naive-gateway.ts).
 *
 *   npm run bench:gateway -- [seconds per run]        default: 10
 *
 * The emulator (2000 devices, manual clock, a generous throttle), each gateway and the load generator (autocannon,
 * in this process) run in separate processes. The gateway's call budget matches the emulator's throttle, so the
 * figures measure the gateway, not the throttle. Each (gateway, query) pair gets a fresh gateway process:
 *  - cold: the first request on it (empty caches; its login is counted apart);
 *  - warm: after a few requests, autocannon for the run's duration; platform calls per query are the emulator's
 *    counters over the run divided by the requests answered.
 * Queries: the dashboard (20 newest tasks, 10 subtasks each, every subtask's device) and the view of a running
 * task with 256 target devices (its devices and all its subtasks).
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DURATION_SECONDS = Number(process.argv[2] ?? '') > 0 ? Number(process.argv[2]) : 10;
const CONNECTIONS = 10;
const WARM_UP_REQUESTS = 5;
/** Warm requests sent one at a time to count their platform calls exactly (a load run ends with requests in flight). */
const COUNTED_REQUESTS = 10;
const DEVICES = 2000;
const THROTTLE_PER_MINUTE = 1_000_000;
const API_KEY = 'bench-key';
const TARGETS = 256;

const LOGIN = 'POST /iocm/app/sec/v1.1.0/login';

const QUERIES = {
  dashboard: `query Dashboard {
  operations(first: 20) {
    nodes {
      id
      status
      stats { total success fail progress }
      subtasks(first: 10) { nodes { status device { name fwVersion status } } }
    }
  }
}`,
  taskView: `query TaskView($id: ID!) {
  operation(id: $id) {
    id
    status
    targets { devices { id name fwVersion } }
    subtasks(first: 256) { nodes { status } }
  }
}`,
} as const;
type QueryName = keyof typeof QUERIES;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Platform {
  url: string;
  appId: string;
  secret: string;
}

type Kind = 'gateway' | 'naive';

interface Started {
  url: string;
}

interface Memory {
  rssMb: number;
  peakRssMb: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Children: the emulator, the gateway, the naive baseline. Each reports its URL, then answers 'memory' requests.

function serveMemoryRequests(): void {
  process.on('message', (message) => {
    if (message === 'memory') {
      const memory: Memory = { rssMb: Math.round(process.memoryUsage().rss / 1e6), peakRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / 1e6) };
      process.send?.({ memory });
    }
  });
}

async function child(kind: 'emulator' | Kind, platform?: Platform): Promise<void> {
  let started: Started;
  let close: () => Promise<void>;
  if (kind === 'emulator') {
    const { startEmulator } = await import('../src/emulator/index.js');
    const emulator = await startEmulator({ port: 0, seed: 7, devices: DEVICES, clock: 'manual', startTime: '2026-03-01T00:00:00Z', throttlePerMinute: THROTTLE_PER_MINUTE });
    started = { url: emulator.url };
    process.send?.({ ...started, ...emulator.credentials });
    close = () => emulator.close();
  } else if (kind === 'gateway' && platform) {
    const { loadConfig } = await import('../src/config.js');
    const { createGateway } = await import('../src/server.js');
    const loaded = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'error',
      GATEWAY_PLAYGROUND: 'off',
      NORTHBOUND_URL: platform.url,
      NORTHBOUND_APP_ID: platform.appId,
      NORTHBOUND_SECRET: platform.secret,
      GATEWAY_API_KEYS: `${API_KEY}:read`,
      GATEWAY_DATA_DIR: ':memory:',
      MIRROR_BUDGET_SHARE: '0',
      NORTHBOUND_RATE_LIMIT: `${THROTTLE_PER_MINUTE}/60s`,
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const gateway = await createGateway(loaded.config);
    started = { url: gateway.url };
    process.send?.(started);
    close = () => gateway.close();
  } else if (platform) {
    const { startNaiveGateway } = await import('./naive-gateway.js');
    const naive = await startNaiveGateway({ platformUrl: platform.url, appId: platform.appId, secret: platform.secret });
    started = { url: naive.url };
    process.send?.(started);
    close = () => naive.close();
  } else {
    throw new Error(`unknown child ${kind}`);
  }
  serveMemoryRequests();
  process.once('disconnect', () => void close().finally(() => process.exit(0)));
}

interface Child {
  process: ChildProcess;
  url: string;
  message: Json;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

async function spawn(kind: 'emulator' | Kind, platform?: Platform): Promise<Child> {
  const worker = fork(fileURLToPath(import.meta.url), ['--child', kind, JSON.stringify(platform ?? null)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = await new Promise<Json>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return {
    process: worker,
    url: message.url,
    message,
    memory: () =>
      new Promise<Memory>((resolve) => {
        const listener = (m: Json) => {
          if (m?.memory) {
            worker.off('message', listener);
            resolve(m.memory);
          }
        };
        worker.on('message', listener);
        worker.send('memory');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.disconnect();
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator's side: counters, and the 256-device task the task view shows (created over its REST API).

async function stats(platform: Platform): Promise<{ total: number; byRoute: Record<string, number> }> {
  return (await fetch(`${platform.url}/_emulator/stats`)).json() as Promise<{ total: number; byRoute: Record<string, number> }>;
}

/** Platform calls between two readings: all, logins apart, and per route. */
function callsBetween(
  before: Awaited<ReturnType<typeof stats>>,
  after: Awaited<ReturnType<typeof stats>>,
): { calls: number; logins: number; byRoute: Record<string, number> } {
  const logins = (after.byRoute[LOGIN] ?? 0) - (before.byRoute[LOGIN] ?? 0);
  const byRoute: Record<string, number> = {};
  for (const [route, n] of Object.entries(after.byRoute)) {
    const delta = n - (before.byRoute[route] ?? 0);
    if (delta > 0 && route !== LOGIN) byRoute[route] = delta;
  }
  return { calls: after.total - before.total - logins, logins, byRoute };
}

async function createTask(platform: Platform): Promise<string> {
  const login = (await (await fetch(`${platform.url}/iocm/app/sec/v1.1.0/login`, { method: 'POST', body: new URLSearchParams({ appId: platform.appId, secret: platform.secret }) })).json()) as Json;
  const headers = { app_key: platform.appId, authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' };
  const get = async (path: string) => (await fetch(`${platform.url}${path}`, { headers })).json() as Promise<Json>;
  const devices: Json[] = [];
  for (let pageNo = 0; devices.length < DEVICES; pageNo++) {
    const page = (await get(`/iocm/app/dm/v1.4.0/devices?pageNo=${pageNo}&pageSize=250`)).devices as Json[];
    if (page.length === 0) break;
    devices.push(...page);
  }
  const packages = (await get('/iodm/northbound/v1.5.0/category?fileType=firmwarePackage&pageNo=0&pageSize=100')).data as Json[];
  const key = (x: Json) => `${x.deviceType}|${x.model}|${x.manufacturerName}`;
  for (const pkg of packages) {
    const targets = devices.filter((d) => key(d.deviceInfo) === key(pkg)).slice(0, TARGETS);
    if (targets.length < TARGETS) continue;
    const reply = await fetch(`${platform.url}/iodm/northbound/v1.5.0/operations/firmwareUpgrade`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ fileId: pkg.fileId, targets: { devices: targets.map((d) => d.deviceId) }, policy: { executeType: 'now' } }),
    });
    const body = (await reply.json()) as Json;
    if (!body.operationId) throw new Error(`create: ${JSON.stringify(body)}`);
    return body.operationId as string;
  }
  throw new Error(`no product with ${TARGETS} devices and a firmware package`);
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring.

interface Row {
  query: string;
  gateway: Kind;
  coldCalls: number;
  coldByRoute: Record<string, number>;
  coldMs: number;
  warmCallsPerQuery: number;
  warmByRoute: Record<string, number>;
  /** Median latency of the counted warm requests, one client. */
  warmSerialMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Right after start-up, before any request. */
  idleRssMb: number;
  /** After the load run, and the most it ever was. */
  rssMb: number;
  peakRssMb: number;
  requests: number;
}

function requestOf(kind: Kind, query: QueryName, taskId: string) {
  const body = JSON.stringify({ query: QUERIES[query], variables: query === 'taskView' ? { id: taskId } : {} });
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(kind === 'gateway' ? { 'x-api-key': API_KEY } : {}) };
  return { body, headers };
}

/** One request; fails the bench if the answer has errors or misses data. */
async function once(url: string, request: { body: string; headers: Record<string, string> }): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const body = (await response.json()) as Json;
  const elapsed = performance.now() - started;
  if (response.status !== 200 || body.errors || !body.data) throw new Error(`bad answer (${response.status}): ${JSON.stringify(body).slice(0, 500)}`);
  return elapsed;
}

async function measure(kind: Kind, query: QueryName, platform: Platform, taskId: string): Promise<Row> {
  const server = await spawn(kind, platform);
  try {
    const idle = await server.memory();
    const request = requestOf(kind, query, taskId);
    const beforeCold = await stats(platform);
    const coldMs = await once(server.url, request);
    const cold = callsBetween(beforeCold, await stats(platform));
    for (let i = 0; i < WARM_UP_REQUESTS; i++) await once(server.url, request);

    // Warm calls per query, exactly: requests one at a time, the counters around them.
    const beforeWarm = await stats(platform);
    const serial: number[] = [];
    for (let i = 0; i < COUNTED_REQUESTS; i++) serial.push(await once(server.url, request));
    const warm = callsBetween(beforeWarm, await stats(platform));
    serial.sort((a, b) => a - b);

    // Throughput and latency under load.
    const result = await autocannon({ url: server.url, method: 'POST', ...request, connections: CONNECTIONS, duration: DURATION_SECONDS });
    // Still answering properly after the run (autocannon sees statuses, not GraphQL errors).
    await once(server.url, request);
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
      throw new Error(`${kind} ${query}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
    }
    const answered = result.requests.total;
    const memory = await server.memory();
    return {
      query,
      gateway: kind,
      coldCalls: cold.calls,
      coldByRoute: cold.byRoute,
      coldMs: Math.round(coldMs),
      warmCallsPerQuery: Number((warm.calls / COUNTED_REQUESTS).toFixed(2)),
      warmByRoute: Object.fromEntries(Object.entries(warm.byRoute).map(([route, n]) => [route, n / COUNTED_REQUESTS])),
      warmSerialMs: Math.round(serial[Math.floor(serial.length / 2)] ?? 0),
      requestsPerSecond: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      idleRssMb: idle.rssMb,
      ...memory,
      requests: answered,
    };
  } finally {
    await server.stop();
  }
}

function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? '=' : '∞';
  const r = a / b;
  return r >= 10 ? `${Math.round(r)}×` : `${r.toFixed(1)}×`;
}

async function main(): Promise<void> {
  const emulator = await spawn('emulator');
  const platform: Platform = { url: emulator.url, appId: emulator.message.appId, secret: emulator.message.secret };
  try {
    const taskId = await createTask(platform);
    const rows: Row[] = [];
    for (const query of Object.keys(QUERIES) as QueryName[]) {
      for (const kind of ['gateway', 'naive'] as const) {
        process.stderr.write(`measuring ${kind} ${query} (${DURATION_SECONDS} s)...\n`);
        rows.push(await measure(kind, query, platform, taskId));
      }
    }
    const emulatorMemory = await emulator.memory();
    console.log(`Gateway vs naive resolver-per-field baseline (emulator: ${DEVICES} devices, manual clock; autocannon ${CONNECTIONS} connections, ${DURATION_SECONDS} s per run)`);
    console.log(`Platform calls exclude logins. Cold: the first request on a fresh process. Warm: calls from 10 requests one at a time after warm-up;`);
    console.log(`req/s and p50/p99 under load (${CONNECTIONS} connections). RSS: idle after start-up, after the run, peak.`);
    console.table(
      rows.map((r) => ({
        query: r.query,
        gateway: r.gateway,
        'cold calls': r.coldCalls,
        'cold ms': r.coldMs,
        'warm calls/query': r.warmCallsPerQuery,
        'warm ms (1 client)': r.warmSerialMs,
        'req/s': r.requestsPerSecond,
        'p50 ms': r.p50Ms,
        'p99 ms': r.p99Ms,
        'RSS MB idle': r.idleRssMb,
        'RSS MB': r.rssMb,
        'peak RSS MB': r.peakRssMb,
        requests: r.requests,
      })),
    );
    console.log('Platform calls per query by route (cold → warm)');
    for (const r of rows) {
      const routes = [...new Set([...Object.keys(r.coldByRoute), ...Object.keys(r.warmByRoute)])].sort();
      console.log(`  ${r.query} / ${r.gateway}: ${routes.map((route) => `${route.replace(/^(\w+) \/\w+\/[\w/]*?\/v[\d.]+/, '$1 …')} ${r.coldByRoute[route] ?? 0} → ${r.warmByRoute[route] ?? 0}`).join('; ')}`);
    }
    const comparison = (Object.keys(QUERIES) as QueryName[]).map((query) => {
      const gateway = rows.find((r) => r.query === query && r.gateway === 'gateway') as Row;
      const naive = rows.find((r) => r.query === query && r.gateway === 'naive') as Row;
      return {
        query,
        'cold calls (naive / gateway)': ratio(naive.coldCalls, gateway.coldCalls),
        'warm calls (naive / gateway)': ratio(naive.warmCallsPerQuery, gateway.warmCallsPerQuery),
        'req/s (gateway / naive)': ratio(gateway.requestsPerSecond, naive.requestsPerSecond),
        'p99 (naive / gateway)': ratio(naive.p99Ms, gateway.p99Ms),
        'queries a 100-calls/min budget allows, warm (gateway / naive)': `${Math.floor(100 / Math.max(gateway.warmCallsPerQuery, 0.01))} / ${Math.floor(100 / naive.warmCallsPerQuery)}`,
      };
    });
    console.log('Comparison');
    console.table(comparison);
    console.log(`Emulator process: RSS ${emulatorMemory.rssMb} MB (peak ${emulatorMemory.peakRssMb} MB). Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs.`);
  } finally {
    await emulator.stop();
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1] as 'emulator' | Kind, JSON.parse(args[2] ?? 'null') as Platform | undefined);
} else {
  await main();
}
