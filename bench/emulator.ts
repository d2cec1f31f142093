/**
 * Emulator figures on this machine: start-up time and memory at each fleet size, the request rate of
 * `GET .../operations?pageSize=100` measured by autocannon from this process against the emulator in a child
 * process (so the load generator does not share the emulator's event loop), and the throttle's cost per call as
 * its log grows (200,000 calls on a manual clock, where nothing leaves the window).
 *
 *   npm run bench -- [devices ...]        default: 2000 100000
 */
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/index.js';
import { Throttle } from '../src/emulator/throttle.js';

const DURATION_SECONDS = 10;
const CONNECTIONS = 10;

interface Started {
  url: string;
  appId: string;
  secret: string;
  startupMs: number;
  rssMb: number;
  heapMb: number;
}

/** In the child: start the emulator, report, and serve until the parent disconnects. */
async function child(devices: number): Promise<void> {
  const started = performance.now();
  const emulator = await startEmulator({ port: 0, devices, throttlePerMinute: 1_000_000, startTime: '2026-03-01T00:00:00Z' });
  const startupMs = Math.round(performance.now() - started);
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  const report: Started = {
    url: emulator.url,
    ...emulator.credentials,
    startupMs,
    rssMb: Math.round(rss / 1e6),
    heapMb: Math.round(heapUsed / 1e6),
  };
  process.send?.(report);
  process.once('disconnect', () => void emulator.close());
}

async function measure(devices: number) {
  const worker = fork(fileURLToPath(import.meta.url), ['--child', String(devices)], { execArgv: ['--expose-gc'] });
  const started = await new Promise<Started>((resolve, reject) => {
    worker.once('message', (m) => resolve(m as Started));
    worker.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const login = await fetch(`${started.url}/iocm/app/sec/v1.1.0/login`, {
    method: 'POST',
    body: new URLSearchParams({ appId: started.appId, secret: started.secret }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const result = await autocannon({
    url: `${started.url}/iodm/northbound/v1.5.0/operations?pageNo=0&pageSize=100`,
    headers: { app_key: started.appId, authorization: `Bearer ${accessToken}` },
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
  });
  worker.disconnect();
  return {
    devices,
    startupMs: started.startupMs,
    rssMb: started.rssMb,
    heapMb: started.heapMb,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    mbPerSecond: Number((result.throughput.average / 1e6).toFixed(1)),
  };
}

/** Microseconds per throttle call, per block of 50,000 calls, all at one emulated instant (a manual clock). */
function throttleCost(calls = 200_000, block = 50_000) {
  const throttle = new Throttle();
  const rows = [];
  for (let done = 0; done < calls; done += block) {
    const started = performance.now();
    for (let i = 0; i < block; i++) throttle.take('app', 1000, 1_000_000);
    rows.push({ callsBefore: done, microsecondsPerCall: Number((((performance.now() - started) * 1000) / block).toFixed(3)) });
  }
  return rows;
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(Number(args[1]));
} else {
  const sizes = args.map(Number).filter((n) => n > 0);
  const rows = [];
  for (const devices of sizes.length > 0 ? sizes : [2000, 100_000]) rows.push(await measure(devices));
  console.log(`Emulator: start-up, memory after start-up, and GET /iodm/northbound/v1.5.0/operations?pageSize=100`);
  console.log(`(autocannon, ${CONNECTIONS} connections, ${DURATION_SECONDS} s per size)`);
  console.table(rows);
  console.log('Throttle: cost per call as its log grows (manual clock, nothing expires)');
  console.table(throttleCost());
}
