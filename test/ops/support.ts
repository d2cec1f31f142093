// Shared by the operations tests: gateways whose every log line is captured as pino wrote it, a recording proxy
// between gateway and platform that sees every token the platform issues, and a plain HTTP client.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Env, loadConfig } from '../../src/config.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { createGateway, type Gateway } from '../../src/server.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every line the gateway's logger wrote, exactly as written (pino's JSON), in order. */
export interface CapturedLog {
  lines: string[];
  /** The lines, parsed. */
  records(): Json[];
}

export interface OpsGateway {
  gateway: Gateway;
  log: CapturedLog;
  /** Every response body and header block this gateway sent to the test, for leak checks. */
  responses: string[];
  /** A request to the gateway's server (path relative to its base URL, e.g. `/graphql`, `/metrics`). */
  request(path: string, init?: RequestInit): Promise<Reply>;
  /** POSTs a GraphQL document to `/graphql`. */
  graphql(query: string, options?: { variables?: Record<string, unknown>; apiKey?: string; headers?: Record<string, string> }): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

/** A gateway on a free port with the given environment (on top of PORT=0), logging at debug level into `log`. */
export async function startOpsGateway(env: Env): Promise<OpsGateway> {
  const loaded = loadConfig({ PORT: '0', EMULATOR_PORT: '0', EMULATOR_DEVICES: '20', LOG_LEVEL: 'debug', GATEWAY_DATA_DIR: ':memory:', MIRROR_BUDGET_SHARE: '0', ...env });
  if (!loaded.ok) throw new Error(`test configuration invalid:\n${loaded.errors.join('\n')}`);
  const lines: string[] = [];
  const stream = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') lines.push(line);
    },
  };
  const gateway = await createGateway(loaded.config, { logger: createLogger(loaded.config.logLevel, stream) });
  const responses: string[] = [];
  const request = async (path: string, init: RequestInit = {}): Promise<Reply> => {
    const response = await fetch(new URL(path, gateway.baseUrl), init);
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
  return {
    gateway,
    log: { lines, records: () => lines.map((line) => JSON.parse(line) as Json) },
    responses,
    request,
    graphql: (query, { variables, apiKey, headers = {} } = {}) =>
      request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }), ...headers },
        body: JSON.stringify({ query, variables }),
      }),
    close: () => gateway.close(),
  };
}

/** The emulator as a separate platform (manual clock, generous throttle), as the gateway would meet a real one. */
export function startPlatform(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, seed: 7, devices: 200, clock: 'manual', startTime: '2026-03-01T00:00:00Z', throttlePerMinute: 1_000_000, ...options });
}

/** The environment of a gateway on `platformUrl` with API keys. */
export function remoteEnv(platformUrl: string, credentials: { appId: string; secret: string }, apiKeys: string): Env {
  return {
    NORTHBOUND_URL: platformUrl,
    NORTHBOUND_APP_ID: credentials.appId,
    NORTHBOUND_SECRET: credentials.secret,
    GATEWAY_API_KEYS: apiKeys,
    NORTHBOUND_RATE_LIMIT: '1000000/60s',
  };
}

export async function control(emulator: RunningEmulator, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<Json> {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status}`);
  return response.json() as Promise<Json>;
}

/**
 * A transparent HTTP proxy between gateway and platform that keeps every credential that crosses it: the tokens the
 * platform issues (access and refresh, from any JSON reply) and the bearer tokens the gateway sends.
 */
export interface RecordingProxy {
  url: string;
  tokens: Set<string>;
  /** `METHOD path` of each request, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const tokens = new Set<string>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://proxy').pathname}`);
    const bearer = /^bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) tokens.add(bearer);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (reply: IncomingMessage) => {
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('end', () => {
          const body = Buffer.concat(chunks);
          try {
            collectTokens(JSON.parse(body.toString('utf8')), tokens);
          } catch {
            // not JSON
          }
          res.writeHead(reply.statusCode ?? 502, reply.headers).end(body);
        });
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokens,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function collectTokens(value: unknown, into: Set<string>): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (/token/i.test(key) && typeof inner === 'string' && inner.length >= 8) into.add(inner);
    else collectTokens(inner, into);
  }
}

export const DASHBOARD = `query Dashboard {
  operations(first: 20) {
    nodes {
      id
      status
      stats { total success fail progress }
      subtasks(first: 10) { nodes { status device { name fwVersion status } } }
    }
  }
}`;
