import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type GraphQLFormattedError, print } from 'graphql';
import { type Env, loadConfig } from '../../src/config.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { createGateway, type Gateway } from '../../src/server.js';

/** A gateway on free ports with a small embedded emulator; `env` adds or overrides variables. */
export async function startGateway(env: Env = {}): Promise<Gateway> {
  const loaded = loadConfig({ PORT: '0', EMULATOR_PORT: '0', EMULATOR_DEVICES: '20', LOG_LEVEL: 'error', GATEWAY_DATA_DIR: ':memory:', MIRROR_BUDGET_SHARE: '0', ...env });
  if (!loaded.ok) throw new Error(`test configuration invalid:\n${loaded.errors.join('\n')}`);
  return createGateway(loaded.config);
}

/** Waits until the gateway's fleet mirror answers for the whole fleet (state READY). */
export async function mirrorReady(url: string, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ mirror { state } }' }) });
    const body = (await response.json()) as { data?: { mirror?: { state?: string } } };
    if (body.data?.mirror?.state === 'READY') return;
    if (Date.now() > until) throw new Error(`the mirror is not READY after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

/** POSTs a typed document over real HTTP, as any client would. */
export async function execute<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<TData>, 'status'>;
  return { status: response.status, ...body };
}

export const TEST_API_KEY = 'integration-test-key';

export interface Stack {
  gateway: Gateway;
  emulator: RunningEmulator;
  /** Runs a document against the gateway with the test's API key. */
  run<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<GraphQLResponse<TData>>;
  /** The emulator's call counters (`GET /_emulator/stats`). */
  stats(): Promise<{ total: number; throttled: number; byRoute: Record<string, number> }>;
  /** Zeroes the emulator's counters (a reset with the same options: same data). */
  resetCounters(): Promise<void>;
  control(path: string, body?: unknown, method?: string): Promise<unknown>;
  close(): Promise<void>;
}

/** The emulator the integration tests run against: manual clock, fixed start, a throttle that never bites. */
export const TEST_EMULATOR: EmulatorOptions = {
  port: 0,
  seed: 7,
  devices: 400,
  clock: 'manual',
  startTime: '2026-03-01T00:00:00Z',
  throttlePerMinute: 1_000_000,
};

/** A gateway's environment for a platform at `url`, as for a real platform (so API keys are required). */
export function platformEnv(url: string, credentials: { appId: string; secret: string }, throttlePerMinute = 1_000_000): Env {
  return {
    PORT: '0',
    LOG_LEVEL: 'error',
    NORTHBOUND_URL: url,
    NORTHBOUND_APP_ID: credentials.appId,
    NORTHBOUND_SECRET: credentials.secret,
    GATEWAY_API_KEYS: `${TEST_API_KEY}:operate`,
    // The gateway budgets what its platform allows.
    NORTHBOUND_RATE_LIMIT: `${throttlePerMinute}/60s`,
    // Each test gateway keeps its own throwaway store (tests of the durable store give it a data dir or database).
    GATEWAY_DATA_DIR: ':memory:',
    // The platform path, call by call; the fleet mirror's tests turn it on.
    MIRROR_BUDGET_SHARE: '0',
  };
}

/**
 * The emulator on its own and the gateway pointed at it by URL, as at a real platform: tests see exactly the
 * calls a query makes. `env` adds to or overrides the gateway's environment.
 */
export async function startStack(options: EmulatorOptions = {}, env: Env = {}): Promise<Stack> {
  const emulatorOptions: EmulatorOptions = { ...TEST_EMULATOR, ...options };
  const emulator = await startEmulator(emulatorOptions);
  const loaded = loadConfig({ ...platformEnv(emulator.url, emulator.credentials, emulatorOptions.throttlePerMinute ?? undefined), ...env });
  if (!loaded.ok) throw new Error(`test configuration invalid:\n${loaded.errors.join('\n')}`);
  const gateway = await createGateway(loaded.config);
  const control = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
    const response = await fetch(`${emulator.url}/_emulator/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  const { port: _port, ...resettable } = emulatorOptions;
  return {
    gateway,
    emulator,
    run: (document, variables) => execute(gateway.url, document, variables, { 'x-api-key': TEST_API_KEY }),
    stats: () => control('stats') as ReturnType<Stack['stats']>,
    resetCounters: async () => {
      await control('reset', resettable);
    },
    control,
    close: async () => {
      await gateway.close();
      await emulator.close();
    },
  };
}
