// The access token against the emulator: a rejected token is replaced by one login and the call replayed,
// however many calls saw the rejection at once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { PlatformClient } from '../../src/datasources/platform/client.js';

let emulator: RunningEmulator;
const control = async (path: string, body?: unknown) =>
  (await fetch(`${emulator.url}/_emulator/${path}`, { method: body ? 'POST' : 'GET', body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<{
    byRoute: Record<string, number>;
  }>;
const LOGIN = 'POST /iocm/app/sec/v1.1.0/login';
const LIST = 'GET /iodm/northbound/v1.5.0/operations';

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, devices: 50, clock: 'manual', throttlePerMinute: 1_000_000 });
});
afterAll(async () => {
  await emulator?.close();
});

it('replaces an expired token with one login and replays only the rejected calls, for ten concurrent calls', async () => {
  const client = new PlatformClient({ url: emulator.url, ...emulator.credentials });
  await client.health();
  await control('reset', {});
  await control('faults', { expireTokens: true });

  await Promise.all(Array.from({ length: 10 }, () => client.health()));

  const { byRoute } = await control('stats');
  // Ten rejected, one login, ten replays.
  expect(byRoute).toEqual({ [LIST]: 20, [LOGIN]: 1 });
});

it('a superseded token (another login of the same app) is replaced the same way', async () => {
  const client = new PlatformClient({ url: emulator.url, ...emulator.credentials });
  const other = new PlatformClient({ url: emulator.url, ...emulator.credentials });
  await client.health();
  await other.login();
  await control('reset', {});

  await client.health();

  expect((await control('stats')).byRoute).toEqual({ [LIST]: 2, [LOGIN]: 1 });
});
