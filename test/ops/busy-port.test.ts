// A port that is taken ends the start with one line naming its variable, and a non-zero exit: the real entry point.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

/** Runs the entry point until it exits (or, started after all, until killed at 20 s). */
function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // No playground: an unbuilt one would add a warning line of its own.
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_DATA_DIR: ':memory:', GATEWAY_PLAYGROUND: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a busy port at start-up', () => {
  let taken: Server;
  let port: string;
  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('dist/src/main.js is missing: the test run builds it (vitest globalSetup), or run `npm run compile`');
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = String((taken.address() as AddressInfo).port);
  });
  afterAll(() => new Promise<void>((resolve) => (taken ? taken.close(() => resolve()) : resolve())));

  it.each([
    ['PORT', { PORT: 'taken', EMULATOR_PORT: '0' }],
    ['EMULATOR_PORT', { PORT: '0', EMULATOR_PORT: 'taken' }],
  ] as const)('prints one line naming %s and exits non-zero', async (variable, ports) => {
    const env = Object.fromEntries(Object.entries(ports).map(([name, value]) => [name, value === 'taken' ? port : value]));
    const { code, stdout, stderr } = await run(env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([`${variable}: port ${port} on 127.0.0.1 is already in use; stop what listens there or set ${variable} to a free port (0: any)`]);
  });
});
