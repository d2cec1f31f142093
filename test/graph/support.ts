// Shared by the graph tests: a gateway + emulator stack with a recording tap between them, a reader of the
// emulator's own data (the truth the gateway's answers are compared with), and the documented conversions.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type GraphQLFormattedError, print } from 'graphql';
import { loadConfig, type Env } from '../../src/config.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import type { Logger } from '../../src/logging/logger.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { HealthDocument } from '../generated/graphql.js';
import { platformEnv, TEST_API_KEY, TEST_EMULATOR } from '../gateway/helpers.js';
import { Api } from '../helpers/emulator.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The emulator's route keys, as its stats name them. */
export const ROUTE = {
  login: 'POST /iocm/app/sec/v1.1.0/login',
  operations: 'GET /iodm/northbound/v1.5.0/operations',
  operation: 'GET /iodm/northbound/v1.5.0/operations/{operationId}',
  subtasks: 'GET /iodm/northbound/v1.5.0/operations/{operationId}/subOperations',
  packages: 'GET /iodm/northbound/v1.5.0/category',
  package: 'GET /iodm/northbound/v1.5.0/category/{fileId}',
  batchTask: 'GET /iocm/app/batchtask/v1.1.0/tasks/{taskId}',
  batchDetails: 'GET /iocm/app/batchtask/v1.1.0/taskDetails',
  device: 'GET /iocm/app/dm/v1.4.0/devices/{deviceId}',
  groups: 'GET /iocm/app/devgroup/v1.3.0/devGroups',
  members: 'GET /iocm/app/dm/v1.2.0/devices/ids',
} as const;

export const PATH = {
  operations: '/iodm/northbound/v1.5.0/operations',
  packages: '/iodm/northbound/v1.5.0/category',
  batchTasks: '/iocm/app/batchtask/v1.1.0/tasks',
  batchDetails: '/iocm/app/batchtask/v1.1.0/taskDetails',
  devices: '/iocm/app/dm/v1.4.0/devices',
  groups: '/iocm/app/devgroup/v1.3.0/devGroups',
  members: '/iocm/app/dm/v1.2.0/devices/ids',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// The tap: a transparent HTTP proxy that records what the gateway asks the platform and what it gets back.

export interface TappedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The bearer token the call carried, if any. */
  token?: string;
  status?: number;
  /** The platform's error_code, when the reply carried one. */
  errorCode?: string;
  /** Set when the upstream connection was reset (a dropped connection is passed on as one). */
  dropped?: boolean;
  startedAt: number;
  endedAt?: number;
}

export interface Tap {
  url: string;
  calls: TappedCall[];
  /** Every access token the platform issued through the tap. */
  tokens: Set<string>;
  close(): Promise<void>;
}

export async function startTap(target: string): Promise<Tap> {
  const upstream = new URL(target);
  const calls: TappedCall[] = [];
  const tokens = new Set<string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://tap');
    const authorization = req.headers.authorization;
    const call: TappedCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      token: typeof authorization === 'string' ? /^bearer\s+(\S+)/i.exec(authorization)?.[1] : undefined,
      startedAt: performance.now(),
    };
    calls.push(call);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (reply: IncomingMessage) => {
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('error', () => req.socket.destroy());
        reply.on('end', () => {
          const body = Buffer.concat(chunks);
          call.status = reply.statusCode;
          call.endedAt = performance.now();
          try {
            const parsed = JSON.parse(body.toString('utf8')) as Json;
            if (parsed?.error_code !== undefined) call.errorCode = String(parsed.error_code);
            if (typeof parsed?.accessToken === 'string') tokens.add(parsed.accessToken);
          } catch {
            // not JSON: a proxy-style page
          }
          res.writeHead(reply.statusCode ?? 502, reply.headers).end(body);
        });
      },
    );
    forward.on('error', () => {
      // The platform reset the connection: so does the tap.
      call.dropped = true;
      call.endedAt = performance.now();
      req.socket.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    tokens,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Gateways and the stack.

export interface LogLine {
  level: string;
  text: string;
}

/** A logger that keeps every line (debug included), formatted as the gateway's own logger formats them. */
export function capturingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push({ level, text: args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 6, breakLength: Infinity }))).join(' ') });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface Response<TData> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
  /** The body as sent, for leak checks. */
  text: string;
}

export interface TestGateway {
  gateway: Gateway;
  logs: LogLine[];
  /** Every response body this gateway sent to the tests. */
  responses: string[];
  run<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<Response<TData>>;
  close(): Promise<void>;
}

/** A gateway pointed by URL at `platformUrl` (as at a real platform), logging at debug level into `logs`. */
export async function startTestGateway(platformUrl: string, credentials: { appId: string; secret: string }, env: Env = {}): Promise<TestGateway> {
  const loaded = loadConfig({
    ...platformEnv(platformUrl, credentials),
    LOG_LEVEL: 'debug',
    GATEWAY_PLAYGROUND: 'off',
    // These tests count what each query costs on its own; the shared caches (tested in test/limits) would carry
    // answers from one test into the next.
    GATEWAY_CACHE_TTL_SECONDS: '0',
    GATEWAY_CACHE_MAX_ENTRIES: '0',
    // A test whose faults open the circuit must not leave it open for the next test: probe again soon.
    NORTHBOUND_CIRCUIT_RESET_MS: '200',
    ...env,
  });
  if (!loaded.ok) throw new Error(`test configuration invalid:\n${loaded.errors.join('\n')}`);
  const logs: LogLine[] = [];
  const responses: string[] = [];
  const gateway = await createGateway(loaded.config, { logger: capturingLogger(logs) });
  return {
    gateway,
    logs,
    responses,
    async run(document, variables) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-api-key': TEST_API_KEY },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const text = await response.text();
      responses.push(text);
      const body = JSON.parse(text) as { data?: never; errors?: GraphQLFormattedError[] };
      return { status: response.status, headers: response.headers, text, ...body };
    },
    close: () => gateway.close(),
  };
}

export type Stats = { total: number; throttled: number; byRoute: Record<string, number> };

export interface GraphStack extends TestGateway {
  emulator: RunningEmulator;
  tap: Tap;
  truth: Truth;
  control(path: string, body?: unknown, method?: string): Promise<Json>;
  stats(): Promise<Stats>;
  /**
   * Runs `action` and returns the platform calls it caused (the emulator's counters, before → after). Unless told
   * otherwise the gateway first proves its token with a health check, so a login the truth reader forced is not
   * counted.
   */
  callsDuring<T>(
    action: () => Promise<T>,
    options?: { warm?: boolean },
  ): Promise<{ result: T; total: number; byRoute: Record<string, number>; tapped: TappedCall[] }>;
}

/**
 * The emulator on its own (manual clock, fixed start, a budget that never throttles; options as startStack's),
 * a tap in front of it, and a gateway pointed at the tap by URL.
 */
export async function startGraphStack(options: EmulatorOptions = {}): Promise<GraphStack> {
  const emulator = await startEmulator({ ...TEST_EMULATOR, ...options });
  const tap = await startTap(emulator.url);
  const control = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<Json> => {
    const response = await fetch(`${emulator.url}/_emulator/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const credentials = (await control('credentials')) as { appId: string; secret: string };
  const gateway = await startTestGateway(tap.url, credentials);
  const stats = () => control('stats') as Promise<Stats>;
  return {
    ...gateway,
    emulator,
    tap,
    truth: new Truth(emulator.url, credentials, control),
    control,
    stats,
    async callsDuring(action, { warm = true } = {}) {
      // The cheapest authenticated query: proves (or renews) the gateway's token.
      if (warm) await gateway.run(HealthDocument);
      const before = await stats();
      const from = tap.calls.length;
      const result = await action();
      const after = await stats();
      const byRoute: Record<string, number> = {};
      for (const [route, n] of Object.entries(after.byRoute)) {
        const delta = n - (before.byRoute[route] ?? 0);
        if (delta > 0) byRoute[route] = delta;
      }
      return { result, total: after.total - before.total, byRoute, tapped: tap.calls.slice(from) };
    },
    async close() {
      await gateway.close();
      await tap.close();
      await emulator.close();
    },
  };
}

/** True when every call was sent before any of them was answered: the calls ran in parallel. */
export function overlapped(calls: TappedCall[]): boolean {
  const lastStart = Math.max(...calls.map((c) => c.startedAt));
  const firstEnd = Math.min(...calls.map((c) => c.endedAt ?? Infinity));
  return calls.length > 1 && lastStart < firstEnd;
}

/** pageNo/pageSize of tapped list calls, in page order. */
export function pagesOf(calls: TappedCall[]): { pageNo: number; pageSize: number }[] {
  return calls
    .map((c) => ({ pageNo: Number(c.query.get('pageNo')), pageSize: Number(c.query.get('pageSize')) }))
    .sort((a, b) => a.pageNo - b.pageNo);
}

// ---------------------------------------------------------------------------------------------------------------
// The truth: the emulator's data, read over its REST API (as the gateway's own application) or its state views.

export class Truth {
  readonly api: Api;

  constructor(
    url: string,
    credentials: { appId: string; secret: string },
    private readonly control: (path: string) => Promise<Json>,
  ) {
    this.api = new Api(url, credentials.appId, credentials.secret);
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
    return this.control(`state/${kind}/${id}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The documented conversions (DESIGN.md §2), written out independently of the gateway's own.

/** `20151212T121212Z` → `2015-12-12T12:12:12Z`; absent → null. */
export function iso(compact: unknown): string | null {
  if (compact === undefined || compact === null) return null;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(compact));
  if (!m) throw new Error(`not a compact platform time: ${String(compact)}`);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

export const OPERATION_STATUS: Record<string, string> = {
  wait: 'WAIT',
  processing: 'PROCESSING',
  success: 'SUCCESS',
  failed: 'FAILED',
  fail: 'FAILED',
  FAIL: 'FAILED',
  stop: 'STOPPED',
};
export const SUBTASK_STATUS: Record<string, string> = { ...OPERATION_STATUS, timeout: 'TIMEOUT' };
/** GraphQL → the platform's spelling in list filters. */
export const OPERATION_STATUS_PARAM: Record<string, string> = { WAIT: 'wait', PROCESSING: 'processing', SUCCESS: 'success', FAILED: 'failed', STOPPED: 'stop' };
export const SUBTASK_STATUS_PARAM: Record<string, string> = { ...OPERATION_STATUS_PARAM, FAILED: 'fail', TIMEOUT: 'timeout' };
const EXECUTE_TYPE: Record<string, string> = { now: 'NOW', device_online: 'DEVICE_ONLINE', custom: 'CUSTOM' };
const PACKAGE_TYPE: Record<string, string> = { firmwarePackage: 'FIRMWARE', softwarePackage: 'SOFTWARE' };
export const DETAIL_STATUS: Record<string, string> = { Pending: 'PENDING', WaitResult: 'WAIT_RESULT', Success: 'SUCCESS', Fail: 'FAIL', Timeout: 'TIMEOUT' };
const BATCH_STATUS: Record<string, string> = { Pending: 'PENDING', Running: 'RUNNING', Complete: 'COMPLETE', Timeout: 'TIMEOUT' };

export function expectedOperation(raw: Json) {
  const s = raw.staResult;
  const completed = s.success + s.fail + s.stop + s.timeout;
  return {
    id: raw.operationId,
    type: String(raw.operateType).toUpperCase(),
    status: OPERATION_STATUS[raw.status],
    createdAt: iso(raw.createTime),
    startedAt: iso(raw.startTime),
    stoppedAt: iso(raw.stopTime),
    targets: {
      deviceIds: raw.targets.devices ?? [],
      deviceGroups: raw.targets.deviceGroups ?? [],
      deviceType: orNull(raw.targets.deviceType),
      model: orNull(raw.targets.model),
      manufacturerName: orNull(raw.targets.manufacturerName),
    },
    policy: {
      executeType: EXECUTE_TYPE[raw.policy.executeType],
      startTime: iso(raw.policy.startTime),
      endTime: iso(raw.policy.endTime),
      retry: raw.policy.retryType === true,
      retryTimes: orNull(raw.policy.retryTimes),
    },
    stats: {
      total: s.total,
      wait: s.wait,
      processing: s.processing,
      success: s.success,
      fail: s.fail,
      stop: s.stop,
      timeout: s.timeout,
      completed,
      progress: s.total === 0 ? 0 : Math.round((completed / s.total) * 10_000) / 10_000,
      successRate: s.total === 0 ? null : Math.round((s.success / s.total) * 10_000) / 10_000,
    },
    targetVersion: orNull(raw.extendPara?.fileVersion),
    extendPara: orNull(raw.extendPara),
  };
}

export function expectedSubtask(raw: Json) {
  return {
    id: raw.subOperationId,
    type: String(raw.operateType).toUpperCase(),
    status: SUBTASK_STATUS[raw.status],
    createdAt: iso(raw.createTime),
    startedAt: iso(raw.startTime),
    stoppedAt: iso(raw.stopTime),
    detail: orNull(raw.detailInfo),
    extendInfo: orNull(raw.extendInfo),
    deviceId: raw.deviceId,
  };
}

export function expectedDevice(raw: Json) {
  const info = raw.deviceInfo;
  return {
    id: raw.deviceId,
    gatewayId: orNull(raw.gatewayId),
    nodeType: orNull(raw.nodeType),
    nodeId: orNull(info.nodeId),
    name: orNull(info.name),
    description: orNull(info.description),
    manufacturerId: orNull(info.manufacturerId),
    manufacturerName: orNull(info.manufacturerName),
    deviceType: orNull(info.deviceType),
    model: orNull(info.model),
    protocolType: orNull(info.protocolType),
    swVersion: orNull(info.swVersion),
    fwVersion: orNull(info.fwVersion),
    hwVersion: orNull(info.hwVersion),
    serialNumber: orNull(info.serialNumber),
    mac: orNull(info.mac),
    location: orNull(info.location),
    status: orNull(info.status),
    statusDetail: orNull(info.statusDetail),
    signalStrength: orNull(info.signalStrength),
    batteryLevel: orNull(info.batteryLevel),
    createdAt: iso(raw.createTime),
    lastModifiedAt: iso(raw.lastModifiedTime),
  };
}

export function expectedPackage(raw: Json) {
  return {
    id: raw.fileId,
    name: orNull(raw.name),
    version: orNull(raw.version),
    type: PACKAGE_TYPE[raw.fileType],
    deviceType: orNull(raw.deviceType),
    model: orNull(raw.model),
    manufacturerName: orNull(raw.manufacturerName),
    protocolType: orNull(raw.protocolType),
    description: orNull(raw.description),
    uploadedAt: iso(raw.uploadTime),
  };
}

export function expectedGroup(raw: Json) {
  return { id: raw.id, name: raw.name, description: orNull(raw.description), maxDevices: orNull(raw.maxDevNum), deviceCount: orNull(raw.curDevNum) };
}

export function expectedBatchTask(raw: Json) {
  return {
    id: raw.taskId,
    appId: orNull(raw.appId),
    name: orNull(raw.taskName),
    operator: orNull(raw.operator),
    source: orNull(raw.taskFrom),
    type: raw.taskType,
    status: BATCH_STATUS[raw.status],
    startedAt: iso(raw.startTime),
    // The platform's seconds, in minutes as on create.
    timeout: raw.timeout === undefined ? null : Math.round(raw.timeout / 60),
    stats: {
      total: raw.totalCnt,
      success: raw.successCnt,
      fail: raw.failCnt,
      timeout: raw.timeoutCnt,
      expired: raw.expiredCnt,
      completed: raw.completeCnt,
      progress: raw.progress / 1000,
      successRate: raw.successRate / 1000,
    },
    param: orNull(raw.param),
    tags: (raw.tags ?? []).map((t: Json) => ({ name: t.tagName, value: t.tagValue })),
  };
}

/** A detail as `GET taskDetails` returns it (error a JSON string, the device in param). */
export function expectedBatchDetail(raw: Json) {
  const error = raw.error === undefined ? undefined : (JSON.parse(raw.error) as Json);
  return {
    status: DETAIL_STATUS[raw.status],
    output: orNull(raw.output),
    error: error === undefined ? null : { code: error.error_code, description: orNull(error.error_desc) },
    deviceId: orNull(raw.param?.deviceId),
    commandId: orNull(raw.param?.commandId),
    param: orNull(raw.param),
  };
}

/** The value, after asserting it is there (a null or missing part of an answer fails the test here). */
export function present<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} in the answer, got ${String(value)}`);
  return value;
}

const ISO_WITH_ZERO_MILLIS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.000Z$/;

/**
 * The answer with `…:ss.000Z` times written `…:ssZ`. Comparisons of whole objects use it so that a wrong DateTime
 * format fails its own test (see queries.test.ts) instead of every comparison; the instant is still compared.
 */
export function sameSecondTimes<T>(value: T): T {
  if (typeof value === 'string') return value.replace(ISO_WITH_ZERO_MILLIS, '$1Z') as T;
  if (Array.isArray(value)) return value.map(sameSecondTimes) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sameSecondTimes(v)])) as T;
  }
  return value;
}
