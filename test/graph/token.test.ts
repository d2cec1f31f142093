// The platform's access token expiring early (between queries or in the middle of one): the client never notices,
// the gateway logs in once and replays exactly the calls the platform rejected.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenDashboardDocument, TokenSmallDocument, type TokenDashboardQuery } from '../generated/graphql.js';
import type { RecordedCall } from '../harness/proxy.js';
import { PATH, ROUTE } from '../harness/routes.js';
import { startGraphStack, type GraphStack } from './support.js';

const TOKEN_INVALID = '1010005';

let stack: GraphStack;
/** The dashboard's answer and platform calls with a valid token. */
let baseline: { data: TokenDashboardQuery; byRoute: Record<string, number> };

beforeAll(async () => {
  stack = await startGraphStack();
  const { result, byRoute } = await stack.callsDuring(() => stack.gateway.run(TokenDashboardDocument));
  expect(result.errors).toBeUndefined();
  baseline = { data: result.data as TokenDashboardQuery, byRoute };
  expect(byRoute[ROUTE.subOperations]).toBe(20);
});
afterEach(async () => {
  await stack.platform.control('faults', undefined, 'DELETE');
});
afterAll(async () => {
  await stack?.close();
});

const expireTokens = () => stack.platform.control('faults', { expireTokens: true });

/** Resolves once the emulator has counted `n` more calls of `route` than `from`. */
async function untilCounted(route: string, from: number, n = 1): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (((await stack.platform.stats()).byRoute[route] ?? 0) >= from + n) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${route} was not called`);
}

/**
 * Every platform call of the query went out once and succeeded, except those the platform rejected for the token:
 * each of those was sent again, once, later, with another token. Returns how many were rejected.
 */
function expectOnlyRejectedReplayed(recorded: RecordedCall[]): number {
  const byRequest = new Map<string, RecordedCall[]>();
  for (const call of recorded.filter((c) => c.path !== PATH.login)) {
    const key = `${call.method} ${call.path}?${[...call.query].sort().join('&')}`;
    byRequest.set(key, [...(byRequest.get(key) ?? []), call]);
  }
  let rejected = 0;
  for (const [request, calls] of byRequest) {
    const refused = calls.filter((c) => c.errorCode === TOKEN_INVALID);
    const answered = calls.filter((c) => c.errorCode !== TOKEN_INVALID);
    expect(answered, request).toHaveLength(1);
    expect(refused.length, request).toBeLessThanOrEqual(1);
    const [first, replay] = [refused[0], answered[0] as RecordedCall];
    if (first) {
      expect(first.startedAt, request).toBeLessThan(replay.startedAt);
      expect(first.token, request).not.toBe(replay.token);
      rejected += 1;
    }
  }
  return rejected;
}

describe('an access token that expires early', () => {
  it('between queries: one login, and the one rejected call replayed', async () => {
    await expireTokens();

    const { result, byRoute, recorded } = await stack.callsDuring(() => stack.gateway.run(TokenDashboardDocument), { warm: false });

    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual(baseline.data);
    expect(byRoute).toEqual({
      ...baseline.byRoute,
      [ROUTE.login]: 1,
      [ROUTE.operations]: (baseline.byRoute[ROUTE.operations] ?? 0) + 1,
    });
    expect(expectOnlyRejectedReplayed(recorded)).toBe(1);
  });

  it('in the middle of a query: the calls made with the old token are replayed, nothing else', async () => {
    // The task page is answered late; the tokens expire after the platform served it, before the subtask pages go out.
    await stack.platform.control('faults', { latencyMs: 300, routes: [ROUTE.operations] });
    const before = (await stack.platform.stats()).byRoute[ROUTE.operations] ?? 0;

    const { result, byRoute, recorded } = await stack.callsDuring(
      async () => {
        const pending = stack.gateway.run(TokenDashboardDocument);
        await untilCounted(ROUTE.operations, before);
        await expireTokens();
        return pending;
      },
      { warm: false },
    );

    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual(baseline.data);
    // All 20 subtask pages were refused once and replayed once; devices came after the new login.
    expect(byRoute).toEqual({
      ...baseline.byRoute,
      [ROUTE.login]: 1,
      [ROUTE.subOperations]: 2 * (baseline.byRoute[ROUTE.subOperations] ?? 0),
    });
    expect(expectOnlyRejectedReplayed(recorded)).toBe(baseline.byRoute[ROUTE.subOperations]);
  });

  it('during the device lookups: one login, each refused lookup replayed once', async () => {
    await stack.platform.control('faults', { latencyMs: 300, routes: [ROUTE.subOperations] });
    const before = (await stack.platform.stats()).byRoute[ROUTE.subOperations] ?? 0;

    const { result, byRoute, recorded } = await stack.callsDuring(
      async () => {
        const pending = stack.gateway.run(TokenDashboardDocument);
        await untilCounted(ROUTE.subOperations, before, baseline.byRoute[ROUTE.subOperations]);
        await expireTokens();
        return pending;
      },
      { warm: false },
    );

    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual(baseline.data);
    const rejected = expectOnlyRejectedReplayed(recorded);
    expect(rejected).toBeGreaterThan(0);
    expect(byRoute).toEqual({
      ...baseline.byRoute,
      [ROUTE.login]: 1,
      [ROUTE.device]: (baseline.byRoute[ROUTE.device] ?? 0) + rejected,
    });
  });

  it('concurrent queries share one login', async () => {
    await expireTokens();

    const { result, byRoute } = await stack.callsDuring(
      () => Promise.all([stack.gateway.run(TokenDashboardDocument), stack.gateway.run(TokenSmallDocument), stack.gateway.run(TokenDashboardDocument)]),
      { warm: false },
    );

    expect(result.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    expect(result[0]?.data).toEqual(baseline.data);
    expect(byRoute[ROUTE.login]).toBe(1);
  });

  it('a token refused again right after the new login is UPSTREAM_AUTH_FAILED, with no further login', async () => {
    // The new token is issued, then held back while every token is expired once more.
    await stack.platform.control('faults', { latencyMs: 300, routes: [ROUTE.login] });
    await expireTokens();
    const before = (await stack.platform.stats()).byRoute[ROUTE.login] ?? 0;

    const { result, byRoute } = await stack.callsDuring(
      async () => {
        const pending = stack.gateway.run(TokenSmallDocument);
        await untilCounted(ROUTE.login, before);
        await expireTokens();
        return pending;
      },
      { warm: false },
    );

    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_AUTH_FAILED',
      upstream: { status: 403, code: TOKEN_INVALID, endpoint: ROUTE.operations },
    });
    expect(byRoute).toEqual({ [ROUTE.login]: 1, [ROUTE.operations]: 2 });

    // The next query logs in again and succeeds.
    await stack.platform.control('faults', undefined, 'DELETE');
    const next = await stack.gateway.run(TokenSmallDocument);
    expect(next.errors).toBeUndefined();
  });
});
