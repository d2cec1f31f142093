// Every line a gateway process prints off a terminal is JSON: its start-up summary, its log at debug, a Node warning,
// across a run with as many subtaskUpdated subscribers as its connection limits allow (past Node's default of 10
// listeners); on a terminal, the summary is text for a person to read.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/eventually.js';
import { mirrorReady, startedLine, startGatewayProcess, type GatewayProcess } from '../harness/gateway.js';
import { wsClient } from '../harness/live.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));
const SUBTASK_UPDATES = 'subscription($id: ID!) { subtaskUpdated(operationId: $id) { id status step } }';
/** One socket of at most 20 subscriptions and one event stream: 21 listeners of the mirror's subtask changes. */
const WS_SUBSCRIPTIONS = 20;

/** Loaded into the gateway (NODE_OPTIONS=--import): on SIGUSR2, Node emits a warning, as it would of a leak. */
function warningOnSignal(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'warning-hook-')), 'hook.mjs');
  writeFileSync(file, "process.on('SIGUSR2', () => process.emitWarning('a warning the test asked for', { code: 'TEST_WARNING' }));\n");
  return pathToFileURL(file).href;
}

async function control(emulator: string, path: string, body: unknown): Promise<Json> {
  const response = await fetch(`${emulator}/_emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A firmware task on one device that takes it now: its subtask moves as the emulator's clock does. */
async function runningTask(gateway: GatewayProcess, emulator: string): Promise<string> {
  const { data } = await gateway.query('{ fleet(first: 20) { nodes { id deviceType model fwVersion } } upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id deviceType model version } } }');
  for (const device of data.fleet.nodes) {
    const pkg = data.upgradePackages.nodes.find((p: Json) => p.deviceType === device.deviceType && p.model === device.model && p.version !== device.fwVersion);
    if (!pkg) continue;
    await control(emulator, `devices/${device.id}`, { status: 'ONLINE' });
    const created = await gateway.query('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
      input: { fileId: pkg.id, targets: { deviceIds: [device.id] } },
    });
    return created.data.createFirmwareUpgradeTask.operationId as string;
  }
  throw new Error('no upgradable device');
}

describe('a gateway process off a terminal', () => {
  let gateway: GatewayProcess;
  let started: Json;
  beforeAll(async () => {
    gateway = await startGatewayProcess({
      PORT: '0',
      // The default fleet, as a first `npm start` has it.
      EMULATOR_PORT: '0',
      GATEWAY_DATA_DIR: ':memory:',
      GATEWAY_PLAYGROUND: 'off',
      GATEWAY_WS_MAX_CONNECTIONS: '1',
      LOG_LEVEL: 'debug',
      NODE_OPTIONS: `--import ${warningOnSignal()}`,
    });
    started = startedLine(gateway.log.lines.join('\n'));
    await mirrorReady(gateway);
  });
  afterAll(() => gateway?.stop('SIGKILL'));

  it('prints only JSON lines, through subscribers past ten, a Node warning and a graceful stop', { timeout: 120_000 }, async () => {
    expect(started).toMatchObject({ level: 'info', msg: 'gateway started', url: gateway.url, emulator: true, health: { live: `${gateway.baseUrl}/health/live` } });
    const emulator = started.platform as string;
    const id = await runningTask(gateway, emulator);

    const received: Json[][] = Array.from({ length: WS_SUBSCRIPTIONS + 1 }, () => []);
    const failures: unknown[] = [];
    const ws = wsClient(gateway);
    const sse = createSseClient({ url: `${gateway.url}/stream`, fetchFn: fetch, retryAttempts: 0 });
    const subscriptions = received.map((values, index) =>
      (index < WS_SUBSCRIPTIONS ? ws : sse).subscribe({ query: SUBTASK_UPDATES, variables: { id } }, { next: (value) => void values.push(value), error: (error) => void failures.push(error), complete: () => undefined }),
    );
    try {
      // The emulator's clock moves the upgrade on; every subscriber hears of it.
      await eventually(
        async () => {
          await control(emulator, 'clock', { advanceSeconds: 10 });
          return received.every((values) => values.length > 0);
        },
        Boolean,
        30_000,
      );
    } finally {
      for (const unsubscribe of subscriptions) unsubscribe();
      await ws.dispose();
      sse.dispose();
    }
    expect(failures).toEqual([]);
    for (const values of received) expect(values[0]).toMatchObject({ data: { subtaskUpdated: { status: expect.any(String) } } });

    gateway.child.kill('SIGUSR2');
    await eventually(async () => gateway.log.records().some((r) => r.err?.code === 'TEST_WARNING'), Boolean, 5_000);
    await gateway.stop('SIGTERM');
    expect(gateway.child.exitCode).toBe(0);

    const lines = gateway.log.lines;
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson, 'lines that are not JSON').toEqual([]);
    const records = gateway.log.records();
    expect(records.find((r) => r.err?.code === 'TEST_WARNING')).toMatchObject({ level: 'warn', msg: 'process warning: a warning the test asked for', err: { type: 'Warning' } });
    expect(records.filter((r) => r.err?.type === 'MaxListenersExceededWarning')).toEqual([]);
    expect(records.some((r) => r.msg === 'SIGTERM received; closing')).toBe(true);
    // A fresh start with the embedded emulator has nothing to warn of.
    expect(records.filter((r) => r.level === 'warn' || r.level === 'error').map((r) => r.msg)).toEqual(['process warning: a warning the test asked for']);
  });
});

describe('a gateway process on a terminal', () => {
  it('prints its start-up summary as text, and Ctrl-C closes it', { timeout: 60_000 }, async () => {
    // script(1) gives the process a pseudo-terminal; Ctrl-C there is SIGINT to it.
    const child = spawn('script', ['-qfec', `exec ${process.execPath} ${MAIN}`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TERM: 'dumb', PORT: '0', EMULATOR_PORT: '0', EMULATOR_DEVICES: '20', GATEWAY_DATA_DIR: ':memory:', GATEWAY_PLAYGROUND: 'off' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Health:') && child.stdin.writable) child.stdin.end('\x03');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lines = output.split(/\r?\n/);
    expect(lines[0]).toMatch(/^GraphQL endpoint: http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(lines).toContainEqual(expect.stringMatching(/^Emulator: +http:\/\/127\.0\.0\.1:\d+ \(demo credentials: appId emulator-app, secret emulator-secret\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Health: +http:\/\/127\.0\.0\.1:\d+\/health\/live/));
    expect(output).not.toContain('"msg":"gateway started"');
    expect(output).toContain('"msg":"SIGINT received; closing"');
    expect(code).toBe(0);
  });
});
