// The access token against the emulator: a rejected token is replaced by one login and the call replayed,
// however many calls saw the rejection at once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PlatformClient } from '../../src/datasources/platform/client.js';
import { ENDPOINTS } from '../../src/datasources/platform/endpoints.js';
import { startPlatform, type Platform } from '../harness/platform.js';
import { ROUTE } from '../harness/routes.js';

let emulator: Platform;
const { login: LOGIN, operations: LIST } = ROUTE;

beforeAll(async () => {
  emulator = await startPlatform({ devices: 50 });
});
afterAll(async () => {
  await emulator?.close();
});

it('replaces an expired token with one login and replays only the rejected calls, for ten concurrent calls', async () => {
  const client = new PlatformClient({ url: emulator.url, ...emulator.credentials });
  await client.health();
  await emulator.reset();
  await emulator.fault({ expireTokens: true });

  // Ten different reads (the same read in flight together would be sent once).
  await Promise.all(Array.from({ length: 10 }, (_, pageNo) => client.call(ENDPOINTS.operations, { searchParams: { pageNo, pageSize: 1 } })));

  const { byRoute } = await emulator.stats();
  // Ten rejected, one login, ten replays.
  expect(byRoute).toEqual({ [LIST]: 20, [LOGIN]: 1 });
});

it('a superseded token (another login of the same app) is replaced the same way', async () => {
  const client = new PlatformClient({ url: emulator.url, ...emulator.credentials });
  const other = new PlatformClient({ url: emulator.url, ...emulator.credentials });
  await client.health();
  await other.login();
  await emulator.reset();

  await client.health();

  expect((await emulator.stats()).byRoute).toEqual({ [LIST]: 2, [LOGIN]: 1 });
});
