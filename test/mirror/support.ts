// A gateway started as users run it: the default budget (100 calls / 60 s, the mirror's hard half of it), the
// platform's real throttle of 100 calls a minute on a wall clock, push on; the platform is the emulator on its own
// (seed 1: the default fleet's shape), behind a recording proxy so that every call's time is known.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Env } from '../../src/config.js';
import { reachableEnv, TEST_API_KEY, type TestGateway } from '../harness/gateway.js';
import type { RecordedCall } from '../harness/proxy.js';
import { PATH } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The settings a user gets without setting anything, stated (the harness's own lift the throttle, mirror off). */
export const USER_DEFAULTS: Env = {
  NORTHBOUND_RATE_LIMIT: '100/60s',
  MIRROR_BUDGET_SHARE: '0.5',
  GATEWAY_CLIENT_BUDGET_SHARE: '0.5',
  GATEWAY_REQUEST_DEADLINE_MS: '10000',
  MIRROR_POLL_SECONDS: '30',
  MIRROR_FULL_SYNC_MINUTES: '60',
};
/** The budget's window as it counts it: 60 s, and a second for the call to reach the platform. */
export const BUDGET_WINDOW_MS = 61_000;
/** The mirror's share of every window: half of 100 calls. */
export const MIRROR_SHARE_CALLS = 50;

export interface StartedStack {
  stack: Stack;
  /** When the gateway was asked to start (performance.now(), as the proxy records calls). */
  startedAt: number;
  /** When it was listening. */
  listeningAt: number;
}

/** A platform of `devices` devices, and a gateway starting on it now (its mirror begins at once). */
export async function startAsUsersRunIt(devices: number, env: Env = {}): Promise<StartedStack> {
  const stack = await startStack({
    platform: { seed: 1, devices, clock: 'realtime', startTime: undefined, throttlePerMinute: 100 },
    proxy: true,
    gateway: 'none',
  });
  const startedAt = performance.now();
  await stack.useGateway({ env: { ...USER_DEFAULTS, ...(await reachableEnv()), ...env } });
  return { stack, startedAt, listeningAt: performance.now() };
}

/** The platform calls the gateway made, logins apart (they take no budget slot). */
export function budgetedCalls(stack: Stack): RecordedCall[] {
  return stack.proxy.calls.filter((call) => call.path !== PATH.login);
}

/** The most calls in any window of `windowMs`. */
export function busiestWindow(calls: readonly RecordedCall[], windowMs: number): number {
  const times = calls.map((c) => c.startedAt).sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while ((times[last] as number) - (times[first] as number) >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}


export const sleepUntil = async (at: number): Promise<void> => {
  const ms = at - performance.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
};

/** One operation over graphql-ws (the same pipeline as HTTP): its last result, or the errors it was refused with. */
export async function overWebSocket(gateway: TestGateway, query: string): Promise<Json> {
  const client = createClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { 'x-api-key': TEST_API_KEY }, retryAttempts: 0 });
  try {
    return await new Promise<Json>((resolve, reject) => {
      let last: Json = {};
      client.subscribe({ query }, { next: (value) => void (last = value), error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)), complete: () => resolve(last) });
    });
  } finally {
    await client.dispose();
  }
}

export type { Json };

export { eventually } from '../harness/eventually.js';
