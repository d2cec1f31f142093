/** The platform emulator: an HTTP(S) server for the northbound API plus its control API under /_emulator. */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenStore } from './auth.js';
import { controlRoutes, type ControlledEmulator } from './control.js';
import { PlatformError } from './errors.js';
import { Faults } from './faults.js';
import { DEFAULTS, platformOptions, type EmulatorOptions, type EmulatorSettings } from './options.js';
import { Platform, type PlatformOptions, type RestoredPlatform } from './platform.js';
import { Random } from './random.js';
import { MALFORMED_BODY, ROUTES, type Reply, type Route } from './routes.js';
import { restoredFrom, snapshotOf, type Snapshot } from './snapshot.js';
import { EmulatorStateError, readState, StateKeeper } from './state-file.js';
import { emptyStats, tlsClient, type EmulatorStats } from './stats.js';
import { Throttle } from './throttle.js';
import { Notifier } from './notifier.js';

// The module's public face: callers (cli, server, tests) import the emulator from here alone.
export { DEFAULTS, type EmulatorOptions } from './options.js';
export type { EmulatorStats } from './stats.js';
export { EmulatorStateError } from './state-file.js';

export interface RunningEmulator {
  url: string;
  credentials: { appId: string; secret: string };
  /** The platform's identity: made with its data, kept in its state file, new after a reset. */
  readonly identity: string;
  /** Whether it went on from the state in `stateFile` rather than starting from its seed. */
  readonly restored: boolean;
  /** From now on writes the state to `stateFile` (if given) after changes and at close; the caller decides when. */
  keepState(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;
/** The platform's type for its JSON answers, empty ones included. */
const JSON_TYPE = 'application/json;charset=UTF-8';

/** Emulator state that outlives a reset: the listening socket, tokens and settings. */
export class Emulator implements ControlledEmulator {
  platform: Platform;
  throttlePerMinute: number | null;
  readonly tokens = new TokenStore();
  readonly throttle = new Throttle();
  readonly faults = new Faults();
  /** Re-sends go on the clock of the platform in force (a reset brings a new one). */
  readonly notifier = new Notifier(() => this.platform.clock);
  stats: EmulatorStats;
  identity: string;
  /** Calls that may have changed the state (every one but GET), resets included. */
  private edits = 0;
  private faultRandom: Random;
  private readonly routes: { route: Route; pattern: RegExp; keys: string[] }[];

  /** Serving HTTPS: `stats.tls` counts what client certificates the platform requests came with. */
  private readonly servesTls: boolean;

  /**
   * From the options, or going on from a saved state (whose options then apply). A state kept in a file draws the
   * ids of what is created through the API from an unseeded stream (see Platform).
   */
  constructor(
    options: EmulatorSettings,
    servesTls = false,
    saved?: Snapshot,
    private readonly keptInFile = saved !== undefined,
  ) {
    this.servesTls = servesTls;
    this.stats = emptyStats(servesTls);
    this.identity = saved?.identity ?? randomUUID();
    this.platform = this.build(options, saved && restoredFrom(saved));
    this.throttlePerMinute = options.throttlePerMinute;
    this.faultRandom = new Random(options.seed, 8);
    this.routes = ROUTES.map((route) => {
      const keys: string[] = [];
      const pattern = new RegExp(
        `^${route.template.replace(/\{(\w+)\}/g, (_, key: string) => {
          keys.push(key);
          return '([^/]+)';
        })}$`,
      );
      return { route, pattern, keys };
    });
  }

  private build(options: PlatformOptions, restored?: RestoredPlatform): Platform {
    return new Platform(options, (url, payload) => this.notifier.send(url, payload), restored, this.keptInFile);
  }

  /** Moves with every change of the state (a saved state is out of date once it does). */
  revision(): string {
    return `${this.edits}/${this.platform.clock.changes}`;
  }

  snapshot(): Snapshot {
    return snapshotOf(this.platform, this.identity, this.throttlePerMinute);
  }

  /** A fresh platform, with a new identity; tokens keep their remaining lifetime, counters and faults start from zero. */
  reset(options: EmulatorSettings): void {
    const before = this.platform.clock.now();
    this.identity = randomUUID();
    this.platform = this.build(options);
    this.tokens.shift(this.platform.clock.now() - before);
    this.throttlePerMinute = options.throttlePerMinute;
    this.faultRandom = new Random(options.seed, 8);
    this.throttle.clear();
    this.faults.clear();
    this.notifier.reset();
    this.stats = emptyStats(this.servesTls);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    if (method !== 'GET') this.edits += 1;
    if (url.pathname.startsWith('/_emulator/')) {
      await this.control(req, res, method, url);
      return;
    }
    this.platform.clock.sync();
    const match = this.match(method, url.pathname);
    const routeKey = match ? `${method} ${match.route.template}` : `${method} (unmatched)`;
    this.stats.total += 1;
    this.stats.byRoute[routeKey] = (this.stats.byRoute[routeKey] ?? 0) + 1;
    if (this.stats.tls && req.socket instanceof TLSSocket) this.stats.tls[tlsClient(req.socket)] += 1;
    const faults = this.faults.matching(routeKey);
    const drop = faults.find((f) => f.dropConnections === true || (typeof f.dropConnections === 'number' && this.faultRandom.next() < f.dropConnections));
    if (drop) {
      req.socket.destroy();
      return;
    }
    const latency = Math.max(0, ...faults.map((f) => f.latencyMs ?? 0));
    let reply: Reply;
    const injected = faults.find((f) => f.errorStatus !== undefined && this.faultRandom.next() < (f.errorRate ?? 1));
    if (injected?.errorStatus !== undefined) {
      reply = injectedError(injected.errorStatus);
    } else if (!match) {
      await readBody(req);
      reply = { status: 404, body: { error_code: '404', error_desc: 'Resource not found.' } };
    } else {
      reply = await this.call(match.route, match.params, url.searchParams, req);
    }
    if (latency > 0) await sleep(latency);
    // As a platform does, on its own clock (the one its createTime reads), not the host's.
    res.setHeader('date', new Date(this.platform.clock.target()).toUTCString());
    send(res, reply);
  }

  private async call(route: Route, params: Record<string, string>, query: URLSearchParams, req: IncomingMessage): Promise<Reply> {
    try {
      const raw = await readBody(req);
      const body = parseBody(raw, req.headers['content-type']);
      let appId = '';
      if (route.authenticated) {
        const now = this.platform.clock.now();
        try {
          appId = this.tokens.verify(header(req, 'app_key'), header(req, 'authorization'), now);
        } catch (error) {
          this.stats.tokenRejected += 1;
          throw error;
        }
        try {
          this.throttle.take(appId, now, this.faults.throttleOverride() ?? this.throttlePerMinute);
        } catch (error) {
          this.stats.throttled += 1;
          throw error;
        }
      }
      return route.handle({ params, query, body, appId }, { platform: this.platform, tokens: this.tokens });
    } catch (error) {
      if (error instanceof PlatformError) return { status: error.status, body: error.body() };
      throw error;
    }
  }

  private match(method: string, path: string) {
    for (const { route, pattern, keys } of this.routes) {
      if (route.method !== method) continue;
      const found = pattern.exec(path);
      if (!found) continue;
      const params: Record<string, string> = {};
      keys.forEach((key, i) => (params[key] = decodeURIComponent(found[i + 1] as string)));
      return { route, params };
    }
    return undefined;
  }

  private async control(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const remote = req.socket.remoteAddress ?? '';
    if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(remote)) {
      send(res, { status: 403, body: { error: 'The control API answers loopback callers only.' } });
      return;
    }
    const raw = await readBody(req);
    const body = raw.length === 0 ? {} : parseBody(raw, 'application/json');
    this.platform.clock.sync();
    for (const route of controlRoutes) {
      const found = route.method === method ? route.pattern.exec(url.pathname) : null;
      if (found) {
        send(res, route.handle(this, body, found.slice(1)));
        return;
      }
    }
    send(res, { status: 404, body: { error: `No control route ${method} ${url.pathname}.` } });
  }
}

function injectedError(status: number): Reply {
  if (status === 500) return { status, body: { error_code: '50252', error_desc: 'Internal server error.' } };
  return { status, body: `<html><body><h1>${status}</h1>The upstream server is unavailable.</body></html>` };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) return new URLSearchParams(raw);
  if (raw.trim().length === 0) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return MALFORMED_BODY;
  }
}

/** Every answer but a 204 says its type, an empty one too: Huawei's Java SDK reads it of each and fails without it. */
function send(res: ServerResponse, reply: Reply): void {
  if (reply.status === 204) {
    res.writeHead(reply.status).end();
  } else if (reply.body === undefined) {
    res.writeHead(reply.status, { 'content-type': JSON_TYPE, 'content-length': '0' }).end();
  } else if (typeof reply.body === 'string') {
    res.writeHead(reply.status, { 'content-type': 'text/html; charset=utf-8' }).end(reply.body);
  } else {
    const json = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(json) }).end(json);
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const saved = options.stateFile === undefined ? undefined : await readState(options.stateFile);
  let emulator: Emulator;
  try {
    emulator = new Emulator(saved?.settings ?? platformOptions(options), options.tls !== undefined, saved, options.stateFile !== undefined);
  } catch (error) {
    if (!saved) throw error;
    throw new EmulatorStateError(`${options.stateFile} does not hold a state this emulator can go on from (${(error as Error).message})`);
  }
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    emulator.handle(req, res).catch((error: unknown) => {
      console.error('emulator: request failed', error);
      if (!res.headersSent) send(res, { status: 500, body: { error_code: '50252', error_desc: 'Internal server error.' } });
      else res.destroy();
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ ...options.tls, requestCert: true, rejectUnauthorized: false }, listener)
    : createHttpServer(listener);
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? DEFAULTS.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => resolve());
  });
  // In realtime mode, due events (and their notifications) run even when nobody calls.
  const ticker = setInterval(() => emulator.platform.clock.sync(), 1000);
  ticker.unref();
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let keeper: StateKeeper | undefined;
  return {
    url: `${options.tls ? 'https' : 'http'}://${shownHost}:${port}`,
    credentials: { appId: emulator.platform.options.appId, secret: emulator.platform.options.secret },
    get identity() {
      return emulator.identity;
    },
    restored: saved !== undefined,
    keepState() {
      if (options.stateFile !== undefined) keeper ??= new StateKeeper(options.stateFile, emulator);
    },
    async close() {
      clearInterval(ticker);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.notifier.drain();
      await keeper?.close();
    },
  };
}
