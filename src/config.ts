import { readFileSync } from 'node:fs';
import type { QueryLimits } from './graphql/limits.js';
import type { WebSocketLimits } from './graphql/websocket.js';
import type { StoreLocation } from './store/index.js';
import type { ApiRole } from './domain/access.js';
import type { TlsMaterial } from './datasources/platform/client.js';
import type { PlaygroundKind } from './http/endpoint-page.js';
import { LOG_LEVELS, type LogLevel } from './logging/logger.js';
import { parseApiKeys } from './config/api-keys.js';
import { readTls, TLS_VARIABLES, type ReadFile } from './config/tls.js';
import { parseBoolean, parseIntegerIn, parseOrigins, parsePlatformUrl, parsePort, parseRateLimit, type RateLimit } from './config/values.js';

/** Configuration from environment variables (DESIGN.md §5). */

export type { RateLimit, ReadFile };

const PLAYGROUNDS: readonly PlaygroundKind[] = ['graphiql', 'apollo-sandbox', 'off'];

export interface EmulatorSettings {
  port: number;
  seed: number;
  devices: number;
}

/** A real platform, reached at `url`. */
export interface RemotePlatformConfig {
  kind: 'remote';
  url: string;
  appId: string;
  secret: string;
  tls: TlsMaterial;
}

/** The embedded emulator; credentials left unset are the emulator's own. */
export interface EmbeddedPlatformConfig {
  kind: 'embedded';
  appId?: string;
  secret?: string;
  emulator: EmulatorSettings;
  /** GATEWAY_DATA_DIR, where the emulator keeps its state; unset with `:memory:` (it starts from its seed every time). */
  stateDir?: string;
}

/** A start refused for a setting's sake: main prints the message alone, one line naming the variable. */
export class StartRefused extends Error {}

export interface GatewayConfig {
  port: number;
  host: string;
  platform: RemotePlatformConfig | EmbeddedPlatformConfig;
  rateLimit: RateLimit;
  /** How long one platform call may take before it counts as unanswered. */
  platformTimeoutMs: number;
  /** How long one GraphQL request's platform calls may take in all, waiting for the budget included. */
  requestDeadlineMs: number;
  /** Where the durable store lives: idempotency keys, the call ledger. */
  store: StoreLocation;
  /**
   * This process's own directory (`GATEWAY_DATA_DIR`), with PostgreSQL too: the notification journal, and the SQLite
   * store without DATABASE_URL. `:memory:` keeps nothing.
   */
  dataDir: string;
  /** The most of the call budget reserved for one client while it asks, and spent on one request. */
  clientBudgetShare: number;
  /** How many gateways share the store: while it cannot be reached, each spends at most its part of the budget alone. */
  replicas: number;
  /** The fleet mirror: its share of the budget (0: off), how often it lists everything again. */
  mirror: { budgetShare: number; fullSyncMinutes: number; pollSeconds: number };
  /** Where the platform reaches this gateway's notification receiver; unset: the embedded emulator's own, or no push. */
  publicUrl?: string;
  /** How long the circuit stays open before one call probes the platform again. */
  circuitResetMs: number;
  cache: { ttlSeconds: number; maxEntries: number };
  /**
   * Client API key → role; undefined means the gateway is open (the embedded emulator, or a real platform with
   * `GATEWAY_ALLOW_ANONYMOUS=true`).
   */
  apiKeys?: ReadonlyMap<string, ApiRole>;
  /** Set when an operator opened a gateway on a real platform on purpose (`GATEWAY_ALLOW_ANONYMOUS=true`). */
  allowAnonymous: boolean;
  logLevel: LogLevel;
  /** `NODE_ENV=production`: the playground and introspection are off unless asked for. */
  production: boolean;
  playground: PlaygroundKind;
  /** Whether /console serves the operators' console (it holds no data of its own: every read needs a key). */
  console: boolean;
  /** Whether the schema answers introspection queries (the playground needs it for its docs and completion). */
  introspection: boolean;
  limits: QueryLimits;
  /** Browser origins allowed to call the gateway from their pages (exact, `scheme://host[:port]`); empty: none. */
  corsOrigins: readonly string[];
  webSocket: WebSocketLimits;
  /** GATEWAY_AUDIT_DAYS: how many whole days an audit record is kept. */
  auditDays: number;
}

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; errors: string[] };

export type Env = Readonly<Record<string, string | undefined>>;

const MAX_CREDENTIAL_LENGTH = 256; // the platform's String(256) for appId and secret
const MAX_EMULATOR_DEVICES = 100_000;

/**
 * Validates the whole environment and reports every wrong variable, one line each, so a start-up
 * fails once with the full list. Pure apart from reading the TLS files through `readFile`.
 * Values of secret variables (secret, API keys, URLs that may carry credentials) are never echoed.
 */
export function loadConfig(env: Env, readFile: ReadFile = readFileSync): ConfigResult {
  const errors: string[] = [];
  // An empty or blank variable counts as unset, as with `FOO=` in a shell or compose file.
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const parse = <T>(name: string, fallback: T, expected: string, parser: (value: string) => T | undefined): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const parsed = parser(value);
    if (parsed === undefined) {
      errors.push(`${name}: expected ${expected}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return parsed;
  };

  const port = parse('PORT', 4000, 'a port number 0-65535', parsePort);
  const host = parse('HOST', '127.0.0.1', 'a host name or IP address', (v) => (/\s/.test(v) ? undefined : v));
  const platformTimeoutMs = parse('NORTHBOUND_TIMEOUT_MS', 10_000, 'milliseconds from 100 to 120000', (v) => parseIntegerIn(v, 100, 120_000));
  const requestDeadlineMs = parse('GATEWAY_REQUEST_DEADLINE_MS', 10_000, 'milliseconds from 100 to 300000', (v) => parseIntegerIn(v, 100, 300_000));
  const circuitResetMs = parse('NORTHBOUND_CIRCUIT_RESET_MS', 10_000, 'milliseconds from 100 to 600000', (v) => parseIntegerIn(v, 100, 600_000));
  if (raw('NORTHBOUND_RATE_LIMIT_REDIS_URL') !== undefined) {
    errors.push('NORTHBOUND_RATE_LIMIT_REDIS_URL: retired; the call budget now lives in the store: set DATABASE_URL to one PostgreSQL database for all replicas');
  }
  // Not echoed when wrong: the URL may carry the database password.
  const databaseUrl = raw('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(databaseUrl)) errors.push('DATABASE_URL: expected a postgres:// or postgresql:// URL');
  const dataDir = parse('GATEWAY_DATA_DIR', './data', 'a directory path, or :memory:', (v) => v);
  const store: StoreLocation = databaseUrl !== undefined ? { engine: 'postgres', url: databaseUrl } : { engine: 'sqlite', dataDir };
  const fraction = (v: string) => {
    const share = Number(v);
    return /^\d*\.?\d+$/.test(v) && share <= 1 ? share : undefined;
  };
  const clientBudgetShare = parse('GATEWAY_CLIENT_BUDGET_SHARE', 0.5, 'a fraction above 0 and at most 1', (v) => {
    const share = fraction(v);
    return share !== undefined && share > 0 ? share : undefined;
  });
  const replicas = parse('GATEWAY_REPLICAS', 1, 'a whole number from 1 to 100', (v) => parseIntegerIn(v, 1, 100));
  const mirror = {
    budgetShare: parse('MIRROR_BUDGET_SHARE', 0.5, 'a fraction from 0 (mirror off) to 1', fraction),
    fullSyncMinutes: parse('MIRROR_FULL_SYNC_MINUTES', 60, 'minutes from 1 to 10080', (v) => parseIntegerIn(v, 1, 10_080)),
    pollSeconds: parse('MIRROR_POLL_SECONDS', 30, 'seconds from 1 to 3600', (v) => parseIntegerIn(v, 1, 3600)),
  };
  // The platform refuses a callback URL without an explicit port (100222), the default one included. Not echoed
  // when wrong: it may carry credentials.
  const publicUrlValue = raw('GATEWAY_PUBLIC_URL');
  const publicUrl =
    publicUrlValue !== undefined && parsePlatformUrl(publicUrlValue) !== undefined && /^https?:\/\/[^/@]+:\d+(\/|$)/i.test(publicUrlValue)
      ? publicUrlValue.replace(/\/+$/, '')
      : undefined;
  if (publicUrlValue !== undefined && publicUrl === undefined) {
    errors.push('GATEWAY_PUBLIC_URL: expected an absolute http(s) URL with an explicit port, without credentials, query or fragment, such as https://gateway.example.com:443');
  }
  const cache = {
    ttlSeconds: parse('GATEWAY_CACHE_TTL_SECONDS', 60, 'seconds from 0 (off) to 86400', (v) => parseIntegerIn(v, 0, 86_400)),
    maxEntries: parse('GATEWAY_CACHE_MAX_ENTRIES', 10_000, 'an integer from 0 (off) to 1000000', (v) => parseIntegerIn(v, 0, 1_000_000)),
  };
  const rateLimit = parse('NORTHBOUND_RATE_LIMIT', { calls: 100, windowSeconds: 60 }, 'N/Ws such as 100/60s (N, W ≥ 1)', parseRateLimit);
  const logLevel = parse<LogLevel>('LOG_LEVEL', 'info', `one of ${LOG_LEVELS.join(', ')}`, (v) =>
    LOG_LEVELS.find((level) => level === v.toLowerCase()),
  );
  const production = raw('NODE_ENV') === 'production';
  // In production a browser gets no page and the schema is not introspectable unless an operator asks for them.
  const playground = parse<PlaygroundKind>('GATEWAY_PLAYGROUND', production ? 'off' : 'graphiql', `one of ${PLAYGROUNDS.join(', ')}`, (v) =>
    PLAYGROUNDS.find((kind) => kind === v.toLowerCase()),
  );
  // On in production too: the page is static, and everything it shows comes through the API and its keys.
  const consolePage = parse('GATEWAY_CONSOLE', true, 'on or off', (v) => {
    const on = v.toLowerCase();
    return on === 'on' ? true : on === 'off' ? false : undefined;
  });
  // A playground without introspection has no documentation or completion: it turns introspection on by default.
  const introspection = parse('GATEWAY_INTROSPECTION', !production || playground !== 'off', 'true or false', parseBoolean);
  const allowAnonymous = parse('GATEWAY_ALLOW_ANONYMOUS', false, 'true or false', parseBoolean);
  const limits: QueryLimits = {
    maxDepth: parse('GATEWAY_MAX_DEPTH', 10, 'an integer from 1 to 100', (v) => parseIntegerIn(v, 1, 100)),
    maxAliases: parse('GATEWAY_MAX_ALIASES', 15, 'an integer from 0 to 1000', (v) => parseIntegerIn(v, 0, 1000)),
    maxTokens: parse('GATEWAY_MAX_TOKENS', 2000, 'an integer from 100 to 100000', (v) => parseIntegerIn(v, 100, 100_000)),
    maxCost: parse('GATEWAY_MAX_COST', 10_000, 'an integer from 1 to 10000000', (v) => parseIntegerIn(v, 1, 10_000_000)),
    maxBodyBytes: parse('GATEWAY_MAX_BODY_BYTES', 102_400, 'bytes from 1024 to 10485760', (v) => parseIntegerIn(v, 1024, 10_485_760)),
    maxLiveCostPerKey: parse('GATEWAY_MAX_LIVE_COST_PER_KEY', 100_000, 'an integer from 1 to 1000000000', (v) => parseIntegerIn(v, 1, 1_000_000_000)),
  };
  const sockets = (name: string, fallback: number) => parse(name, fallback, 'an integer from 1 to 100000', (v) => parseIntegerIn(v, 1, 100_000));
  const webSocket: WebSocketLimits = {
    maxConnections: sockets('GATEWAY_WS_MAX_CONNECTIONS', 1000),
    maxConnectionsPerAddress: sockets('GATEWAY_WS_MAX_CONNECTIONS_PER_ADDRESS', 100),
    maxConnectionsPerKey: sockets('GATEWAY_WS_MAX_CONNECTIONS_PER_KEY', 100),
  };
  const auditDays = parse('GATEWAY_AUDIT_DAYS', 90, 'whole days from 1 to 3650', (v) => parseIntegerIn(v, 1, 3650));
  const corsOrigins = parse('GATEWAY_CORS_ORIGINS', [], 'comma-separated origins such as https://app.example.com,http://localhost:3000 (scheme, host and port; no path, no *)', parseOrigins);
  const emulator: EmulatorSettings = {
    port: parse('EMULATOR_PORT', 8743, 'a port number 0-65535', parsePort),
    seed: parse('EMULATOR_SEED', 1, 'a non-negative integer', (v) => parseIntegerIn(v, 0, Number.MAX_SAFE_INTEGER)),
    devices: parse('EMULATOR_DEVICES', 2000, `an integer 1-${MAX_EMULATOR_DEVICES}`, (v) => parseIntegerIn(v, 1, MAX_EMULATOR_DEVICES)),
  };

  const appId = raw('NORTHBOUND_APP_ID');
  const secret = raw('NORTHBOUND_SECRET');
  if (appId !== undefined && appId.length > MAX_CREDENTIAL_LENGTH) {
    errors.push(`NORTHBOUND_APP_ID: expected at most ${MAX_CREDENTIAL_LENGTH} characters`);
  }
  if (secret !== undefined && secret.length > MAX_CREDENTIAL_LENGTH) {
    errors.push(`NORTHBOUND_SECRET: expected at most ${MAX_CREDENTIAL_LENGTH} characters`);
  }

  const apiKeys = parseApiKeys(raw('GATEWAY_API_KEYS'), errors);

  if (allowAnonymous && raw('GATEWAY_API_KEYS') !== undefined) {
    errors.push('GATEWAY_ALLOW_ANONYMOUS: cannot be true together with GATEWAY_API_KEYS (with keys every client needs one); unset one of them');
  }

  let platform: GatewayConfig['platform'];
  const urlValue = raw('NORTHBOUND_URL');
  if (urlValue === undefined) {
    platform = { kind: 'embedded', appId, secret, emulator, stateDir: dataDir === ':memory:' ? undefined : dataDir };
    for (const name of TLS_VARIABLES) {
      if (raw(name) !== undefined) errors.push(`${name}: only used with an https NORTHBOUND_URL, which is not set`);
    }
    if (emulator.port !== 0 && emulator.port === port) {
      errors.push(`EMULATOR_PORT: must differ from PORT (both are ${port})`);
    }
  } else {
    const url = parsePlatformUrl(urlValue);
    if (url === undefined) {
      errors.push('NORTHBOUND_URL: expected an absolute http(s) URL without credentials, query or fragment, such as https://host:8743');
    }
    if (appId === undefined) errors.push('NORTHBOUND_APP_ID: required when NORTHBOUND_URL is set');
    if (secret === undefined) errors.push('NORTHBOUND_SECRET: required when NORTHBOUND_URL is set');
    if (raw('GATEWAY_API_KEYS') === undefined && !allowAnonymous) {
      errors.push(
        'GATEWAY_API_KEYS: required when NORTHBOUND_URL is set: without keys anyone who reaches the gateway could read the fleet and create tasks on the platform; ' +
          'set key:role pairs such as k1:read,k2:operate, or GATEWAY_ALLOW_ANONYMOUS=true to run it open on purpose',
      );
    }
    const tls = readTls(raw, url?.startsWith('https:') ?? true, readFile, errors);
    platform = { kind: 'remote', url: url ?? '', appId: appId ?? '', secret: secret ?? '', tls };
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      port,
      host,
      platform,
      rateLimit,
      store,
      dataDir,
      clientBudgetShare,
      replicas,
      mirror,
      publicUrl,
      platformTimeoutMs,
      requestDeadlineMs,
      circuitResetMs,
      cache,
      apiKeys,
      allowAnonymous,
      logLevel,
      production,
      playground,
      console: consolePage,
      introspection,
      limits,
      corsOrigins,
      webSocket,
      auditDays,
    },
  };
}
