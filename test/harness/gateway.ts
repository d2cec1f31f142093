// A gateway under test, in this process (createGateway) or as its own process (the built dist/src/main.js, as
// `npm start` runs it: for restarts, kills and replicas), and the HTTP client the tests reach it with.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type GraphQLFormattedError, print } from 'graphql';
import { type Env, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { GATEWAY_NODE_FLAGS } from './node-flags.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The API key (role operate) every test gateway on a remote platform accepts. */
export const TEST_API_KEY = 'integration-test-key';

export interface GraphQLReply<TData> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
  /** The body as sent. */
  text: string;
}

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed, when it is JSON. */
  json: Json;
}

/** POSTs a typed document over real HTTP, as any client would. */
export async function execute<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<GraphQLReply<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, ...(JSON.parse(text) as { data?: TData; errors?: GraphQLFormattedError[] }) };
}

/** Every line a gateway logged, as written (pino's JSON), in order. */
export interface CapturedLog {
  lines: string[];
  /** The JSON lines, parsed. */
  records(): Json[];
}

export interface TestGateway {
  /** The GraphQL endpoint. */
  url: string;
  /** `/health/*`, `/metrics`, `/console` are here. */
  baseUrl: string;
  log: CapturedLog;
  /** Every response (header block and body) this gateway sent to the test, for leak checks. */
  responses: string[];
  /** The key `run` and `query` send: the first of the gateway's GATEWAY_API_KEYS (none when it has none). */
  apiKey: string | undefined;
  /** A typed document with the gateway's API key. */
  run<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<GraphQLReply<TData>>;
  /** A typed document with another API key (undefined: none). */
  runAs<TData, TVariables>(apiKey: string | undefined, document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<GraphQLReply<TData>>;
  /** A GraphQL text with the gateway's API key; returns the body. */
  query(text: string, variables?: Record<string, unknown>): Promise<Json>;
  /** A GraphQL text with exactly the headers given (no API key unless `apiKey`). */
  graphql(text: string, options?: { variables?: Record<string, unknown>; apiKey?: string; headers?: Record<string, string> }): Promise<HttpReply>;
  /** Any request, the path relative to the base URL (e.g. `/health/ready`). */
  request(path: string, init?: RequestInit): Promise<HttpReply>;
  /** A graceful stop (SIGTERM for a process); later calls wait for the first. */
  close(): Promise<void>;
}

export interface InProcessGateway extends TestGateway {
  server: Gateway;
}

export interface GatewayProcess extends TestGateway {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function client(env: Env, url: string, baseUrl: string, log: CapturedLog, close: () => Promise<void>): TestGateway {
  const apiKey = env.GATEWAY_API_KEYS?.split(',')[0]?.split(':')[0] || undefined;
  const responses: string[] = [];
  let closing: Promise<void> | undefined;
  const request = async (path: string, init: RequestInit = {}): Promise<HttpReply> => {
    const response = await fetch(new URL(path, baseUrl), init);
    const text = await response.text();
    responses.push(`${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`);
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  const runAs = async <TData, TVariables>(apiKey: string | undefined, document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) => {
    const reply = await execute(url, document, variables, apiKey === undefined ? {} : { 'x-api-key': apiKey });
    responses.push(reply.text);
    return reply;
  };
  const graphql: TestGateway['graphql'] = (text, { variables, apiKey, headers = {} } = {}) =>
    request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }), ...headers },
      body: JSON.stringify({ query: text, variables }),
    });
  return {
    url,
    baseUrl,
    log,
    responses,
    apiKey,
    run: (document, variables) => runAs(apiKey, document, variables),
    runAs,
    query: async (text, variables) => (await graphql(text, { variables, apiKey })).json,
    graphql,
    request,
    // Once, however many owners close it (a test, then its stack).
    close: () => (closing ??= close()),
  };
}

function capturedLog(lines: string[]): CapturedLog {
  return { lines, records: () => lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Json) };
}

/** A gateway in this process with exactly this environment, its log captured at the environment's LOG_LEVEL. */
export async function startInProcessGateway(env: Env): Promise<InProcessGateway> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`test configuration invalid:\n${loaded.errors.join('\n')}`);
  const lines: string[] = [];
  const stream = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') lines.push(line);
    },
  };
  const server = await createGateway(loaded.config, { logger: createLogger(loaded.config.logLevel, stream) });
  return { ...client(env, server.url, server.baseUrl, capturedLog(lines), () => server.close()), server };
}

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

/**
 * The built gateway as its own process with this environment (and nothing inherited but PATH). Every line it prints
 * must be JSON (off a terminal, see README.md, Logs): `stop` fails, naming them, if any was not.
 */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  if (!existsSync(MAIN)) throw new Error('dist/src/main.js is missing: the test run builds it (vitest globalSetup), or run `npm run compile`');
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  // Per stream: a line is taken once it is whole, so the two streams' writes never mix within one.
  const partial = { stdout: '', stderr: '' };
  const take = (stream: keyof typeof partial, text: string) => {
    const parts = (partial[stream] + text).split('\n');
    partial[stream] = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line !== ''));
  };
  // Once its output is read to the end. A line left without its newline was cut short by a kill: never taken.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway process not ready in ${READY_TIMEOUT_MS} ms:\n${lines.join('\n')}`)), READY_TIMEOUT_MS);
    const onData = (stream: keyof typeof partial) => (chunk: Buffer) => {
      take(stream, chunk.toString());
      const started = startedLine(lines.join('\n'));
      if (started) {
        clearTimeout(timer);
        resolve(started.url);
      }
    };
    child.stdout.on('data', onData('stdout'));
    child.stderr.on('data', onData('stderr'));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway process exited with ${code} before it was ready:\n${lines.join('\n')}`));
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    const notJson = lines.filter((line) => !isJsonObject(line));
    if (notJson.length > 0) throw new Error(`the gateway process printed lines that are not JSON:\n${notJson.join('\n')}`);
  };
  return { ...client(env, url, url.replace(/\/graphql$/, ''), capturedLog(lines), () => stop()), child, stop };
}

function isJsonObject(line: string): boolean {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

/**
 * The start-up summary in a gateway process's output: off a terminal, one JSON line `msg: "gateway started"` on
 * stdout with `url`, `platform`, `emulator` and the other addresses (see src/main.ts).
 */
export function startedLine(output: string): Json | undefined {
  return jsonLines(output).find((record) => record.msg === 'gateway started');
}

/** Why a start was refused: the messages of its `error` lines on stderr, each of which must be JSON. */
export function refusalLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Json)
    .filter((record) => record.level === 'error')
    .map((record) => record.msg as string);
}

/** The complete JSON lines of some output (a line still being written is left out). */
function jsonLines(output: string): Json[] {
  const records: Json[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // Not whole yet.
    }
  }
  return records;
}

/**
 * A port free now, for a gateway whose address must be known before it starts. Taken below the kernel's range for
 * ephemeral ports, so that no server of a test running meanwhile (they listen on port 0) can take it first.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralPortsFrom();
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
  throw new Error('no free port found below the ephemeral range');
}

/** The lowest ephemeral port (Linux says; 32768, its default, elsewhere). */
function ephemeralPortsFrom(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > 20_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** The environment of a gateway the platform can push to: a port known in advance, and its receiver's URL there. */
export async function reachableEnv(): Promise<Record<string, string>> {
  const port = await freePort();
  return { PORT: String(port), GATEWAY_PUBLIC_URL: `http://127.0.0.1:${port}` };
}

/**
 * Runs the built entry point with exactly this environment (and PATH) until it exits, as an operator starts it: for
 * starts that must fail. Once it prints its health URL it is told to stop (SIGTERM); after 20 s it is killed. `user`:
 * another user to run it as (file permissions do not hold root back).
 */
export function runMain(env: Record<string, string>, user: { uid?: number; gid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(MAIN)) throw new Error('dist/src/main.js is missing: the test run builds it (vitest globalSetup), or run `npm run compile`');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...user });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit and no endpoint within 20 s:\n${stdout}\n${stderr}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (startedLine(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Waits until the gateway's fleet mirror answers for the whole fleet (state READY). */
export async function mirrorReady(gateway: TestGateway, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const body = await gateway.query('{ mirror { state } }');
    if (body.data?.mirror?.state === 'READY') return;
    if (Date.now() > until) throw new Error(`the mirror is not READY after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
