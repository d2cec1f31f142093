/**
 * The mirror on the platform's notifications (issue 19), at each fleet size:
 *  1. With the defaults a user gets: the emulator's real throttle (100 calls a minute, realtime clock), the gateway's
 *     default budget (NORTHBOUND_RATE_LIMIT and MIRROR_BUDGET_SHARE unset), push on (GATEWAY_PUBLIC_URL is the
 *     gateway, so it subscribes), a fresh SQLite data dir: the platform calls in the first 60 s after the gateway
 *     process is spawned (the emulator's counters: total, throttled, by route) and the seconds from spawn to
 *     `{ mirror { state } }` = READY.
 *  2. Notification-to-mirror lag: this process plays the platform and POSTs `deviceInfoChanged` notifications
 *     (northbound-api README §11.4: real devices' deviceInfo, read from the emulator before the gateway starts,
 *     with the name set to `bench-<sequence number>`) to the gateway's receiver at 10, 100 and 1,000 a second,
 *     then as fast as one sequential sender goes. The platform sends one notification at a time per URL: 10/s and
 *     the last run use one sender; 100/s and 1,000/s use several (the senders argument, default 8), each one
 *     sequential, each with its own devices. This gateway has a throttle-free emulator (manual clock: the platform
 *     sends nothing of its own) and a raised budget, so the lag is the mirror's, not the budget's; the runs start
 *     once the mirror is READY and has caught up (no platform call for 3 s).
 *
 *   npm run bench:notifications -- [seconds per rate] [sizes] [rates] [senders]
 *   defaults:                          10                 2000,100000 10,100,1000 8
 *
 * Lag of a notification: from just before its POST is sent until the mirror's store holds its name. This process
 * reads the store (read-only; SQLite in WAL mode, so a reader never blocks the gateway's writes) every POLL_MS, for
 * the devices with a notification in flight only. A name `bench-N` tells that every notification up to N for that
 * device is held: the mirror applies them in order of arrival, and one device's all come from one sender, in order.
 * The notifications go round a sample of up to SAMPLE_DEVICES devices, so a device has one in flight unless the lag
 * exceeds its turn. Why the store and not `deviceUpdated` subscriptions: the store is what the mirror holds; a
 * subscription adds the gateway's delivery, and every device event wakes every subscriber's iterator in the
 * gateway, a cost per subscription and notification that would load the process measured (and only the watched
 * devices, at most 20 per connection, would be measured). The poll adds up to POLL_MS to each lag.
 * Answer: the receiver's HTTP answer time (it answers once the notification is in its journal, fsync'd, before it
 * is applied). Gateway CPU: its utime + stime over the run. BENCH_READY_TIMEOUT_SECONDS (default 900) bounds the wait for READY under the defaults.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SQLITE_FILE } from '../src/store/index.js';
import { cpuSeconds } from './proc.js';
import {
  RAISED_BUDGET,
  callsBetween,
  emulatorStats,
  fixed,
  graphql,
  routes,
  integersFrom,
  startEmulatorProcess,
  startPushGateway,
  untilCaughtUp,
  untilReady,
  type Gateway,
  type Json,
  type Platform,
} from './stack.js';

const args = process.argv.slice(2);

const START_TIME = '2026-03-01T00:00:00Z';
const FIRST_MINUTE_MS = 60_000;
const READY_TIMEOUT_MS = (Number(process.env.BENCH_READY_TIMEOUT_SECONDS) || 900) * 1000;
const CATCH_UP_TIMEOUT_MS = 10 * 60_000;
const QUIET_MS = 3_000;
const SAMPLE_DEVICES = 2_000;
/** The emulator's largest device page. */
const DEVICE_PAGE = 250;
const POLL_MS = 1;
/** After the senders stop: how long the notifications still in flight may take. */
const DRAIN_MS = 60_000;
const NAME = /^bench-(\d+)$/;

// ---------------------------------------------------------------------------------------------------------------
// 1. The defaults.

interface Defaults {
  firstMinute: ReturnType<typeof callsBetween> & { pushes: number };
  readySeconds?: number;
  notReady?: string;
  untilReadyCalls?: number;
  mirrored?: string;
  emulatorStartupSeconds: number;
}

async function withDefaults(devices: number): Promise<Defaults> {
  const emulator = await startEmulatorProcess({ seed: 1, devices, startTime: START_TIME });
  const { platform } = emulator;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-notifications-'));
  try {
    const before = await emulatorStats(platform);
    const started = performance.now();
    const gateway = await startPushGateway(platform, { GATEWAY_DATA_DIR: dataDir });
    try {
      const firstMinute = (async () => {
        await sleep(Math.max(0, started + FIRST_MINUTE_MS - performance.now()));
        const after = await emulatorStats(platform);
        return { ...callsBetween(before, after), pushes: after.notifications.sent - before.notifications.sent };
      })();
      const ready = await untilReady(gateway, started, READY_TIMEOUT_MS).then(
        async (status) => ({
          readySeconds: (performance.now() - started) / 1000,
          untilReadyCalls: callsBetween(before, await emulatorStats(platform)).calls,
          mirrored: `${status.devices} / ${status.operations} / ${status.subtasks}`,
        }),
        (error: Error) => ({ notReady: error.message }),
      );
      return { firstMinute: await firstMinute, ...ready, emulatorStartupSeconds: emulator.startupSeconds };
    } finally {
      await gateway.stop();
    }
  } finally {
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The lag.

interface PlatformDevice {
  deviceId: string;
  gatewayId: string;
  deviceInfo: Record<string, unknown>;
}

/** The first devices the platform lists, as it lists them (its own login: read before the gateway logs in). */
async function deviceSample(platform: Platform, count: number): Promise<PlatformDevice[]> {
  const login = await fetch(`${platform.url}/iocm/app/sec/v1.1.0/login`, { method: 'POST', body: new URLSearchParams({ appId: platform.appId, secret: platform.secret }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const sample: PlatformDevice[] = [];
  for (let pageNo = 0; sample.length < count; pageNo++) {
    const response = await fetch(`${platform.url}/iocm/app/dm/v1.4.0/devices?pageNo=${pageNo}&pageSize=${DEVICE_PAGE}`, {
      headers: { app_key: platform.appId, authorization: `Bearer ${accessToken}` },
    });
    const page = (await response.json()) as { devices: PlatformDevice[] };
    if (!response.ok || page.devices.length === 0) break;
    sample.push(...page.devices);
  }
  return sample.slice(0, count);
}

/** One POST on a kept-alive connection of `agent`; its status once the answer is read. */
function post(url: URL, body: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end(body);
  });
}

interface Run {
  label: string;
  senders: number;
  sent: number;
  sendSeconds: number;
  answerMs: number[];
  non2xx: Record<number, number>;
  lagMs: number[];
  notHeld: number;
  gatewayCpuPercent: number;
  /** This process's: the senders and the store poll. */
  benchCpuPercent: number;
}

interface InFlight {
  seq: number;
  sentAt: number;
}

/**
 * Plays the platform for `seconds`: `senders` sequential senders, `rate` notifications a second in all (undefined:
 * each as fast as its answers come back), while the store is watched for each notification's name.
 */
async function play(receiver: URL, store: Database.Database, gateway: Gateway, devices: PlatformDevice[], run: { label: string; rate?: number; senders: number; seconds: number }, seq: { next: number }): Promise<Run> {
  const held = store.prepare('SELECT id, name FROM mirror_devices WHERE id IN (SELECT value FROM json_each(?))');
  const inFlight = new Map<string, InFlight[]>();
  const answerMs: number[] = [];
  const lagMs: number[] = [];
  const non2xx: Record<number, number> = {};
  let sent = 0;
  let sending = true;
  let drainFrom = Infinity;

  const watch = async () => {
    const deadline = () => (sending ? Infinity : drainFrom + DRAIN_MS);
    while (sending || (inFlight.size > 0 && performance.now() < deadline())) {
      if (inFlight.size > 0) {
        const rows = held.all(JSON.stringify([...inFlight.keys()])) as { id: string; name: string | null }[];
        const now = performance.now();
        for (const { id, name } of rows) {
          const upTo = Number(NAME.exec(name ?? '')?.[1] ?? -1);
          const waiting = inFlight.get(id) ?? [];
          while (waiting[0] && waiting[0].seq <= upTo) lagMs.push(now - (waiting.shift() as InFlight).sentAt);
          if (waiting.length === 0) inFlight.delete(id);
        }
      }
      await sleep(POLL_MS);
    }
  };

  const send = async (index: number, start: number, end: number) => {
    const mine = devices.filter((_, i) => i % run.senders === index);
    const gapMs = run.rate ? (run.senders * 1000) / run.rate : 0;
    let next = start + (run.rate ? (index * 1000) / run.rate : 0);
    for (let k = 0; ; k++) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      if (performance.now() >= end) return;
      const device = mine[k % mine.length] as PlatformDevice;
      const n = seq.next++;
      const body = JSON.stringify({ notifyType: 'deviceInfoChanged', deviceId: device.deviceId, gatewayId: device.gatewayId, deviceInfo: { ...device.deviceInfo, name: `bench-${n}` } });
      const sentAt = performance.now();
      const waiting = inFlight.get(device.deviceId) ?? [];
      waiting.push({ seq: n, sentAt });
      inFlight.set(device.deviceId, waiting);
      const status = await post(receiver, body, agent);
      answerMs.push(performance.now() - sentAt);
      sent += 1;
      // Refused: never applied, so never held.
      if (status < 200 || status > 299) {
        non2xx[status] = (non2xx[status] ?? 0) + 1;
        waiting.splice(waiting.findIndex((w) => w.seq === n), 1);
        if (waiting.length === 0) inFlight.delete(device.deviceId);
      }
      next += gapMs;
    }
  };

  const agent = new Agent({ keepAlive: true });
  const cpuBefore = cpuSeconds(gateway.pid);
  const benchCpuBefore = process.cpuUsage();
  const start = performance.now();
  const watching = watch();
  await Promise.all(Array.from({ length: run.senders }, (_, i) => send(i, start, start + run.seconds * 1000))).finally(() => agent.destroy());
  const sendSeconds = (performance.now() - start) / 1000;
  drainFrom = performance.now();
  sending = false;
  await watching;
  const wall = (performance.now() - start) / 1000;
  const notHeld = [...inFlight.values()].reduce((n, waiting) => n + waiting.length, 0);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  return {
    label: run.label,
    senders: run.senders,
    sent,
    sendSeconds,
    answerMs,
    non2xx,
    lagMs,
    notHeld,
    gatewayCpuPercent: ((cpuSeconds(gateway.pid) - cpuBefore) / wall) * 100,
    benchCpuPercent: ((benchCpu.user + benchCpu.system) / 1e6 / wall) * 100,
  };
}

interface Lag {
  runs: Run[];
  sample: number;
  ready: { seconds: number; caughtUpSeconds: number; mirrored: string };
  refused: number;
}

async function lag(devices: number, seconds: number, rates: number[], senders: number): Promise<Lag> {
  const emulator = await startEmulatorProcess({ seed: 1, devices, clock: 'manual', startTime: START_TIME, throttlePerMinute: null });
  const { platform } = emulator;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-notifications-'));
  try {
    const sample = await deviceSample(platform, Math.min(devices, SAMPLE_DEVICES));
    const started = performance.now();
    const gateway = await startPushGateway(platform, { ...RAISED_BUDGET, GATEWAY_DATA_DIR: dataDir });
    const store = new Database(join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
    try {
      await untilReady(gateway, started, CATCH_UP_TIMEOUT_MS);
      const readySeconds = (performance.now() - started) / 1000;
      const { status, quietFrom } = await untilCaughtUp(gateway, platform, started, CATCH_UP_TIMEOUT_MS, QUIET_MS);
      const secret = (store.prepare("SELECT value FROM mirror_meta WHERE key = 'receiver.secret'").get() as { value: string } | undefined)?.value;
      if (!secret) throw new Error('no receiver.secret in the store');
      const receiver = new URL(`/mirror/notifications/${secret}`, gateway.url);
      const seq = { next: 0 };
      const runs: Run[] = [];
      for (const rate of rates) {
        const runSenders = rate <= 10 ? 1 : senders;
        process.stderr.write(`${devices} devices: ${rate} notifications/s, ${runSenders} sender(s), ${seconds} s...\n`);
        runs.push(await play(receiver, store, gateway, sample, { label: `${rate}/s`, rate, senders: runSenders, seconds }, seq));
      }
      process.stderr.write(`${devices} devices: one sequential sender, unpaced, ${seconds} s...\n`);
      runs.push(await play(receiver, store, gateway, sample, { label: 'one sender, unpaced', senders: 1, seconds }, seq));
      const notifications = (await graphql(gateway.url, '{ mirror { notifications { received rejected } } }')).body.data.mirror.notifications as Json;
      return {
        runs,
        sample: sample.length,
        ready: { seconds: readySeconds, caughtUpSeconds: (quietFrom - started) / 1000, mirrored: `${status.devices} / ${status.operations} / ${status.subtasks}` },
        refused: notifications.rejected,
      };
    } finally {
      store.close();
      await gateway.stop();
    }
  } finally {
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Printing.

/** The p-th percentile (nearest rank) of some values. */
function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function print(devices: number, defaults: Defaults, measured: Lag, seconds: number): void {
  const { firstMinute } = defaults;
  console.log(`\n${devices.toLocaleString('en')} devices — with the defaults (emulator throttle 100 calls/min, budget 100/60 s, mirror share 0.5, push on)`);
  console.table({
    'platform calls in the first 60 s': { value: firstMinute.calls },
    '  of which throttled (1010009)': { value: firstMinute.throttled },
    '  of which logins': { value: firstMinute.logins },
    'pushes the platform sent in the first 60 s': { value: firstMinute.pushes },
    'seconds from spawn to READY': { value: defaults.readySeconds === undefined ? `not READY: ${defaults.notReady}` : fixed(defaults.readySeconds) },
    'platform calls until READY': { value: defaults.untilReadyCalls ?? '—' },
    'mirrored at READY: devices / tasks / subtasks': { value: defaults.mirrored ?? '—' },
  });
  console.log(`first 60 s by route: ${routes(firstMinute.byRoute)}`);
  const { ready } = measured;
  console.log(
    `\n${devices.toLocaleString('en')} devices — notification-to-mirror lag (throttle-free emulator, raised budget; READY in ${fixed(ready.seconds)} s, caught up at ${fixed(ready.caughtUpSeconds)} s: ${ready.mirrored}); ` +
      `deviceInfoChanged over ${measured.sample} devices, ${seconds} s per run; lag = POST sent → name in the store (polled every ${POLL_MS} ms)`,
  );
  const ms = (values: number[], p: number) => fixed(percentile(values, p));
  console.table(
    Object.fromEntries(
      measured.runs.map((r) => [
        r.label,
        {
          senders: r.senders,
          'sent/s': Math.round(r.sent / r.sendSeconds),
          sent: r.sent,
          'answer p50 ms': ms(r.answerMs, 50),
          'answer p99 ms': ms(r.answerMs, 99),
          non2xx: Object.entries(r.non2xx).map(([status, n]) => `${n}×${status}`).join(' ') || 0,
          'lag p50 ms': ms(r.lagMs, 50),
          'lag p99 ms': ms(r.lagMs, 99),
          'lag max ms': ms(r.lagMs, 100),
          'not held': r.notHeld,
          'gateway CPU %': Math.round(r.gatewayCpuPercent),
          'bench CPU %': Math.round(r.benchCpuPercent),
        },
      ]),
    ),
  );
  console.log(`notifications refused by the gateway: ${measured.refused}; emulator start-up (defaults run): ${fixed(defaults.emulatorStartupSeconds)} s; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

async function main(): Promise<void> {
  const seconds = Number(args[0] ?? '') > 0 ? Number(args[0]) : 10;
  const sizes = integersFrom(args[1], '2000,100000');
  const rates = integersFrom(args[2], '10,100,1000');
  const senders = Number(args[3] ?? '') > 0 ? Math.floor(Number(args[3])) : 8;
  console.log(`The mirror on notifications. Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`);
  for (const devices of sizes) {
    process.stderr.write(`${devices} devices: with the defaults (60 s at least)...\n`);
    const defaults = await withDefaults(devices);
    process.stderr.write(`${devices} devices: lag, on a throttle-free emulator...\n`);
    const measured = await lag(devices, seconds, rates, senders);
    print(devices, defaults, measured, seconds);
  }
}

await main();
