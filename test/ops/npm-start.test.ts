// One SIGTERM or SIGINT to `npm start` stops everything it started: npm passes the signal on to its script, whose
// `exec` makes the gateway that script's process, so the gateway closes gracefully; no process of the tree is left,
// and both ports are free again. The start script is package.json's own; its build step is left out (the test run
// built dist/ already, and a build here would rewrite schema.graphql under the other tests).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startedLine } from '../harness/gateway.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project whose `start` is this one's and whose `build` does nothing, over this project's dist/. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'npm-start-test', private: true, scripts: { build: 'true', start: START } }));
  symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
  return dir;
}

/** Every process below `pid` now (Linux: /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  for (let next = [pid]; next.length > 0; next = next.flatMap((p) => parents.get(p) ?? [])) found.push(...next.filter((p) => p !== pid));
  return found;
}

/** Still a process (a zombie has exited: its parent has only not read its status yet). */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function free(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops, gateway and all, on one %s to npm', { timeout: 60_000 }, async (signal) => {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const npm = spawn('npm', ['start'], {
      cwd: project(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        npm_config_update_notifier: 'false',
        PORT: String(port),
        EMULATOR_PORT: String(emulatorPort),
        EMULATOR_DEVICES: '20',
        GATEWAY_DATA_DIR: ':memory:',
        GATEWAY_PLAYGROUND: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', resolve));
    let started: number[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start not ready in 30 s:\n${output}`)), 30_000);
        const check = () => {
          if (!startedLine(output)) return;
          clearTimeout(timer);
          resolve();
        };
        npm.stdout.on('data', check);
        npm.once('exit', () => reject(new Error(`npm start exited before it was ready:\n${output}`)));
      });
      expect(await free(port)).toBe(false);
      expect(await free(emulatorPort)).toBe(false);
      started = descendants(npm.pid as number);
      expect(started.length).toBeGreaterThan(0);

      npm.kill(signal);
      // The gateway's own close takes well under its 10 s limit.
      expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))])).toBe(0);
      expect(output).toContain(`"msg":"${signal} received; closing"`);
      expect(started.filter(alive), 'processes npm start left running').toEqual([]);
      expect(await free(port)).toBe(true);
      expect(await free(emulatorPort)).toBe(true);
    } finally {
      // What a failure left: the tree as it was, and whatever is below npm now.
      for (const pid of new Set([npm.pid as number, ...started, ...descendants(npm.pid as number)])) {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
  });
});
