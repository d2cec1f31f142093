import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { PlatformClient } from '../../src/datasources/platform/client.js';
import { ENDPOINTS } from '../../src/datasources/platform/endpoints.js';
import { gatewayCodeOf, PlatformError } from '../../src/datasources/platform/errors.js';
import { PATH, ROUTE } from '../harness/routes.js';

const SECRET = 'the-secret-value';
const TOKEN = 'the-access-token';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stub platform: records requests and answers each with `reply`. */
async function stubPlatform(reply: (req: Seen, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      reply(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A platform whose login works and whose other calls answer with `other`. */
function loginThen(other: (req: Seen, res: ServerResponse) => void) {
  return (req: Seen, res: ServerResponse) => {
    if (req.url === PATH.login) {
      json(res, 200, { accessToken: TOKEN, tokenType: 'bearer', expiresIn: 3600, refreshToken: 'r', scope: 'default' });
    } else {
      other(req, res);
    }
  };
}

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

function expectNoCredentials(error: PlatformError): void {
  const everything = `${error.message}\n${inspect(error)}\n${JSON.stringify(error)}`;
  expect(everything).not.toContain(SECRET);
  expect(everything).not.toContain(TOKEN);
}

describe('PlatformClient', () => {
  it('logs in with a form and sends app_key and the bearer token on other calls', async () => {
    const platform = await stubPlatform(loginThen((_, res) => json(res, 200, { totalCount: 0, pageNo: 0, pageSize: 1, data: [] })));
    const client = new PlatformClient({ url: platform.url, appId: 'app-1', secret: SECRET });

    await client.health();

    const [login, operations] = platform.seen;
    expect(login).toMatchObject({ method: 'POST', url: PATH.login });
    expect(login?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(login?.body))).toEqual({ appId: 'app-1', secret: SECRET });
    expect(operations).toMatchObject({ method: 'GET', url: `${PATH.operations}?pageNo=0&pageSize=1` });
    expect(operations?.headers).toMatchObject({ app_key: 'app-1', authorization: `Bearer ${TOKEN}` });
  });

  it('reuses the token, and concurrent callers share one login', async () => {
    const platform = await stubPlatform(loginThen((_, res) => json(res, 200, { totalCount: 0, data: [] })));
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });

    // Three different reads at once (the same read in flight together is sent once).
    await Promise.all([0, 1, 2].map((pageNo) => client.call(ENDPOINTS.operations, { searchParams: { pageNo, pageSize: 1 } })));
    await client.health();

    expect(platform.seen.filter((req) => req.url.includes('/login'))).toHaveLength(1);
    expect(platform.seen).toHaveLength(5);
  });

  it('refreshes a token that is about to expire, with the refresh token, instead of logging in again', async () => {
    let issued = 0;
    const platform = await stubPlatform((req, res) => {
      if (req.url.endsWith('/login') || req.url.endsWith('/refreshToken')) {
        issued += 1;
        // 200 s left: inside the refresh margin, so the next call refreshes first.
        json(res, 200, { accessToken: `token-${issued}`, expiresIn: 200, refreshToken: `refresh-${issued}`, tokenType: 'bearer', scope: 'default' });
      } else {
        json(res, 200, { totalCount: 0, data: [] });
      }
    });
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });

    await client.health();
    await client.health();

    expect(platform.seen.map((req) => req.url.split('?')[0])).toEqual([
      PATH.login,
      PATH.operations,
      PATH.refresh,
      PATH.operations,
    ]);
    expect(JSON.parse(platform.seen[2]?.body ?? '')).toEqual({ appId: 'app', secret: SECRET, refreshToken: 'refresh-1' });
    expect(platform.seen[3]?.headers.authorization).toBe('Bearer token-2');
  });

  it('logs in again once when the platform keeps rejecting the token, then gives up with its code', async () => {
    const platform = await stubPlatform(loginThen((_, res) => json(res, 403, { error_code: '1010005', error_desc: 'App_key or access_token is invalid.' })));
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });

    const error = await failure(client.health());

    expect(gatewayCodeOf(error)).toBe('UPSTREAM_AUTH_FAILED');
    expect(platform.seen.map((req) => req.url.split('?')[0])).toEqual([
      PATH.login,
      PATH.operations,
      PATH.login,
      PATH.operations,
    ]);
  });

  it('reports the token expiry without exposing the token', async () => {
    const platform = await stubPlatform(loginThen(() => undefined));
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });
    const before = Date.now();

    const session = await client.login();

    expect(session.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
    expect(JSON.stringify(session)).not.toContain(TOKEN);
    expect(`${inspect(client)} ${JSON.stringify(client)}`).not.toMatch(new RegExp(`${SECRET}|${TOKEN}`));
  });

  it('turns a login refusal into a PlatformError with the platform code and the endpoint template', async () => {
    const platform = await stubPlatform((_, res) => json(res, 401, { error_code: '100208', error_desc: 'AppId or secret is not right.' }));
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });

    const error = await failure(client.health());

    expect(error).toMatchObject({
      kind: 'platform',
      status: 401,
      code: '100208',
      description: 'AppId or secret is not right.',
      endpoint: ROUTE.login,
    });
    expect(gatewayCodeOf(error)).toBe('UPSTREAM_AUTH_FAILED');
    expectNoCredentials(error);
  });

  it('treats a body carrying error_code as an error even with HTTP 200, numeric codes included', async () => {
    const platform = await stubPlatform(loginThen((_, res) => json(res, 200, { error_code: 1010009, error_desc: 'app throttle exceed.' })));
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });

    const error = await failure(client.health());

    expect(error).toMatchObject({ kind: 'platform', status: 200, code: '1010009', endpoint: ROUTE.operations });
    expect(gatewayCodeOf(error)).toBe('RATE_LIMITED');
    expectNoCredentials(error);
  });

  it('reports an error status without a platform body as an HTTP error', async () => {
    const platform = await stubPlatform(loginThen((_, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>')));
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });

    const error = await failure(client.health());

    expect(error).toMatchObject({ kind: 'http', status: 502, code: 'HTTP_502' });
    expect(gatewayCodeOf(error)).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('rejects a success that is not JSON, and a login reply without a token', async () => {
    const notJson = await stubPlatform(loginThen((_, res) => res.writeHead(200).end('<html>')));
    expect(await failure(new PlatformClient({ url: notJson.url, appId: 'a', secret: SECRET }).health())).toMatchObject({
      kind: 'invalid-response',
      code: 'INVALID_RESPONSE',
    });
    const noToken = await stubPlatform((_, res) => json(res, 200, { expiresIn: 3600 }));
    expect(await failure(new PlatformClient({ url: noToken.url, appId: 'a', secret: SECRET }).login())).toMatchObject({
      kind: 'invalid-response',
      endpoint: ROUTE.login,
    });
  });

  it('reports a refused connection as a network error without credentials', async () => {
    const platform = await stubPlatform(() => undefined);
    await new Promise((resolve) => platform.server.close(resolve));
    const client = new PlatformClient({ url: platform.url, appId: 'app', secret: SECRET });

    const error = await failure(client.health());

    expect(error).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', status: undefined, endpoint: ROUTE.login });
    expect(gatewayCodeOf(error)).toBe('UPSTREAM_UNAVAILABLE');
    expectNoCredentials(error);
  });

  it('keeps a path prefix of the base URL', async () => {
    const platform = await stubPlatform(loginThen((_, res) => json(res, 200, {})));
    const client = new PlatformClient({ url: `${platform.url}/prefix`, appId: 'app', secret: SECRET });

    await failure(client.health());

    expect(platform.seen[0]?.url).toBe(`/prefix${PATH.login}`);
  });
});

describe('gatewayCodeOf', () => {
  const platformError = (code: string, status = 400) => new PlatformError({ kind: 'platform', status, code, endpoint: 'GET /x' });

  it.each([
    ['123019', 'BAD_USER_INPUT'],
    ['100022', 'BAD_USER_INPUT'],
    ['123009', 'NOT_FOUND'],
    ['100603', 'NOT_FOUND'],
    ['100217', 'FORBIDDEN'],
    ['100247', 'UPSTREAM_AUTH_FAILED'],
    ['1010005', 'UPSTREAM_AUTH_FAILED'],
    ['1010009', 'RATE_LIMITED'],
    ['50252', 'UPSTREAM_UNAVAILABLE'],
  ])('maps platform code %s to %s', (code, expected) => {
    expect(gatewayCodeOf(platformError(code))).toBe(expected);
  });

  it('maps undocumented codes by status, and timeouts to UPSTREAM_TIMEOUT', () => {
    expect(gatewayCodeOf(platformError('999999', 503))).toBe('UPSTREAM_UNAVAILABLE');
    expect(gatewayCodeOf(platformError('999999', 400))).toBe('INTERNAL_SERVER_ERROR');
    expect(gatewayCodeOf(new PlatformError({ kind: 'timeout', code: 'ETIMEDOUT', endpoint: 'GET /x' }))).toBe('UPSTREAM_TIMEOUT');
  });
});
