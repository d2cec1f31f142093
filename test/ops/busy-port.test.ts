// Ports that are taken end the start with one line per taken port naming its variable, all at once, and a non-zero
// exit: the real entry point.
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalLines, runMain } from '../harness/gateway.js';

/** The entry point until it exits. No playground: an unbuilt one would add a warning line of its own. */
const run = (env: Record<string, string>) => runMain({ GATEWAY_DATA_DIR: ':memory:', GATEWAY_PLAYGROUND: 'off', ...env });

const inUse = (variable: string, port: string) => `${variable}: port ${port} on 127.0.0.1 is already in use; stop what listens there or set ${variable} to a free port (0: any)`;

async function listening(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('busy ports at start-up', () => {
  const taken: Server[] = [];
  let port: string;
  let other: string;
  beforeAll(async () => {
    taken.push(await listening(), await listening());
    [port, other] = taken.map((server) => String((server.address() as AddressInfo).port)) as [string, string];
  });
  afterAll(() => Promise.all(taken.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))));

  it.each([
    ['PORT', { PORT: 'taken', EMULATOR_PORT: '0' }],
    ['EMULATOR_PORT', { PORT: '0', EMULATOR_PORT: 'taken' }],
  ] as const)('prints one line naming %s and exits non-zero', async (variable, ports) => {
    const env = Object.fromEntries(Object.entries(ports).map(([name, value]) => [name, value === 'taken' ? port : value]));
    const { code, stdout, stderr } = await run(env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(refusalLines(stderr)).toEqual([inUse(variable, port)]);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names both when both are taken, in one try', async () => {
    const { code, stdout, stderr } = await run({ PORT: other, EMULATOR_PORT: port });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(refusalLines(stderr)).toEqual([inUse('EMULATOR_PORT', port), inUse('PORT', other)]);
    expect(stderr.trim().split('\n')).toHaveLength(2);
  });
});
