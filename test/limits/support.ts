// Shared by the limits tests: their stack (the emulator on its own, a gateway that a test may replace to start from a
// fresh budget, circuit and cache, and a REST client of the emulator), the fleet facts the tests need (read straight
// from the emulator, never through the gateway under test), and the shape of the errors.
import type { GraphQLFormattedError } from 'graphql';
import { expect } from 'vitest';
import type { Env } from '../../src/config.js';
import { allPages, Api } from '../harness/emulator.js';
import type { GraphQLReply } from '../harness/gateway.js';
import type { PlatformOptions } from '../harness/platform.js';
import { PATH } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface LimitsStack extends Stack {
  /** A REST client of the emulator as the gateway's own application (its logins supersede the gateway's token). */
  api: Api;
}

export interface LimitsStackOptions {
  platform?: PlatformOptions;
  /** Every gateway's environment (its budget is the emulator's throttle per 60 s unless this says otherwise). */
  env?: Env;
  /** Start no gateway yet (`useGateway` later), e.g. to read fixtures first. */
  deferGateway?: boolean;
}

export async function startLimitsStack({ platform, env = {}, deferGateway = false }: LimitsStackOptions = {}): Promise<LimitsStack> {
  const stack = await startStack({ platform, env: { GATEWAY_PLAYGROUND: 'off', ...env }, gateway: deferGateway ? 'none' : 'in-process' });
  return Object.assign(stack, { api: new Api(stack.platform.url, stack.platform.credentials.appId, stack.platform.credentials.secret) });
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
  const devices = await allPages<Json>(api, PATH.devices, {}, 'devices', 250);
  const packages = await allPages<Json>(api, PATH.packages, { fileType: 'firmwarePackage' }, 'data', 100);
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
  const operations = await allPages<Json>(api, PATH.operations, { deviceId }, 'data', 100);
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
export const codesOf = (reply: GraphQLReply<unknown>): unknown[] => (reply.errors ?? []).map((e) => e.extensions?.code);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every few milliseconds until it holds (or throws after `ms`). */
export async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(3);
  }
}
