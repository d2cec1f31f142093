import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { buildGatewaySchema } from './graphql/build-schema.js';
import type { GatewayConfig, RemotePlatformConfig } from './config.js';
import { API_KEY_HEADER } from './graphql/auth.js';
import type { ContextDependencies } from './graphql/context.js';
import { startGraphQL, type GraphQLTransports } from './graphql/transports.js';
import { PlatformCaches } from './datasources/caches.js';
import { Idempotency } from './services/exactly-once.js';
import { Normalizer } from './datasources/normalize.js';
import { PlatformClient } from './datasources/platform/client.js';
import { RateBudget } from './datasources/platform/rate-budget.js';
import { openStore, type Store } from './store/index.js';
import { createPlatformApis } from './datasources/apis.js';
import { Mirror, MIRROR_CLIENT } from './sync/mirror.js';
import { CREATE_DEADLINE_MS, ROLLOUT_CLIENT, RolloutOrchestrator } from './services/rollout-orchestrator.js';
import { RolloutService } from './services/rollouts.service.js';
import { fanOut } from './sync/fanout.js';
import { SharedToken } from './datasources/platform/shared-token.js';
import { LeaseKeeper } from './store/leases.repository.js';
import { notificationReceiver } from './sync/receiver.js';
import type { RunningEmulator } from './emulator/index.js';
import { HttpDrain, httpDrainPlugin } from './http/drain.js';
import { corsMiddleware } from './http/cors.js';
import { endpointPage } from './http/endpoint-page.js';
import { createLogger, type Logger } from './logging/logger.js';
import { asPortInUse } from './http/port-in-use.js';
import { Observability } from './observability/index.js';
import { graphqlRequestObserver, jsonErrorHandler, requestIdMiddleware, requestRecordOf, requestRecordPlugin } from './observability/http.js';
import { RefusalLog } from './observability/refusal-log.js';
import { createPlayground } from './playground/index.js';
import { createConsole } from './console/index.js';

export const GRAPHQL_PATH = '/graphql';
/** How long a background call (the mirror's) may wait for the call budget. */
const BACKGROUND_DEADLINE_MS = 120_000;
/** How long the replica that runs the mirror's sync keeps that role after its last sign of life. */
const MIRROR_SYNC_LEASE_MS = 15_000;

export interface GatewayOptions {
  logger?: Logger;
}

export interface Gateway {
  /** The GraphQL endpoint; a browser GET there gets the playground chosen by `GATEWAY_PLAYGROUND`. */
  url: string;
  /** The server's base URL: `/health/live`, `/health/ready` and `/metrics` are there. */
  baseUrl: string;
  /** What the gateway's platform client talks to. */
  platform: { url: string; appId: string };
  /** Set when the gateway started its own emulator: its URL and the demo credentials it accepts. */
  emulator?: { url: string; credentials: { appId: string; secret: string } };
  /** Stops accepting requests, lets running ones finish, then stops the embedded emulator. */
  close(): Promise<void>;
}

/** Starts the whole gateway, or nothing: a failure part-way closes what had started and rethrows. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  let emulator: RunningEmulator | undefined;
  let graphql: GraphQLTransports | undefined;
  let budget: RateBudget | undefined;
  let store: Store | undefined;
  let idempotency: Idempotency | undefined;
  let mirror: Mirror | undefined;
  let mirrorSync: LeaseKeeper | undefined;
  let orchestrator: RolloutOrchestrator | undefined;
  const refusals = new RefusalLog(logger);
  const stop = async (): Promise<void> => {
    await graphql?.stop();
    await orchestrator?.close();
    refusals.close();
    budget?.close();
    idempotency?.close();
    await mirror?.close();
    await mirrorSync?.close();
    // After the drain: a create answered during it still records its outcome.
    await store?.close();
    await emulator?.close();
  };

  try {
    let settings: { url: string; appId: string; secret: string; tls?: RemotePlatformConfig['tls'] };
    if (config.platform.kind === 'remote') {
      settings = config.platform;
    } else {
      // Loaded only when needed: a gateway on a real platform never loads the emulator's code.
      const { startEmulator, DEFAULTS } = await import('./emulator/index.js');
      const { port, seed, devices } = config.platform.emulator;
      emulator = await startEmulator({ port, seed, devices }).catch((error: unknown) => {
        throw asPortInUse(error, 'EMULATOR_PORT', port, DEFAULTS.host);
      });
      settings = {
        url: emulator.url,
        appId: config.platform.appId ?? emulator.credentials.appId,
        secret: config.platform.secret ?? emulator.credentials.secret,
      };
    }
    if (config.platform.kind === 'remote' && config.apiKeys === undefined) {
      logger.warn('GATEWAY_ALLOW_ANONYMOUS=true: no API keys; anyone who reaches this gateway can query the platform and create tasks on it');
    }
    const observability = new Observability(logger);
    store = await openStore(config.store);
    budget = new RateBudget({
      ...config.rateLimit,
      key: settings.appId,
      ledger: store.budget,
      clientShare: config.clientBudgetShare,
      sharesOf: { [MIRROR_CLIENT]: config.mirror.budgetShare },
      // Replicas share the ledger in PostgreSQL; while it is down each spends only its part of the budget alone.
      fallbackCalls: store.shared && Math.max(1, Math.floor(config.rateLimit.calls / config.replicas)),
    });
    // A create's sender may wait for the budget up to the request's deadline, then for the platform's answer.
    idempotency = new Idempotency(store.idempotency, config.requestDeadlineMs + config.platformTimeoutMs + 5_000);
    const platform = new PlatformClient({
      ...settings,
      timeoutMs: config.platformTimeoutMs,
      circuitResetMs: config.circuitResetMs,
      budget,
      onCall: observability.onPlatformCall,
      vault: store.shared && new SharedToken(store.shared.tokens, settings.appId, settings.secret),
    });
    const caches = new PlatformCaches(config.cache);
    observability.attach({ platform, budget, caches }, { probeTimeoutMs: Math.min(config.platformTimeoutMs, 5000) });
    const normalizer = new Normalizer((message) => logger.warn(message));
    if (config.mirror.budgetShare > 0) {
      // Background calls have no request to finish for: they may wait for the budget as long as it takes.
      const background = { get deadline() { return Date.now() + BACKGROUND_DEADLINE_MS; }, priority: 'query' as const, client: MIRROR_CLIENT };
      const { leases } = store;
      const replica = randomUUID();
      mirrorSync = store.shared && new LeaseKeeper(leases, 'mirror-sync', MIRROR_SYNC_LEASE_MS);
      mirror = new Mirror({
        repo: store.mirror,
        apis: createPlatformApis(platform, normalizer, caches, background),
        normalizer,
        logger,
        appId: settings.appId,
        budgetShare: config.mirror.budgetShare,
        fullSyncMinutes: config.mirror.fullSyncMinutes,
        pollSeconds: config.mirror.pollSeconds,
        replicas: mirrorSync && { sync: mirrorSync, claim: (name, ttlMs) => leases.acquire(name, replica, Date.now(), ttlMs) },
      });
    }
    let rollouts: RolloutService | undefined;
    if (mirror) {
      // Rollouts' creates are mutations: they go before queries in the budget's queue.
      const creates = { get deadline() { return Date.now() + CREATE_DEADLINE_MS; }, priority: 'mutation' as const, client: ROLLOUT_CLIENT };
      orchestrator = new RolloutOrchestrator({
        repo: store.rollouts,
        leases: store.leases,
        mirror,
        apis: createPlatformApis(platform, normalizer, caches, creates, mirror),
        idempotency,
        logger,
      });
      rollouts = new RolloutService(store.rollouts, mirror, orchestrator, idempotency);
    }
    if (store.shared && mirror) fanOut(store.shared.notices, mirror, rollouts, logger);
    const answeredByMirror = () => mirror?.ready ?? false;

    const schema = await buildGatewaySchema();
    const app = express();
    app.disable('x-powered-by');
    const httpServer = createServer(app);
    const drain = new HttpDrain(httpServer);
    const contextDependencies: ContextDependencies = {
      platform,
      normalizer,
      caches,
      idempotency,
      requestDeadlineMs: config.requestDeadlineMs,
      embeddedEmulator: emulator !== undefined,
      apiKeys: config.apiKeys,
      mirror,
      rollouts,
    };
    graphql = await startGraphQL({
      schema,
      context: contextDependencies,
      limits: config.limits,
      introspection: config.introspection,
      maxPlatformCalls: budget.clientCap,
      mirrored: answeredByMirror,
      logger,
      refusals,
      plugins: [httpDrainPlugin(drain), requestRecordPlugin()],
      // Apollo's own page (Sandbox) only when asked for: it loads from Apollo's CDN and is blank offline.
      sandbox: config.playground === 'apollo-sandbox',
      retryAfterSeconds: config.rateLimit.windowSeconds,
      recordOf: requestRecordOf,
      allowedOrigins: config.corsOrigins,
    });
    graphql.serveWebSocket(httpServer, GRAPHQL_PATH);
    app.use(requestIdMiddleware());
    if (config.corsOrigins.length > 0) app.use(corsMiddleware(config.corsOrigins));
    app.use(observability.routes());
    if (mirror) app.use(notificationReceiver(mirror));
    app.use(endpointPage({ graphqlPath: GRAPHQL_PATH, playground: config.playground }));
    if (config.playground === 'graphiql') {
      app.use(createPlayground({ graphqlPath: GRAPHQL_PATH, apiKeyHeader: config.apiKeys && API_KEY_HEADER, logger }));
    }
    if (config.console) app.use(createConsole({ graphqlPath: GRAPHQL_PATH, keysRequired: config.apiKeys !== undefined, logger }));
    app.use(
      GRAPHQL_PATH,
      graphqlRequestObserver(observability.metrics, logger),
      express.json({ limit: config.limits.maxBodyBytes }),
      graphql.middleware,
    );
    app.use(jsonErrorHandler({ logger, maxBodyBytes: config.limits.maxBodyBytes }));
    const baseUrl = await listen(httpServer, config.port, config.host);
    const url = `${baseUrl}${GRAPHQL_PATH}`;
    await mirrorSync?.start();
    // The embedded emulator reaches this gateway where it listens.
    await mirror?.start(config.publicUrl ?? (emulator ? baseUrl : undefined));
    orchestrator?.start();

    let closing: Promise<void> | undefined;
    return {
      url,
      baseUrl,
      platform: { url: platform.url, appId: platform.appId },
      emulator: emulator && { url: emulator.url, credentials: emulator.credentials },
      close: () => (closing ??= stop()),
    };
  } catch (error) {
    await stop().catch((stopError: unknown) => logger.error('cleanup after a failed start failed:', stopError));
    throw error;
  }
}

/** Listens and returns the base URL (with the port actually bound, so port 0 works). */
function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => reject(asPortInUse(error, 'PORT', port, host));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      const { port: bound } = server.address() as AddressInfo;
      // A wildcard address is not somewhere to browse to; loopback reaches it from this machine.
      const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
      resolve(`http://${shown}:${bound}`);
    });
  });
}
