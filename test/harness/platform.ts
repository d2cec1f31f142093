// The platform under test: the emulator, in this process or as its own (`npm run emulator`), and its control API
// (`/_emulator/...`: counters, reset, clock, faults, state), which no gateway call is counted for.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type EmulatorOptions, type EmulatorStats } from '../../src/emulator/index.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
export type { EmulatorStats };

/** The emulator the integration tests run against: manual clock, fixed start, a throttle that never bites. */
const TEST_EMULATOR = {
  port: 0,
  seed: 7,
  devices: 400,
  clock: 'manual',
  startTime: '2026-03-01T00:00:00Z',
  throttlePerMinute: 1_000_000,
} as const satisfies EmulatorOptions;

export interface PlatformOptions extends EmulatorOptions {
  /** Run it as its own process (the built dist/src/emulator/cli.js), apart from this test's event loop. */
  process?: boolean;
}

export interface Platform {
  url: string;
  credentials: { appId: string; secret: string };
  /** The calls a minute it accepts per application (null: no throttle), as started. */
  throttlePerMinute: number | null;
  /** A control API call: GET without a body, POST with one, unless `method` says otherwise. */
  control(path: string, body?: unknown, method?: string): Promise<Json>;
  stats(): Promise<EmulatorStats>;
  /** Moves the manual clock on, running what falls due; in steps of `step` seconds, so each step's pushes are a trickle. */
  advance(seconds: number, step?: number): Promise<void>;
  fault(rule: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  /** `/_emulator/state/{kind}/{id}`: a device, an operation with its subtasks, a batch task with its details. */
  state(kind: 'devices' | 'operations' | 'batchTasks', id: string): Promise<Json>;
  /** The same data again (or the data these options make), counters and throttle from zero. */
  reset(options?: Omit<EmulatorOptions, 'port' | 'host' | 'tls'>): Promise<void>;
  /** Moves the manual clock with the wall clock from now on (its throttle's minute passes as a gateway's does). */
  followWallClock(): void;
  close(): Promise<void>;
}

/** The emulator with TEST_EMULATOR's settings, these options on top. */
export async function startPlatform({ process: ownProcess = false, ...given }: PlatformOptions = {}): Promise<Platform> {
  const options: EmulatorOptions = { ...TEST_EMULATOR, ...given };
  const throttlePerMinute = options.throttlePerMinute === undefined ? 100 : options.throttlePerMinute;
  if (ownProcess) {
    const started = await startEmulatorProcess(options);
    const credentials = (await controlCall(started.url, 'credentials', undefined, 'GET', options.tls?.ca)) as Platform['credentials'];
    return platformAt(started.url, credentials, { throttlePerMinute, close: started.stop, ca: options.tls?.ca });
  }
  const emulator = await startEmulator(options);
  return platformAt(emulator.url, emulator.credentials, { throttlePerMinute, close: () => emulator.close(), ca: options.tls?.ca });
}

/** A control client for an emulator started elsewhere (e.g. a gateway's embedded one); `close` stops it, if ours. */
export function platformAt(
  url: string,
  credentials: Platform['credentials'],
  { throttlePerMinute = 100, close = async () => undefined, ca }: { throttlePerMinute?: number | null; close?: () => Promise<void>; ca?: string | Buffer } = {},
): Platform {
  const control = (path: string, body?: unknown, method?: string) => controlCall(url, path, body, method, ca);
  let ticker: NodeJS.Timeout | undefined;
  return {
    url,
    credentials,
    throttlePerMinute,
    control,
    stats: () => control('stats') as Promise<EmulatorStats>,
    advance: async (seconds, step = seconds) => {
      for (let left = seconds; left > 0; left -= step) await control('clock', { advanceSeconds: Math.min(step, left) });
    },
    fault: async (rule) => {
      await control('faults', rule);
    },
    clearFaults: async () => {
      await control('faults', undefined, 'DELETE');
    },
    state: (kind, id) => control(`state/${kind}/${id}`),
    reset: async (options = {}) => {
      await control('reset', options);
    },
    followWallClock() {
      let ticked = Date.now();
      ticker = setInterval(() => {
        const seconds = Math.floor((Date.now() - ticked) / 1000);
        ticked += seconds * 1000;
        if (seconds > 0) void control('clock', { advanceSeconds: seconds }).catch(() => undefined);
      }, 1000);
    },
    close: async () => {
      clearInterval(ticker);
      await close();
    },
  };
}

/** Over HTTP or HTTPS (trusting `ca`, which fetch cannot take). */
function controlCall(base: string, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST', ca?: string | Buffer): Promise<Json> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const url = `${base}/_emulator/${path}`;
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, ca, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`emulator control ${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        else resolve(text === '' ? undefined : JSON.parse(text));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const EMULATOR_MAIN = fileURLToPath(new URL('../../dist/src/emulator/cli.js', import.meta.url));

async function startEmulatorProcess(options: EmulatorOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', EMULATOR_PORT: String(options.port ?? 0) };
  if (options.seed !== undefined) env.EMULATOR_SEED = String(options.seed);
  if (options.devices !== undefined) env.EMULATOR_DEVICES = String(options.devices);
  if (options.clock !== undefined) env.EMULATOR_CLOCK = options.clock;
  if (options.startTime !== undefined) env.EMULATOR_START_TIME = new Date(options.startTime).toISOString();
  if (options.throttlePerMinute !== undefined) env.EMULATOR_THROTTLE_PER_MINUTE = options.throttlePerMinute === null ? 'off' : String(options.throttlePerMinute);
  if (options.secret !== undefined) env.EMULATOR_SECRET = options.secret;
  // TLS as an operator gives it: PEM files (EMULATOR_TLS_*_FILE), removed when the emulator stops.
  const tlsDir = options.tls && (await mkdtemp(join(tmpdir(), 'emulator-tls-')));
  if (options.tls && tlsDir) {
    for (const [part, pem] of Object.entries(options.tls)) {
      if (pem === undefined) continue;
      const file = join(tlsDir, `${part}.pem`);
      await writeFile(file, pem, { mode: 0o600 });
      env[`EMULATOR_TLS_${part.toUpperCase()}_FILE`] = file;
    }
  }
  const child = spawn(process.execPath, [EMULATOR_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const removeTls = async () => {
    if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
  };
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Platform emulator ready in \d+ ms at (\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}:\n${output}`)));
  }).catch(async (error: unknown) => {
    await removeTls();
    throw error;
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await removeTls();
    },
  };
}
