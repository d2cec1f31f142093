import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Env, type GatewayConfig, loadConfig } from '../../src/config.js';

const REMOTE: Env = {
  NORTHBOUND_URL: 'https://iot.example.com:8743',
  NORTHBOUND_APP_ID: 'app',
  NORTHBOUND_SECRET: 's3cret-value',
  GATEWAY_API_KEYS: 'k1:read',
};

function ok(env: Env): GatewayConfig {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.errors.join('\n')}`);
  return result.config;
}

function errors(env: Env): string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error('expected configuration errors');
  return result.errors;
}

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
function tempFile(contents: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gateway-config-')), 'file.pem');
  writeFileSync(path, contents);
  return path;
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment: the embedded emulator, open', () => {
    expect(ok({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      platform: { kind: 'embedded', appId: undefined, secret: undefined, emulator: { port: 8743, seed: 1, devices: 2000 }, stateDir: './data' },
      rateLimit: { calls: 100, windowSeconds: 60 },
      store: { engine: 'sqlite', dataDir: './data' },
      dataDir: './data',
      clientBudgetShare: 0.5,
      replicas: 1,
      mirror: { budgetShare: 0.5, fullSyncMinutes: 60, pollSeconds: 30 },
      publicUrl: undefined,
      platformTimeoutMs: 10_000,
      requestDeadlineMs: 10_000,
      circuitResetMs: 10_000,
      cache: { ttlSeconds: 60, maxEntries: 10_000 },
      apiKeys: undefined,
      allowAnonymous: false,
      logLevel: 'info',
      production: false,
      playground: 'graphiql',
      console: true,
      introspection: true,
      limits: { maxDepth: 10, maxAliases: 15, maxTokens: 2000, maxCost: 10_000, maxBodyBytes: 102_400, maxLiveCostPerKey: 100_000 },
      corsOrigins: [],
      webSocket: { maxConnections: 1000, maxConnectionsPerAddress: 100, maxConnectionsPerKey: 100 },
      auditDays: 90,
    });
  });

  it('reads every variable', () => {
    const config = ok({
      ...REMOTE,
      PORT: '8080',
      HOST: '0.0.0.0',
      NORTHBOUND_URL: 'https://iot.example.com:8743/',
      NORTHBOUND_RATE_LIMIT: '50/30s',
      GATEWAY_API_KEYS: 'k1:read, k2:operate',
      LOG_LEVEL: 'DEBUG',
      EMULATOR_PORT: '9000',
      EMULATOR_SEED: '42',
      EMULATOR_DEVICES: '100000',
      GATEWAY_PLAYGROUND: 'Apollo-Sandbox',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      platform: { kind: 'remote', url: 'https://iot.example.com:8743', appId: 'app', secret: 's3cret-value', tls: {} },
      rateLimit: { calls: 50, windowSeconds: 30 },
      logLevel: 'debug',
      playground: 'apollo-sandbox',
    });
    expect([...(config.apiKeys ?? [])]).toEqual([
      ['k1', 'read'],
      ['k2', 'operate'],
    ]);
  });

  it('turns the console on or off, in production too', () => {
    expect(ok({ NODE_ENV: 'production', GATEWAY_API_KEYS: 'k:read' }).console).toBe(true);
    expect(ok({ GATEWAY_CONSOLE: 'OFF' }).console).toBe(false);
    expect(errors({ GATEWAY_CONSOLE: 'yes' })).toEqual([expect.stringMatching(/^GATEWAY_CONSOLE: .*on or off/)]);
  });

  it('keeps emulator settings and credential overrides in embedded mode', () => {
    expect(ok({ EMULATOR_PORT: '0', EMULATOR_SEED: '7', EMULATOR_DEVICES: '10', NORTHBOUND_SECRET: 'other' }).platform).toEqual({
      kind: 'embedded',
      appId: undefined,
      secret: 'other',
      emulator: { port: 0, seed: 7, devices: 10 },
      stateDir: './data',
    });
    expect(ok({ GATEWAY_DATA_DIR: ':memory:' }).platform).toMatchObject({ kind: 'embedded', stateDir: undefined });
  });

  it('treats blank variables as unset', () => {
    expect(ok({ PORT: '', NORTHBOUND_URL: '  ' }).platform.kind).toBe('embedded');
  });

  it('reports every wrong variable, one line each, naming it and what is expected', () => {
    const lines = errors({
      PORT: 'eighty',
      EMULATOR_PORT: '70000',
      EMULATOR_SEED: '-1',
      EMULATOR_DEVICES: '0',
      NORTHBOUND_RATE_LIMIT: '100 per minute',
      LOG_LEVEL: 'verbose',
      HOST: 'two words',
      GATEWAY_PLAYGROUND: 'playground',
      NORTHBOUND_TIMEOUT_MS: '50',
    });
    expect(lines).toHaveLength(9);
    for (const [name, expected] of [
      ['PORT', 'a port number 0-65535'],
      ['EMULATOR_PORT', 'a port number 0-65535'],
      ['EMULATOR_SEED', 'a non-negative integer'],
      ['EMULATOR_DEVICES', 'an integer 1-100000'],
      ['NORTHBOUND_RATE_LIMIT', 'N/Ws such as 100/60s'],
      ['LOG_LEVEL', 'one of error, warn, info, debug'],
      ['HOST', 'a host name or IP address'],
      ['GATEWAY_PLAYGROUND', 'one of graphiql, apollo-sandbox, off'],
      ['NORTHBOUND_TIMEOUT_MS', 'milliseconds from 100 to 120000'],
    ] as const) {
      expect(lines.find((line) => line.startsWith(`${name}:`))).toContain(expected);
    }
  });

  it.each(['0/60s', '100/0s', '100/60', '100/60m', '1.5/60s'])('rejects the rate limit %j', (value) => {
    expect(errors({ NORTHBOUND_RATE_LIMIT: value })).toEqual([expect.stringMatching(/^NORTHBOUND_RATE_LIMIT: expected/)]);
  });

  it('requires credentials and API keys when a platform URL is set', () => {
    expect(errors({ NORTHBOUND_URL: 'https://iot.example.com:8743' })).toEqual([
      'NORTHBOUND_APP_ID: required when NORTHBOUND_URL is set',
      'NORTHBOUND_SECRET: required when NORTHBOUND_URL is set',
      expect.stringMatching(/^GATEWAY_API_KEYS: required when NORTHBOUND_URL is set/),
    ]);
  });

  describe('an open gateway on a real platform', () => {
    const { GATEWAY_API_KEYS: _keys, ...remoteWithoutKeys } = REMOTE;

    it('is refused without GATEWAY_ALLOW_ANONYMOUS, with one line saying why and how to open it on purpose', () => {
      const lines = errors(remoteWithoutKeys);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^GATEWAY_API_KEYS: required when NORTHBOUND_URL is set: without keys anyone who reaches the gateway/);
      expect(lines[0]).toContain('GATEWAY_ALLOW_ANONYMOUS=true');
    });

    it.each(['true', 'TRUE', '1'])('runs open with GATEWAY_ALLOW_ANONYMOUS=%s', (value) => {
      const config = ok({ ...remoteWithoutKeys, GATEWAY_ALLOW_ANONYMOUS: value });
      expect(config.apiKeys).toBeUndefined();
      expect(config.allowAnonymous).toBe(true);
    });

    it('is still refused with GATEWAY_ALLOW_ANONYMOUS=false', () => {
      expect(errors({ ...remoteWithoutKeys, GATEWAY_ALLOW_ANONYMOUS: 'false' })).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS: required/)]);
    });

    it('refuses GATEWAY_ALLOW_ANONYMOUS together with keys, and a value that is not a boolean', () => {
      expect(errors({ ...REMOTE, GATEWAY_ALLOW_ANONYMOUS: 'true' })).toEqual([
        expect.stringMatching(/^GATEWAY_ALLOW_ANONYMOUS: cannot be true together with GATEWAY_API_KEYS/),
      ]);
      expect(errors({ ...REMOTE, GATEWAY_ALLOW_ANONYMOUS: 'yes please' })).toEqual([
        'GATEWAY_ALLOW_ANONYMOUS: expected true or false, got "yes please"',
      ]);
    });
  });

  describe('production mode (NODE_ENV=production)', () => {
    it('turns the playground and introspection off by default', () => {
      expect(ok({ NODE_ENV: 'production' })).toMatchObject({ production: true, playground: 'off', introspection: false });
    });

    it('turns introspection on with GATEWAY_INTROSPECTION=true', () => {
      expect(ok({ NODE_ENV: 'production', GATEWAY_INTROSPECTION: 'true' })).toMatchObject({ playground: 'off', introspection: true });
    });

    it('turns introspection on with a playground, which needs it, unless it is explicitly off', () => {
      expect(ok({ NODE_ENV: 'production', GATEWAY_PLAYGROUND: 'graphiql' })).toMatchObject({ playground: 'graphiql', introspection: true });
      expect(ok({ NODE_ENV: 'production', GATEWAY_PLAYGROUND: 'graphiql', GATEWAY_INTROSPECTION: 'false' }).introspection).toBe(false);
    });

    it('leaves development as it was: playground and introspection on, unless turned off', () => {
      expect(ok({ NODE_ENV: 'development' })).toMatchObject({ production: false, playground: 'graphiql', introspection: true });
      expect(ok({ GATEWAY_INTROSPECTION: 'false', GATEWAY_PLAYGROUND: 'off' })).toMatchObject({ playground: 'off', introspection: false });
    });
  });

  describe('query limits', () => {
    it('reads every limit', () => {
      expect(
        ok({
          GATEWAY_MAX_DEPTH: '12',
          GATEWAY_MAX_ALIASES: '0',
          GATEWAY_MAX_TOKENS: '5000',
          GATEWAY_MAX_COST: '20000',
          GATEWAY_MAX_BODY_BYTES: '1048576',
          GATEWAY_MAX_LIVE_COST_PER_KEY: '5000',
        }).limits,
      ).toEqual({ maxDepth: 12, maxAliases: 0, maxTokens: 5000, maxCost: 20_000, maxBodyBytes: 1_048_576, maxLiveCostPerKey: 5000 });
    });

    it('reports each wrong limit with its range', () => {
      const lines = errors({
        GATEWAY_MAX_DEPTH: '0',
        GATEWAY_MAX_ALIASES: 'many',
        GATEWAY_MAX_TOKENS: '99',
        GATEWAY_MAX_COST: '-1',
        GATEWAY_MAX_BODY_BYTES: '100mb',
        GATEWAY_MAX_LIVE_COST_PER_KEY: '0',
      });
      expect(lines).toEqual([
        'GATEWAY_MAX_DEPTH: expected an integer from 1 to 100, got "0"',
        'GATEWAY_MAX_ALIASES: expected an integer from 0 to 1000, got "many"',
        'GATEWAY_MAX_TOKENS: expected an integer from 100 to 100000, got "99"',
        'GATEWAY_MAX_COST: expected an integer from 1 to 10000000, got "-1"',
        'GATEWAY_MAX_BODY_BYTES: expected bytes from 1024 to 10485760, got "100mb"',
        'GATEWAY_MAX_LIVE_COST_PER_KEY: expected an integer from 1 to 1000000000, got "0"',
      ]);
    });
  });

  it.each(['iot.example.com:8743', 'ftp://iot.example.com', 'https://user:pw@iot.example.com', 'https://iot.example.com/?a=1'])(
    'rejects the platform URL %j without echoing it',
    (url) => {
      const lines = errors({ ...REMOTE, NORTHBOUND_URL: url });
      expect(lines).toEqual([expect.stringMatching(/^NORTHBOUND_URL: expected an absolute http\(s\) URL/)]);
      expect(lines[0]).not.toContain(url);
    },
  );

  it('never echoes the secret or API keys', () => {
    const lines = errors({ ...REMOTE, NORTHBOUND_SECRET: 'x'.repeat(257), GATEWAY_API_KEYS: 'topsecretkey:admin,other-key' });
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toMatch(/xxxx|topsecretkey|other-key/);
    expect(lines).toContain('NORTHBOUND_SECRET: expected at most 256 characters');
    expect(lines.find((line) => line.startsWith('GATEWAY_API_KEYS:'))).toMatch(/entry 1 has an unknown role; entry 2 is not key:role/);
  });

  it.each([
    ['an empty key', ':read'],
    ['a repeated key', 'k1:read,k1:operate'],
    ['an empty entry', 'k1:read,,k2:read'],
  ])('rejects API keys with %s', (_, value) => {
    expect(errors({ GATEWAY_API_KEYS: value })).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS: entry \d/)]);
  });

  it.each(['graphiql', 'apollo-sandbox', 'off'] as const)('takes the playground %j', (kind) => {
    expect(ok({ GATEWAY_PLAYGROUND: kind }).playground).toBe(kind);
  });

  describe('the store and the budget share', () => {
    it('keeps the store in SQLite under GATEWAY_DATA_DIR, or in PostgreSQL when DATABASE_URL is set', () => {
      expect(ok({ GATEWAY_DATA_DIR: '/var/lib/gateway' }).store).toEqual({ engine: 'sqlite', dataDir: '/var/lib/gateway' });
      expect(ok({ GATEWAY_DATA_DIR: ':memory:' }).store).toEqual({ engine: 'sqlite', dataDir: ':memory:' });
      expect(ok({ DATABASE_URL: 'postgres://gw:pw@db:5432/gateway' }).store).toEqual({ engine: 'postgres', url: 'postgres://gw:pw@db:5432/gateway' });
    });

    it('keeps GATEWAY_DATA_DIR with PostgreSQL too: each process keeps its notification journal there', () => {
      expect(ok({ DATABASE_URL: 'postgres://gw:pw@db:5432/gateway', GATEWAY_DATA_DIR: '/var/lib/gateway' }).dataDir).toBe('/var/lib/gateway');
      expect(ok({ DATABASE_URL: 'postgres://gw:pw@db:5432/gateway' }).dataDir).toBe('./data');
    });

    it('refuses a DATABASE_URL that is not PostgreSQL without echoing it (it may hold a password)', () => {
      const lines = errors({ DATABASE_URL: 'mysql://gw:hunter2@db/gateway' });
      expect(lines).toEqual(['DATABASE_URL: expected a postgres:// or postgresql:// URL']);
    });

    it('says the Redis budget variable is retired and what replaces it', () => {
      expect(errors({ NORTHBOUND_RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([expect.stringMatching(/^NORTHBOUND_RATE_LIMIT_REDIS_URL: retired.*DATABASE_URL/)]);
    });

    it.each([['0.25', 0.25], ['1', 1], ['.5', 0.5]])('takes the client budget share %j', (value, share) => {
      expect(ok({ GATEWAY_CLIENT_BUDGET_SHARE: value }).clientBudgetShare).toBe(share);
    });

    it('reads how many replicas share the store (1 to 100), and refuses anything else', () => {
      expect(ok({ GATEWAY_REPLICAS: '3' }).replicas).toBe(3);
      for (const value of ['0', '101', '1.5', 'two']) {
        expect(errors({ GATEWAY_REPLICAS: value })).toEqual([expect.stringMatching(/^GATEWAY_REPLICAS: expected a whole number from 1 to 100/)]);
      }
    });

    it('reads the mirror settings: its budget share (0: off), the full sync period, the public URL', () => {
      expect(ok({ MIRROR_BUDGET_SHARE: '0', MIRROR_FULL_SYNC_MINUTES: '15', GATEWAY_PUBLIC_URL: 'https://gw.example.com:443/' })).toMatchObject({
        mirror: { budgetShare: 0, fullSyncMinutes: 15 },
        publicUrl: 'https://gw.example.com:443',
      });
    });

    it('refuses a public URL the platform would refuse: no explicit port, credentials, or not http(s)', () => {
      for (const value of ['https://gw.example.com/', 'https://user:pw@gw.example.com:443/', 'ftp://gw.example.com:21/']) {
        const lines = errors({ GATEWAY_PUBLIC_URL: value });
        expect(lines).toEqual([expect.stringMatching(/^GATEWAY_PUBLIC_URL: expected an absolute http\(s\) URL with an explicit port/)]);
        expect(lines[0]).not.toContain('gw.example.com');
      }
      expect(errors({ MIRROR_BUDGET_SHARE: '2', MIRROR_FULL_SYNC_MINUTES: '0' })).toHaveLength(2);
    });

    it.each(['0', '1.5', 'half', '-0.2'])('refuses the client budget share %j', (value) => {
      expect(errors({ GATEWAY_CLIENT_BUDGET_SHARE: value })).toEqual([expect.stringMatching(/^GATEWAY_CLIENT_BUDGET_SHARE: expected a fraction above 0 and at most 1/)]);
    });
  });

  describe('cross-origin access (GATEWAY_CORS_ORIGINS)', () => {
    it('reads exact origins as a browser sends them: lower-case host, no default port, no trailing slash', () => {
      expect(ok({ GATEWAY_CORS_ORIGINS: 'https://App.Example.com:443/, http://localhost:3000,http://127.0.0.1:8080' }).corsOrigins).toEqual([
        'https://app.example.com',
        'http://localhost:3000',
        'http://127.0.0.1:8080',
      ]);
    });

    it.each(['*', 'app.example.com', 'https://app.example.com/path', 'https://app.example.com?x=1', 'ftp://files.example.com', 'https://u:p@app.example.com', 'https://a.example.com,,https://b.example.com'])(
      'refuses %j in one line naming the variable',
      (value) => {
        expect(errors({ GATEWAY_CORS_ORIGINS: value })).toEqual([expect.stringMatching(/^GATEWAY_CORS_ORIGINS: expected comma-separated origins such as https:\/\/app\.example\.com/)]);
      },
    );
  });

  it('allows API keys on the embedded emulator too', () => {
    expect(ok({ GATEWAY_API_KEYS: 'k1:operate' }).apiKeys?.get('k1')).toBe('operate');
  });

  it('refuses an embedded emulator on the gateway port', () => {
    expect(errors({ PORT: '8743' })).toEqual(['EMULATOR_PORT: must differ from PORT (both are 8743)']);
    expect(ok({ PORT: '0', EMULATOR_PORT: '0' }).port).toBe(0);
  });

  describe('TLS files', () => {
    it('reads PEM files for an https platform', () => {
      const ca = tempFile(PEM);
      const cert = tempFile(PEM);
      const key = tempFile(PEM.replaceAll('CERTIFICATE', 'PRIVATE KEY'));
      const config = ok({ ...REMOTE, NORTHBOUND_CA_FILE: ca, NORTHBOUND_CERT_FILE: cert, NORTHBOUND_KEY_FILE: key });
      expect(config.platform.kind === 'remote' && config.platform.tls.key?.toString()).toContain('PRIVATE KEY');
    });

    it('reports missing, unreadable and non-PEM files by variable and path', () => {
      const notPem = tempFile('hello');
      const lines = errors({
        ...REMOTE,
        NORTHBOUND_CA_FILE: '/nonexistent/ca.pem',
        NORTHBOUND_CERT_FILE: notPem,
        NORTHBOUND_KEY_FILE: tmpdir(),
      });
      expect(lines).toEqual([
        'NORTHBOUND_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT); expected a readable PEM file',
        `NORTHBOUND_CERT_FILE: ${notPem} is not PEM; expected a PEM file (-----BEGIN ...)`,
        `NORTHBOUND_KEY_FILE: cannot read ${tmpdir()} (EISDIR); expected a readable PEM file`,
      ]);
    });

    it('reads the files through the injected reader', () => {
      const read: string[] = [];
      const result = loadConfig({ ...REMOTE, NORTHBOUND_CA_FILE: 'ca.pem' }, (path) => {
        read.push(path);
        return Buffer.from(PEM);
      });
      expect(result.ok).toBe(true);
      expect(read).toEqual(['ca.pem']);
    });

    it('wants a client certificate and its key together', () => {
      expect(errors({ ...REMOTE, NORTHBOUND_CERT_FILE: tempFile(PEM) })).toEqual([
        'NORTHBOUND_KEY_FILE: required when NORTHBOUND_CERT_FILE is set',
      ]);
      expect(errors({ ...REMOTE, NORTHBOUND_KEY_FILE: tempFile(PEM) })).toEqual([
        'NORTHBOUND_CERT_FILE: required when NORTHBOUND_KEY_FILE is set',
      ]);
    });

    it('rejects TLS files without an https platform', () => {
      const ca = tempFile(PEM);
      expect(errors({ NORTHBOUND_CA_FILE: ca })).toEqual([
        'NORTHBOUND_CA_FILE: only used with an https NORTHBOUND_URL, which is not set',
      ]);
      expect(errors({ ...REMOTE, NORTHBOUND_URL: 'http://iot.example.com', NORTHBOUND_CA_FILE: ca })).toEqual([
        'NORTHBOUND_CA_FILE: only used with an https NORTHBOUND_URL',
      ]);
    });
  });
});
