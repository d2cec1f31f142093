// Shared by the graph tests: their stack (a recording proxy between gateway and emulator, a gateway logging at debug
// level without shared caches) and a reader of the emulator's own data, the truth the gateway's answers are compared
// with (expected.ts converts it as the contract says).
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Env } from '../../src/config.js';
import { Api } from '../harness/emulator.js';
import type { Platform, PlatformOptions } from '../harness/platform.js';
import { PATH } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { sameSecondTimes } from './expected.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const GRAPH_ENV: Env = {
  LOG_LEVEL: 'debug',
  GATEWAY_PLAYGROUND: 'off',
  // These tests count what each query costs on its own; the shared caches (tested in test/limits) would carry
  // answers from one test into the next.
  GATEWAY_CACHE_TTL_SECONDS: '0',
  GATEWAY_CACHE_MAX_ENTRIES: '0',
  // A test whose faults open the circuit must not leave it open for the next test: probe again soon.
  NORTHBOUND_CIRCUIT_RESET_MS: '200',
};

export interface GraphStack extends Stack {
  truth: Truth;
}

/** The emulator (TEST_EMULATOR with these options), a recording proxy in front of it, and a gateway on the proxy. */
export async function startGraphStack(platform: PlatformOptions = {}): Promise<GraphStack> {
  const stack = await startStack({ platform, proxy: true, env: GRAPH_ENV });
  return Object.assign(stack, { truth: new Truth(stack.platform) });
}

/** The application that authorised the gateway's (see the emulator's README); its secret is the emulator's fixture. */
export const AUTHORISED_APP = { appId: 'authorised-app', secret: 'authorised-secret' };

/** Runs a document; times in the answer compared to the second (their format has a test of its own). */
export async function runToTheSecond<TData, TVariables>(stack: Stack, document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) {
  const response = await stack.gateway.run(document, variables);
  return { ...response, data: sameSecondTimes(response.data) };
}

// The truth: the emulator's data, read over its REST API (as the gateway's own application) or its state views.

export class Truth {
  readonly api: Api;

  constructor(private readonly platform: Platform) {
    this.api = new Api(platform.url, platform.credentials.appId, platform.credentials.secret);
  }

  /** A GET that must succeed. Logs in again when the gateway's login superseded ours (one token per app). */
  async get(path: string, query: Record<string, string | number | undefined> = {}, appKey?: Api): Promise<Json> {
    const api = appKey ?? this.api;
    let reply = await api.get(path, query);
    if (reply.body?.error_code === '1010005') {
      await api.login();
      reply = await api.get(path, query);
    }
    if (reply.status !== 200 || reply.body?.error_code !== undefined) throw new Error(`GET ${path} -> ${reply.status} ${reply.text.slice(0, 300)}`);
    return reply.body;
  }

  async post(path: string, json: unknown, as: Api = this.api): Promise<Json> {
    let reply = await as.post(path, json);
    if (reply.body?.error_code === '1010005') {
      await as.login();
      reply = await as.post(path, json);
    }
    if (reply.status !== 200 || reply.body?.error_code !== undefined) throw new Error(`POST ${path} -> ${reply.status} ${reply.text.slice(0, 300)}`);
    return reply.body;
  }

  /** Every item of a paged list, in the platform's order. */
  async list(path: string, key: string, pageSize: number, query: Record<string, string | number | undefined> = {}): Promise<Json[]> {
    const items: Json[] = [];
    for (let pageNo = 0; ; pageNo++) {
      const body = await this.get(path, { ...query, pageNo, pageSize });
      const page: Json[] = body[key] ?? [];
      items.push(...page);
      if (page.length < pageSize || items.length >= Number(body.totalCount)) return items;
    }
  }

  operations(query: Record<string, string | undefined> = {}): Promise<Json[]> {
    return this.list(PATH.operations, 'data', 100, query);
  }

  /** `/_emulator/state/{kind}/{id}`: a device, an operation with all its subtasks, or a batch task with its details. */
  state(kind: 'devices' | 'operations' | 'batchTasks', id: string): Promise<Json> {
    return this.platform.state(kind, id);
  }
}
