// Shared by the mutation tests: a stack whose gateway can be given extra environment (a short platform timeout)
// and a read-only key besides the operate key, call counting around one action, the fleet data the creates need,
// and the shape of a violation caught before any platform call.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import { expect } from 'vitest';
import type { Env } from '../../src/config.js';
import { MutationFixtureDevicesDocument as MutationFixtureDevices, MutationFixturesDocument } from '../generated/graphql.js';
import { TEST_API_KEY, type GraphQLReply } from '../harness/gateway.js';
import type { PlatformOptions } from '../harness/platform.js';
import { startStack, type Calls, type Stack } from '../harness/stack.js';

export const READ_ONLY_KEY = 'read-only-test-key';

export interface MutationStackOptions {
  /** On top of TEST_EMULATOR (manual clock, fixed start 2026-03-01). */
  platform?: PlatformOptions;
  /** Extra gateway environment, e.g. `NORTHBOUND_TIMEOUT_MS`. */
  env?: Env;
}

/** The emulator on its own and a gateway with the test's operate key and a read-only key. */
export function startMutationStack({ platform, env = {} }: MutationStackOptions = {}): Promise<Stack> {
  return startStack({ platform, env: { GATEWAY_API_KEYS: `${TEST_API_KEY}:operate,${READ_ONLY_KEY}:read`, ...env } });
}

/** The platform calls one action makes, with no warm-up: every call counts, a login too. */
export const callsDuring = <T>(stack: Stack, action: () => Promise<T>): Promise<Calls<T>> => stack.callsDuring(action, { warm: false });

/** The single error of a response (a create answers one field, so one error). */
export function onlyError(response: GraphQLReply<unknown>): GraphQLFormattedError {
  expect(response.errors, JSON.stringify(response.data)).toHaveLength(1);
  return response.errors?.[0] as GraphQLFormattedError;
}

export interface ExpectedViolation {
  /** The field path, e.g. `input.policy.endTime`. */
  path: string;
  rule: string;
  /** The code the platform would have answered, e.g. '123034'. */
  upstreamCode?: string;
}

/**
 * A create refused by the gateway's own rules: BAD_USER_INPUT naming the field and the rule, the platform's code
 * as `extensions.upstream.code` (the first in the platform's order, `answered`), and no platform call at all.
 */
export function expectRefusedBeforePlatform(
  calls: Calls<GraphQLReply<unknown>>,
  violation: ExpectedViolation,
  answered: string | undefined = violation.upstreamCode,
): void {
  const error = onlyError(calls.result);
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error.extensions?.validationErrors).toContainEqual(expect.objectContaining(violation));
  if (answered === undefined) expect(error.extensions?.upstream).toBeUndefined();
  else expect(error.extensions?.upstream).toMatchObject({ code: answered });
  expect(calls.result.data ?? null).toBeNull();
  expect(calls.byRoute).toEqual({});
  expect(calls.total).toBe(0);
}

export interface Product {
  deviceType: string;
  model: string;
  manufacturerName: string;
}

export interface Fixtures {
  product: Product;
  /** The product's own group (all its devices): name and id. */
  group: string;
  groupId: string;
  /** A firmware and a software package of the product. */
  firmware: string;
  software: string;
  /** Another firmware package (another version) of the same product. */
  firmware2: string;
  /** Their versions (what a task installs). */
  firmwareVersion: string;
  softwareVersion: string;
  /** The product's devices, ONLINE ones first. */
  devices: string[];
  /** A firmware package of another product. */
  otherFirmware: string;
  otherProduct: Product;
  /** A group that exists but is not the product's group. */
  otherGroup: string;
}

/** Picks what the creates need from the fleet, read through the gateway: the product with the most known devices. */
export async function loadFixtures(stack: Stack): Promise<Fixtures> {
  // Read again when a part failed: a gateway with a short platform timeout may miss one on a busy machine.
  const readFully = async <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) => {
    let reply = await stack.gateway.run(document, variables);
    for (let attempt = 1; attempt < 3 && reply.errors; attempt++) reply = await stack.gateway.run(document, variables);
    return reply;
  };
  const response = await readFully(MutationFixturesDocument);
  if (!response.data || response.errors) throw new Error(`fixtures: ${JSON.stringify(response.errors)}`);
  const { upgradePackages, deviceGroups, operations } = response.data;
  if (!upgradePackages || !deviceGroups || !operations) throw new Error(`fixtures: ${JSON.stringify(response.errors)}`);
  // Devices are found through the fleet's upgrade history, then read by id.
  const ids = [...new Set(operations.nodes.flatMap((o) => o.subtasks!.nodes.map((s) => s.deviceId)))].slice(0, 500);
  const read = await readFully(MutationFixtureDevices, { ids });
  const known = (read.data?.devices ?? []).filter((d) => d !== null);
  const byModel = new Map<string, typeof known>();
  for (const device of known) byModel.set(device.model ?? '', [...(byModel.get(device.model ?? '') ?? []), device]);
  const [model, ofModel] = [...byModel].sort(([, a], [, b]) => b.length - a.length)[0] ?? ['', []];
  const packages = upgradePackages.nodes.filter((p) => p.model === model);
  const [firmware, firmware2] = packages.filter((p) => p.type === 'FIRMWARE');
  const software = packages.find((p) => p.type === 'SOFTWARE');
  const other = upgradePackages.nodes.find((p) => p.type === 'FIRMWARE' && p.model !== model);
  if (!firmware || !firmware2 || !software || !other || ofModel.length < 12) throw new Error(`fixtures: no product with packages and devices (${model})`);
  const product = (p: typeof firmware): Product => ({ deviceType: p.deviceType ?? '', model: p.model ?? '', manufacturerName: p.manufacturerName ?? '' });
  // The emulator names each product's group after it (deviceType + model), e.g. WaterMeterWM100.
  const group = deviceGroups.nodes.find((g) => g.name === `${firmware.deviceType}${firmware.model}`);
  const otherGroup = deviceGroups.nodes.find((g) => g.name === `${other.deviceType}${other.model}`);
  if (!group || !otherGroup) throw new Error(`fixtures: no group named after ${model}`);
  const online = (d: (typeof ofModel)[number]) => Number(d?.status === 'ONLINE');
  return {
    product: product(firmware),
    group: group.name,
    groupId: group.id,
    firmware: firmware.id,
    firmware2: firmware2.id,
    software: software.id,
    firmwareVersion: firmware.version ?? '',
    softwareVersion: software.version ?? '',
    devices: [...ofModel].sort((a, b) => online(b) - online(a)).map((d) => d.id),
    otherFirmware: other.id,
    otherProduct: product(other),
    otherGroup: otherGroup.name,
  };
}

/** A well-formed id the platform does not know: 24 hex characters for packages, a UUID for devices. */
export const UNKNOWN_FILE_ID = 'ffffffffffffffffffffffff';
export const UNKNOWN_DEVICE_ID = '00000000-0000-4000-8000-000000000000';

/** An ISO time `minutes` from the wall clock (the gateway checks "not in the past" against it). */
export const fromNow = (minutes: number): string => new Date(Date.now() + minutes * 60_000).toISOString();
