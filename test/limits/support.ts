// Shared by the limits tests: the emulator on its own and a gateway pointed at it by URL (replaceable, so a test can
// start from a fresh budget, circuit and cache), call counting around an action, the fleet facts the tests need
// (read straight from the emulator, never through the gateway under test), and the shape of the errors.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type GraphQLFormattedError, print } from 'graphql';
import { expect } from 'vitest';
import { loadConfig, type Env } from '../../src/config.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import type { Logger } from '../../src/logging/logger.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { LimitsHealthDocument } from '../generated/graphql.js';
import { platformEnv, TEST_API_KEY, TEST_EMULATOR } from '../gateway/helpers.js';
import { allPages, Api, P } from '../helpers/emulator.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The emulator's route keys, as its stats name them. */
export const ROUTE = {
  login: 'POST /iocm/app/sec/v1.1.0/login',
  operations: 'GET /iodm/northbound/v1.5.0/operations',
  operation: 'GET /iodm/northbound/v1.5.0/operations/{operationId}',
  subtasks: 'GET /iodm/northbound/v1.5.0/operations/{operationId}/subOperations',
  device: 'GET /iocm/app/dm/v1.4.0/devices/{deviceId}',
  devices: 'GET /iocm/app/dm/v1.4.0/devices',
  groups: 'GET /iocm/app/devgroup/v1.3.0/devGroups',
  groupMembers: 'GET /iocm/app/dm/v1.2.0/devices/ids',
  createFirmware: 'POST /iodm/northbound/v1.5.0/operations/firmwareUpgrade',
} as const;

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Reply<TData> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

export type Stats = { total: number; throttled: number; byRoute: Record<string, number> };

export interface Calls<T> {
  result: T;
  /** Platform calls made during the action, logins included. */
  total: number;
  /** Per route, only the routes that were called. */
  byRoute: Record<string, number>;
  throttled: number;
}

export interface LimitsStack {
  emulator: RunningEmulator;
  readonly gateway: Gateway;
  /** A REST client of the emulator as the gateway's own application (its logins supersede the gateway's token). */
  api: Api;
  run<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<Reply<TData>>;
  /** Closes the gateway and starts a fresh one (empty caches, full budget, closed circuit) with this environment. */
  useGateway(env?: Env): Promise<Gateway>;
  control(path: string, body?: unknown, method?: string): Promise<Json>;
  stats(): Promise<Stats>;
  fault(rule: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  /** `/_emulator/state/{kind}/{id}` (not counted). */
  state(kind: 'devices' | 'operations', id: string): Promise<Json>;
  /**
   * The platform calls `action` causes (the emulator's counters before → after). With `warm` (the default) the
   * gateway first proves its token with a health check, so a login forced by a truth read is not counted.
   */
  callsDuring<T>(action: () => Promise<T>, options?: { warm?: boolean }): Promise<Calls<T>>;
  close(): Promise<void>;
}

export interface LimitsStackOptions {
  emulator?: EmulatorOptions;
  /** The gateway's environment on top of the defaults (budget = the emulator's throttle per 60 s). */
  env?: Env;
  /** Start no gateway yet (call `useGateway` later), e.g. to read fixtures first. */
  deferGateway?: boolean;
}

/** A gateway's environment for `emulator`, as for a real platform; its budget is the emulator's throttle per 60 s. */
export function gatewayEnv(emulator: RunningEmulator, throttlePerMinute: number, env: Env = {}): Env {
  return { ...platformEnv(emulator.url, emulator.credentials, throttlePerMinute), GATEWAY_PLAYGROUND: 'off', ...env };
}

export async function startLimitsStack({ emulator: options = {}, env = {}, deferGateway = false }: LimitsStackOptions = {}): Promise<LimitsStack> {
  // The integration tests' emulator (manual clock, fixed start, a throttle that never bites) unless told otherwise.
  const emulatorOptions = { ...TEST_EMULATOR, ...options };
  const emulator = await startEmulator(emulatorOptions);
  const api = new Api(emulator.url, emulator.credentials.appId, emulator.credentials.secret);
  let gateway: Gateway | undefined;
  const control = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<Json> => {
    const response = await fetch(`${emulator.url}/_emulator/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const stats = () => control('stats') as Promise<Stats>;
  const useGateway = async (extra: Env = {}): Promise<Gateway> => {
    await gateway?.close();
    gateway = undefined;
    const loaded = loadConfig(gatewayEnv(emulator, emulatorOptions.throttlePerMinute ?? 100, { ...env, ...extra }));
    if (!loaded.ok) throw new Error(`test configuration invalid:\n${loaded.errors.join('\n')}`);
    gateway = await createGateway(loaded.config, { logger: silent });
    return gateway;
  };
  const current = (): Gateway => {
    if (!gateway) throw new Error('no gateway started (useGateway)');
    return gateway;
  };
  const run = <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) => post(current().url, document, variables);
  if (!deferGateway) await useGateway();
  return {
    emulator,
    get gateway() {
      return current();
    },
    api,
    run,
    useGateway,
    control,
    stats,
    fault: async (rule) => {
      await control('faults', rule);
    },
    clearFaults: async () => {
      await control('faults', undefined, 'DELETE');
    },
    state: (kind, id) => control(`state/${kind}/${id}`),
    async callsDuring(action, { warm = true } = {}) {
      if (warm) {
        const health = await run(LimitsHealthDocument);
        if (!health.data?.health?.loginOk) throw new Error(`warm-up health check failed: ${JSON.stringify(health)}`);
      }
      const before = await stats();
      const result = await action();
      const after = await stats();
      return { result, ...difference(before, after) };
    },
    async close() {
      await gateway?.close();
      await emulator.close();
    },
  };
}

/** The counters' difference: what happened between two stats readings. */
export function difference(before: Stats, after: Stats): Omit<Calls<never>, 'result'> {
  const byRoute: Record<string, number> = {};
  for (const [route, count] of Object.entries(after.byRoute)) {
    const delta = count - (before.byRoute[route] ?? 0);
    if (delta > 0) byRoute[route] = delta;
  }
  return { total: after.total - before.total, byRoute, throttled: after.throttled - before.throttled };
}

/** POSTs a typed document over real HTTP, as any client would. */
export async function post<TData, TVariables>(url: string, document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<Reply<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-api-key': TEST_API_KEY },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as Omit<Reply<TData>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

// ---------------------------------------------------------------------------------------------------------------
// Fleet facts, read over the emulator's REST API as the gateway's application (do it before the gateway's first
// call, or let `callsDuring` warm the gateway up again).

export interface Product {
  deviceType: string;
  model: string;
  manufacturerName: string;
  /** A firmware package of the product. */
  firmware: string;
  /** The product's devices, in the platform's order. */
  devices: string[];
  /** Devices of the product's device type (other models included): what listing the type reads. */
  typeSize: number;
}

export interface Fleet {
  /** Every device of the main application, in the platform's order. */
  devices: Json[];
  /** The product with the most devices that has a firmware package. */
  product: Product;
}

export async function readFleet(api: Api): Promise<Fleet> {
  const login = await api.login();
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const devices = await allPages<Json>(api, P.devices, {}, 'devices', 250);
  const packages = await allPages<Json>(api, P.packages, { fileType: 'firmwarePackage' }, 'data', 100);
  const key = (x: { deviceType?: string; model?: string; manufacturerName?: string }) => `${x.deviceType}|${x.model}|${x.manufacturerName}`;
  const byProduct = new Map<string, string[]>();
  for (const d of devices) byProduct.set(key(d.deviceInfo), [...(byProduct.get(key(d.deviceInfo)) ?? []), d.deviceId]);
  const candidates = packages
    .map((p) => ({ p, devices: byProduct.get(key(p)) ?? [] }))
    .sort((a, b) => b.devices.length - a.devices.length);
  const best = candidates[0];
  if (!best || best.devices.length === 0) throw new Error('fleet: no firmware package with devices');
  const typeSize = devices.filter((d) => d.deviceInfo.deviceType === best.p.deviceType).length;
  return {
    devices,
    product: {
      deviceType: best.p.deviceType,
      model: best.p.model,
      manufacturerName: best.p.manufacturerName,
      firmware: best.p.fileId,
      devices: best.devices,
      typeSize,
    },
  };
}

/**
 * Upgrade tasks that target `deviceId` and were created at or after `sinceCompact` (yyyyMMddTHHmmssZ), as the
 * platform lists them.
 */
export async function tasksCreatedFor(api: Api, deviceId: string, sinceCompact: string): Promise<Json[]> {
  // A fresh token: the gateway's logins supersede earlier ones of the same application.
  const login = await api.login();
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const operations = await allPages<Json>(api, P.operations, { deviceId }, 'data', 100);
  return operations.filter((o) => String(o.createTime) >= sinceCompact);
}

// ---------------------------------------------------------------------------------------------------------------
// Error shapes.

/** A budget refusal: RATE_LIMITED with a whole number of seconds to wait, at least 1 and at most the window (+1 s). */
export function expectRateLimited(error: GraphQLFormattedError, windowSeconds: number): void {
  expect(error.extensions?.code, JSON.stringify(error)).toBe('RATE_LIMITED');
  const retryAfter = error.extensions?.retryAfterSeconds;
  expect(Number.isInteger(retryAfter), `retryAfterSeconds ${JSON.stringify(retryAfter)} is not an integer`).toBe(true);
  expect(retryAfter as number).toBeGreaterThanOrEqual(1);
  expect(retryAfter as number).toBeLessThanOrEqual(windowSeconds + 1);
}

/** The codes of a reply's errors. */
export const codesOf = (reply: Reply<unknown>): unknown[] => (reply.errors ?? []).map((e) => e.extensions?.code);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every few milliseconds until it holds (or throws after `ms`). */
export async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(3);
  }
}
