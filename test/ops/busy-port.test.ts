// A port that is taken ends the start with one line naming its variable, and a non-zero exit: the real entry point.
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../harness/gateway.js';

/** The entry point until it exits. No playground: an unbuilt one would add a warning line of its own. */
const run = (env: Record<string, string>) => runMain({ GATEWAY_DATA_DIR: ':memory:', GATEWAY_PLAYGROUND: 'off', ...env });

describe('a busy port at start-up', () => {
  let taken: Server;
  let port: string;
  beforeAll(async () => {
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
