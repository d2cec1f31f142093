// The one way tests start what they run against: a platform (the emulator on its own, or the one a gateway embeds),
// optionally a recording proxy in front of it, a store (in memory, or a fresh SQLite data dir or PostgreSQL
// database), and gateways on them, in this process or as processes. `close` stops everything it started.
import type { Env } from '../../src/config.js';
import { startInProcessGateway, startGatewayProcess, TEST_API_KEY, type GatewayProcess, type TestGateway } from './gateway.js';
import { platformAt, startPlatform, type EmulatorStats, type Platform, type PlatformOptions } from './platform.js';
import { startRecordingProxy, type RecordedCall, type RecordingProxy } from './proxy.js';
import { testStoreLocation, type Engine, type TestStoreLocation } from './store.js';

export interface StackOptions {
  /**
   * The emulator on its own, reached by URL as a real platform is: TEST_EMULATOR with these options on top.
   * 'embedded': the gateway starts its own (20 devices unless EMULATOR_DEVICES says otherwise).
   */
  platform?: PlatformOptions | 'embedded';
  /** A recording proxy between the gateways and the platform. */
  proxy?: boolean;
  /** The gateways' store: in memory unless an engine is named (a fresh one, dropped at close). */
  store?: Engine;
  /** Every gateway's environment, on top of the stack's. */
  env?: Env;
  /** The first gateway: in this process (default), as a process, or none yet (`useGateway` later). */
  gateway?: 'in-process' | 'process' | 'none';
}

export interface GatewaySpec {
  /** On top of the stack's environment. */
  env?: Env;
  process?: boolean;
  /** None of the stack's settings but the platform's address and credentials and the store: `env` is the rest. */
  bare?: boolean;
}

export interface Calls<T> {
  result: T;
  /** Platform calls made during the action, logins included. */
  total: number;
  /** Per route, only the routes that were called. */
  byRoute: Record<string, number>;
  throttled: number;
  /** What the proxy saw during the action (empty without a proxy). */
  recorded: RecordedCall[];
}

export interface Stack {
  platform: Platform;
  /** The recording proxy (the stack must have been started with `proxy: true`). */
  readonly proxy: RecordingProxy;
  store?: TestStoreLocation;
  /** The current gateway: the first, or the latest `useGateway`. */
  readonly gateway: TestGateway;
  /** Another gateway on this platform and store, closed with the stack. */
  startGateway(spec: GatewaySpec & { process: true }): Promise<GatewayProcess>;
  startGateway(spec?: GatewaySpec): Promise<TestGateway>;
  /** Closes the current gateway and starts a fresh one (empty caches, full budget, closed circuit). */
  useGateway(spec?: GatewaySpec): Promise<TestGateway>;
  /**
   * The platform calls `action` causes (the emulator's counters before and after). With `warm` (the default) the
   * current gateway first proves its token with a health check, so a login forced by something else is not counted.
   */
  callsDuring<T>(action: () => Promise<T>, options?: { warm?: boolean }): Promise<Calls<T>>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    return await build(options, closers, close);
  } catch (error) {
    await close();
    throw error;
  }
}

async function build(options: StackOptions, closers: (() => Promise<void>)[], close: () => Promise<void>): Promise<Stack> {
  const embedded = options.platform === 'embedded';
  if (embedded && options.gateway !== undefined && options.gateway !== 'in-process') throw new Error('an embedded platform needs an in-process gateway');
  let platform: Platform | undefined;
  if (!embedded) {
    platform = await startPlatform(options.platform as PlatformOptions | undefined);
    closers.push(() => (platform as Platform).close());
  }
  const proxy = options.proxy && platform ? await startRecordingProxy(platform.url) : undefined;
  if (proxy) closers.push(() => proxy.close());
  const store = options.store ? await testStoreLocation(options.store) : undefined;
  if (store) closers.push(() => store.drop());

  /** A gateway's environment on this stack: platform (through the proxy, if any), store, API key, budget. */
  const env = (extra: Env = {}, bare = false): Record<string, string> => {
    const location: Env = platform
      ? { NORTHBOUND_URL: proxy?.url ?? platform.url, NORTHBOUND_APP_ID: platform.credentials.appId, NORTHBOUND_SECRET: platform.credentials.secret }
      : { EMULATOR_PORT: '0', EMULATOR_DEVICES: '20' };
    const all: Env = bare
      ? { ...extra, ...location, ...store?.env }
      : {
          PORT: '0',
          LOG_LEVEL: 'error',
          // A throwaway store unless the stack has one; the platform path, call by call, unless a test turns the mirror on.
          GATEWAY_DATA_DIR: ':memory:',
          MIRROR_BUDGET_SHARE: '0',
          ...location,
          // The gateway budgets what its platform allows.
          ...(platform ? { GATEWAY_API_KEYS: `${TEST_API_KEY}:operate`, NORTHBOUND_RATE_LIMIT: `${platform.throttlePerMinute ?? 1_000_000}/60s` } : {}),
          ...store?.env,
          ...options.env,
          ...extra,
        };
    return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  };

  const gateways = new Set<TestGateway>();
  closers.push(async () => {
    // A process is killed: nothing is left to see in its shutdown.
    await Promise.all([...gateways].map((g) => ('stop' in g ? (g as GatewayProcess).stop('SIGKILL') : g.close())));
  });
  const startGateway = async ({ env: extra, process: asProcess = false, bare = false }: GatewaySpec = {}): Promise<TestGateway> => {
    const gateway = asProcess ? await startGatewayProcess({ GATEWAY_PLAYGROUND: 'off', ...env(extra, bare) }) : await startInProcessGateway(env(extra, bare));
    gateways.add(gateway);
    return gateway;
  };
  let current: TestGateway | undefined;
  const useGateway = async (spec?: GatewaySpec): Promise<TestGateway> => {
    if (current) {
      gateways.delete(current);
      await current.close();
      current = undefined;
    }
    current = await startGateway(spec);
    return current;
  };
  if (!platform) {
    const first = await startInProcessGateway(env());
    gateways.add(first);
    current = first;
    if (!first.server.emulator) throw new Error('the gateway started no emulator of its own');
    platform = platformAt(first.server.emulator.url, first.server.emulator.credentials);
  } else if (options.gateway !== 'none') {
    await useGateway({ process: options.gateway === 'process' });
  }
  const thePlatform = platform;
  const gatewayNow = (): TestGateway => {
    if (!current) throw new Error('no gateway started yet (useGateway)');
    return current;
  };

  return {
    platform: thePlatform,
    get proxy() {
      if (!proxy) throw new Error('this stack has no proxy (proxy: true)');
      return proxy;
    },
    store,
    get gateway() {
      return gatewayNow();
    },
    startGateway: startGateway as Stack['startGateway'],
    useGateway,
    async callsDuring(action, { warm = true } = {}) {
      if (warm) {
        const health = await gatewayNow().query('{ health { loginOk } }');
        if (!health.data?.health?.loginOk) throw new Error(`warm-up health check failed: ${JSON.stringify(health)}`);
      }
      const from = proxy?.calls.length ?? 0;
      const before = await thePlatform.stats();
      const result = await action();
      const after = await thePlatform.stats();
      return { result, ...difference(before, after), recorded: proxy?.calls.slice(from) ?? [] };
    },
    close,
  };
}

/** The counters' difference: what happened between two stats readings. */
function difference(before: EmulatorStats, after: EmulatorStats): { total: number; byRoute: Record<string, number>; throttled: number } {
  const byRoute: Record<string, number> = {};
  for (const [route, count] of Object.entries(after.byRoute)) {
    const delta = count - (before.byRoute[route] ?? 0);
    if (delta > 0) byRoute[route] = delta;
  }
  return { total: after.total - before.total, byRoute, throttled: after.throttled - before.throttled };
}
