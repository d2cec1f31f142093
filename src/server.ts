import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { buildGatewaySchema } from './graphql/build-schema.js';
import { StartRefused, type GatewayConfig, type RemotePlatformConfig } from './config.js';
import { API_KEY_HEADER } from './graphql/auth.js';
import type { ContextDependencies } from './graphql/context.js';
import type { MirrorReadiness } from './graphql/limits.js';
import { maxOpenSubscriptions, startGraphQL, type GraphQLTransports } from './graphql/transports.js';
import { PlatformCaches } from './datasources/caches.js';
import { platformApis, type Platform } from './datasources/index.js';
import { Idempotency } from './services/exactly-once.js';
import { Normalizer } from './datasources/normalize.js';
import { PlatformClient } from './datasources/platform/client.js';
import { outageReserveOf } from './datasources/platform/outage-account.js';
import { RateBudget } from './datasources/platform/rate-budget.js';
import { openStore, type Store, type StoreLocation } from './store/index.js';
import { describeOpenFailure } from './store/open-failure.js';
import { claimMirrorSource, describeSource, emulatorSource, remoteSource, type MirrorSource } from './store/mirror-source.js';
import { Mirror, MIRROR_CLIENT } from './sync/mirror.js';
import { CREATE_DEADLINE_MS, ROLLOUT_CLIENT, RolloutOrchestrator } from './services/rollout-orchestrator.js';
import { RolloutService } from './services/rollouts.service.js';
import { ContinuousRollouts } from './services/continuous-rollouts.js';
import { AuditTrail } from './services/audit.service.js';
import { recordingTransitions } from './services/rollout-transitions.js';
import { fanOut } from './services/fanout.js';
import { changeListeners } from './services/changes.js';
import { pingStore } from './store/availability.js';
import { UpgradeTasksService } from './services/upgrade-tasks.service.js';
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
import { tracingProtocol, TracingSettingError, type Tracing } from './observability/tracing-settings.js';
import { graphqlRequestObserver, jsonErrorHandler, requestIdMiddleware, requestRecordOf, requestRecordPlugin } from './observability/http.js';
import { RefusalLog } from './logging/refusal-log.js';
import { createPlayground } from './playground/index.js';
import { createConsole } from './console/index.js';

export const GRAPHQL_PATH = '/graphql';
/** GraphQL over Server-Sent Events: its own path, since a POST to GRAPHQL_PATH is Apollo's. */
export const GRAPHQL_SSE_PATH = `${GRAPHQL_PATH}/stream`;
/** How long a background call (the mirror's) may wait for the call budget. */
const BACKGROUND_DEADLINE_MS = 120_000;
/** How long the replica that runs the mirror's sync keeps that role after its last sign of life. */
const MIRROR_SYNC_LEASE_MS = 15_000;
/** The embedded emulator's state, under GATEWAY_DATA_DIR. */
const EMULATOR_STATE_FILE = join('emulator', 'state.json');
/** Listeners of one change event besides the subscriptions': the replicas' fan-out and the rollout orchestrator. */
const OWN_CHANGE_LISTENERS = 2;

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
  /** Deletes the audit records older than GATEWAY_AUDIT_DAYS before `now` (the hourly sweep's step, at any time): how many. */
  sweepAudit(now?: number): Promise<number>;
  /** Stops accepting requests, lets running ones finish, then stops the embedded emulator. */
  close(): Promise<void>;
}

/** What a running gateway is made of, closed in this order (see `stop`). */
interface Parts {
  logger: Logger;
  refusals: RefusalLog;
  emulator?: RunningEmulator;
  store?: Store;
  budget?: RateBudget;
  idempotency?: Idempotency;
  mirror?: Mirror;
  mirrorSync?: LeaseKeeper;
  orchestrator?: RolloutOrchestrator;
  audit?: AuditTrail;
  graphql?: GraphQLTransports;
  tracing?: Tracing;
}

/** Stops accepting requests first, then the background work (the budget refuses what waits on it), the store last. */
async function stop(parts: Parts): Promise<void> {
  await parts.graphql?.stop();
  await parts.orchestrator?.close();
  parts.audit?.close();
  parts.refusals.close();
  parts.budget?.close();
  parts.idempotency?.close();
  await parts.mirror?.close();
  await parts.mirrorSync?.close();
  // After the drain: a create answered during it still records its outcome.
  await parts.store?.close();
  await parts.emulator?.close();
  // Last: the spans of what closed before are sent too.
  await parts.tracing?.shutdown();
}

/** Starts the whole gateway, or nothing: a failure part-way closes what had started and rethrows. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const parts: Parts = { logger, refusals: new RefusalLog(logger) };
  try {
    const tracing = (parts.tracing = await tracingOf(logger));
    const settings = await platformSettings(config, parts);
    const store = (parts.store = await openStore(config.store, { onQuery: tracing?.storeQuery }).catch((error: unknown) => {
      throw new StartRefused(describeOpenFailure(error, config.store));
    }));
    await claimStore(store, config.store, settings.source, logger);
    // Only once the store agrees: a refused start writes nothing into the data dir.
    parts.emulator?.keepState();
    if (parts.emulator?.restored) logger.info('the embedded emulator goes on from its state in GATEWAY_DATA_DIR (EMULATOR_SEED and EMULATOR_DEVICES make a fresh one)');
    const observability = new Observability(logger, { tracing });
    const platform = platformOf(config, settings, store, observability, parts);
    const mirror = startMirror(config, platform, settings.appId, store, parts);
    if (mirror) observability.metrics.collectNotifications(() => mirror.notificationCounts);
    const idempotency = parts.idempotency as Idempotency;
    const audit = (parts.audit = new AuditTrail(store.audit, logger, config.auditDays));
    const rollouts = mirror && rolloutsOf(config, platform, store, mirror, idempotency, audit, parts);
    if (store.shared && mirror) fanOut(store.shared.notices, mirror, rollouts, logger);

    const app = express();
    app.disable('x-powered-by');
    const httpServer = createServer(app);
    const dependencies: ContextDependencies = {
      platform,
      idempotency,
      mirror,
      rollouts,
      dynamicGroups: mirror && { groups: store.dynamicGroups, continuous: store.continuousRollouts },
      embeddedEmulator: parts.emulator !== undefined,
      audit,
      requestDeadlineMs: config.requestDeadlineMs,
      apiKeys: config.apiKeys,
    };
    const graphql = await graphqlEndpoint(config, httpServer, dependencies, parts);
    observability.metrics.collectLive(() => graphql.live.stats, changeListeners);
    const responses = graphql.responses;
    if (responses) observability.metrics.collectResponses(() => responses.stats);
    app.use(requestIdMiddleware());
    if (config.corsOrigins.length > 0) app.use(corsMiddleware(config.corsOrigins));
    app.use(observability.routes());
    if (mirror) app.use(notificationReceiver(mirror));
    app.use(endpointPage({ graphqlPath: GRAPHQL_PATH, playground: config.playground }));
    if (config.playground === 'graphiql') {
      app.use(createPlayground({ graphqlPath: GRAPHQL_PATH, streamPath: GRAPHQL_SSE_PATH, apiKeyHeader: config.apiKeys && API_KEY_HEADER, logger }));
    }
    if (config.console) app.use(createConsole({ graphqlPath: GRAPHQL_PATH, keysRequired: config.apiKeys !== undefined, logger }));
    // Before GRAPHQL_PATH, which would take it as a prefix.
    app.use(GRAPHQL_SSE_PATH, express.json({ limit: config.limits.maxBodyBytes }), graphql.sse);
    app.use(GRAPHQL_PATH, graphqlRequestObserver(observability.metrics, logger), express.json({ limit: config.limits.maxBodyBytes }), graphql.middleware);
    app.use(jsonErrorHandler({ logger, maxBodyBytes: config.limits.maxBodyBytes }));
    const baseUrl = await listen(httpServer, config.port, config.host);
    await parts.mirrorSync?.start();
    // The embedded emulator reaches this gateway where it listens.
    await mirror?.start(config.publicUrl ?? (parts.emulator ? baseUrl : undefined));
    parts.orchestrator?.start();
    audit.start();

    let closing: Promise<void> | undefined;
    return {
      url: `${baseUrl}${GRAPHQL_PATH}`,
      baseUrl,
      platform: { url: platform.client.url, appId: platform.client.appId },
      emulator: parts.emulator && { url: parts.emulator.url, credentials: parts.emulator.credentials },
      sweepAudit: (now) => audit.sweep(now),
      close: () => (closing ??= stop(parts)),
    };
  } catch (error) {
    await stop(parts).catch((stopError: unknown) => logger.error('cleanup after a failed start failed:', stopError));
    throw error;
  }
}

/** Tracing as the standard OTEL_* variables ask (read by the SDK itself: the process's environment); off without them. */
async function tracingOf(logger: Logger): Promise<Tracing | undefined> {
  let protocol;
  try {
    protocol = tracingProtocol(process.env);
  } catch (error) {
    if (error instanceof TracingSettingError) throw new StartRefused(error.message);
    throw error;
  }
  if (!protocol) return undefined;
  // Loaded only to trace: the SDK's modules alone take about 45 MB.
  const { startTracing } = await import('./observability/tracing.js');
  return startTracing(protocol, logger);
}

type PlatformSettings = { url: string; appId: string; secret: string; tls?: RemotePlatformConfig['tls']; source: MirrorSource };

/** The platform to talk to: the configured one, or the emulator started here (going on from its state, if kept). */
async function platformSettings(config: GatewayConfig, parts: Parts): Promise<PlatformSettings> {
  if (config.platform.kind === 'remote') {
    if (config.apiKeys === undefined) {
      parts.logger.warn('GATEWAY_ALLOW_ANONYMOUS=true: no API keys; anyone who reaches this gateway can query the platform and create tasks on it');
    }
    return { ...config.platform, source: remoteSource(config.platform.url, config.platform.appId) };
  }
  // Loaded only when needed: a gateway on a real platform never loads the emulator's code.
  const { startEmulator, DEFAULTS, EmulatorStateError } = await import('./emulator/index.js');
  const { emulator: { port, seed, devices }, stateDir } = config.platform;
  const stateFile = stateDir === undefined ? undefined : join(stateDir, EMULATOR_STATE_FILE);
  const emulator = (parts.emulator = await startEmulator({ port, seed, devices, stateFile }).catch(async (error: unknown) => {
    if (error instanceof EmulatorStateError && error.denied) {
      throw new StartRefused(`GATEWAY_DATA_DIR: ${error.message}; give the gateway's user read and write access to ${stateDir} and its files, or set GATEWAY_DATA_DIR to a directory it may write`);
    }
    if (error instanceof EmulatorStateError) {
      throw new StartRefused(`GATEWAY_DATA_DIR: ${error.message}; the embedded emulator cannot go on from it: move ${stateDir} away to start afresh (its store mirrors that emulator)`);
    }
    // The gateway's own port is listened on later: said now too if it is taken as well.
    throw await asPortInUse(error, { variable: 'EMULATOR_PORT', port, host: DEFAULTS.host }, [{ variable: 'PORT', port: config.port, host: config.host }]);
  }));
  const appId = config.platform.appId ?? emulator.credentials.appId;
  return { url: emulator.url, appId, secret: config.platform.secret ?? emulator.credentials.secret, source: emulatorSource(emulator.identity, appId) };
}

/** A store mirrors one platform and application, recorded at its first start: another's is refused, never mixed. */
async function claimStore(store: Store, location: StoreLocation, source: MirrorSource, logger: Logger): Promise<void> {
  const claim = await claimMirrorSource(store.mirror.syncState, source);
  if (claim.outcome === 'recorded' && claim.adopted) {
    logger.warn({ mirrors: describeSource(source) }, 'the store named no platform (it predates that record): it now mirrors this one, and its next full sync repairs what it holds');
  }
  if (claim.outcome !== 'other') return;
  const held = `holds the mirror of ${describeSource(claim.recorded)}, not of this one (${describeSource(source)})`;
  throw new StartRefused(
    location.engine === 'sqlite'
      ? `GATEWAY_DATA_DIR: ${location.dataDir} ${held}; move that directory away (or delete it) to start afresh, or set GATEWAY_DATA_DIR to this platform's own directory`
      : `DATABASE_URL: the database ${held}; drop it and create it empty to start afresh, or set DATABASE_URL to this platform's own database`,
  );
}

/** The platform's one client, its call budget (in the store), the payload reader and the shared caches. */
function platformOf(config: GatewayConfig, settings: PlatformSettings, store: Store, observability: Observability, parts: Parts): Platform {
  const budget = (parts.budget = new RateBudget({
    ...config.rateLimit,
    key: settings.appId,
    ledger: store.budget,
    clientShare: config.clientBudgetShare,
    sharesOf: { [MIRROR_CLIENT]: config.mirror.budgetShare },
    // The mirror's share is a hard cap of every window: clients may come later in it.
    background: [MIRROR_CLIENT],
    // Replicas share the ledger in PostgreSQL; while it is down each spends only its part of the budget alone.
    fallbackCalls: store.shared && Math.max(1, Math.floor(config.rateLimit.calls / config.replicas)),
    outageReserve: outageReserveOf(config.rateLimit.calls, config.replicas),
  }));
  const client = new PlatformClient({
    ...settings,
    timeoutMs: config.platformTimeoutMs,
    circuitResetMs: config.circuitResetMs,
    budget,
    onCall: observability.onPlatformCall,
    vault: store.shared && new SharedToken(store.shared.tokens, settings.appId, settings.secret),
  });
  // A create's sender may wait for the budget up to the request's deadline, then for the platform's answer.
  parts.idempotency = new Idempotency(store.idempotency, config.requestDeadlineMs + config.platformTimeoutMs + 5_000, client.clock);
  const caches = new PlatformCaches(config.cache);
  observability.attach({ platform: client, budget, caches }, { probeTimeoutMs: Math.min(config.platformTimeoutMs, 5000), store: () => pingStore(store.db) });
  return { client, caches, budget, normalizer: new Normalizer((message) => parts.logger.warn(message)) };
}

/** The fleet mirror, unless MIRROR_BUDGET_SHARE=0; on a shared store, one replica at a time syncs. */
function startMirror(config: GatewayConfig, platform: Platform, appId: string, store: Store, parts: Parts): Mirror | undefined {
  if (config.mirror.budgetShare <= 0) return undefined;
  // Background calls have no request to finish for: they may wait for the budget as long as it takes.
  const background = (share: number) => ({ get deadline() { return Date.now() + BACKGROUND_DEADLINE_MS; }, priority: 'query' as const, client: MIRROR_CLIENT, share });
  const { leases } = store;
  const replica = randomUUID();
  const mirrorSync = (parts.mirrorSync = store.shared && new LeaseKeeper(leases, 'mirror-sync', MIRROR_SYNC_LEASE_MS));
  // Group members are the sync's to keep (see withoutGroupMembers); its other reads fill the shared caches.
  const syncing = { ...platform, caches: platform.caches.withoutGroupMembers() };
  return (parts.mirror = new Mirror({
    repo: store.mirror,
    maxListeners: maxChangeListeners(config),
    platform: (share) => platformApis(syncing, background(share)),
    budget: config.rateLimit,
    normalizer: platform.normalizer,
    logger: parts.logger,
    appId,
    budgetShare: config.mirror.budgetShare,
    fullSyncMinutes: config.mirror.fullSyncMinutes,
    pollSeconds: config.mirror.pollSeconds,
    replicas: mirrorSync && { sync: mirrorSync, claim: (name, ttlMs) => leases.acquire(name, replica, Date.now(), ttlMs) },
    // Each process its own: replicas on one database each keep theirs in their own data dir.
    journalDir: config.dataDir === ':memory:' ? undefined : join(config.dataDir, 'notifications'),
  }));
}

/**
 * Listeners one change event may have: every subscription the connection limits allow, and the gateway's own. Node
 * warns past it, so a warning means listeners leaked, never that many clients listen.
 */
function maxChangeListeners(config: GatewayConfig): number {
  return maxOpenSubscriptions(config.webSocket) + OWN_CHANGE_LISTENERS;
}

/** Rollouts: an operator's commands, and the orchestrator that moves them on (with the mirror only). */
function rolloutsOf(config: GatewayConfig, platform: Platform, store: Store, mirror: Mirror, idempotency: Idempotency, audit: AuditTrail, parts: Parts): RolloutService {
  // Rollouts' creates are mutations: they go before queries in the budget's queue.
  const creates = { get deadline() { return Date.now() + CREATE_DEADLINE_MS; }, priority: 'mutation' as const, client: ROLLOUT_CLIENT };
  const orchestrator = (parts.orchestrator = new RolloutOrchestrator({
    // Its halts and completions go to the audit trail, beside the operators' commands.
    repo: recordingTransitions(store.rollouts, audit, ROLLOUT_CLIENT),
    maxListeners: maxChangeListeners(config),
    leases: store.leases,
    mirror,
    upgradeTasks: () => new UpgradeTasksService(platformApis(platform, creates).upgradeTasks, idempotency, mirror),
    logger: parts.logger,
    continuous: new ContinuousRollouts(store.continuousRollouts, store.dynamicGroups, mirror, () => store.dataVersion.current()),
    schedule: store.rolloutSchedule,
    platformNow: () => platform.client.clock.earliestAt(Date.now()) ?? Date.now(),
  }));
  return new RolloutService(store.rollouts, mirror, orchestrator, idempotency, { groups: store.dynamicGroups, continuous: store.continuousRollouts });
}

/** GraphQL over HTTP and over WebSocket, one request pipeline for both, on the same server and path. */
async function graphqlEndpoint(config: GatewayConfig, httpServer: Server, dependencies: ContextDependencies, parts: Parts): Promise<GraphQLTransports> {
  const graphql = (parts.graphql = await startGraphQL({
    schema: await buildGatewaySchema(),
    context: dependencies,
    limits: config.limits,
    introspection: config.introspection,
    maxPlatformCalls: (parts.budget as RateBudget).clientCap,
    mirror: dependencies.mirror && limitsView(dependencies.mirror),
    logger: parts.logger,
    refusals: parts.refusals,
    dataVersion: () => parts.store?.dataVersion.current(),
    tracer: parts.tracing?.requests,
    plugins: [httpDrainPlugin(new HttpDrain(httpServer)), requestRecordPlugin()],
    // Apollo's own page (Sandbox) only when asked for: it loads from Apollo's CDN and is blank offline.
    sandbox: config.playground === 'apollo-sandbox',
    retryAfterSeconds: config.rateLimit.windowSeconds,
    recordOf: requestRecordOf,
    allowedOrigins: config.corsOrigins,
    webSocketLimits: config.webSocket,
  }));
  graphql.serveWebSocket(httpServer, GRAPHQL_PATH);
  return graphql;
}

/** The mirror as the query limits see it: whether it answers, and which devices it holds (the others cost a call). */
function limitsView(mirror: Mirror): MirrorReadiness {
  return {
    get ready() {
      return mirror.ready;
    },
    readyBy: (deadline) => mirror.readyBy(deadline),
    devicesHeld: (ids) => mirror.repo.devices.heldIds(ids),
  };
}

/** Listens and returns the base URL (with the port actually bound, so port 0 works). */
function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => void asPortInUse(error, { variable: 'PORT', port, host }).then(reject);
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
