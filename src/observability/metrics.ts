/**
 * Prometheus metrics (prom-client), served at `GET /metrics`. The datasources know nothing of this module: platform
 * calls arrive through the PlatformClient's `onCall` observer, GraphQL requests from the HTTP layer, and the rest
 * (rate budget, caches, token counters) is read from the components' own `stats` when Prometheus scrapes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PlatformCaches } from '../datasources/caches.js';
import type { PlatformCallEvent } from '../datasources/platform/call-event.js';
import type { PlatformClient } from '../datasources/platform/client.js';
import type { RateBudget } from '../datasources/platform/rate-budget.js';
import type { NotificationCounts } from '../domain/health.js';
import type { LiveStats } from '../graphql/live-events.js';

/** How a GraphQL request ended, as the `outcome` label says it. */
export type GraphQLOutcome =
  /** data, no errors */
  | 'success'
  /** data with errors (a field failed, its siblings did not) */
  | 'partial'
  /** executed, but no data */
  | 'failed'
  /** refused before execution: no or unknown API key, unparsable, invalid, over a limit, too large */
  | 'rejected';

export interface GraphQLRequestObservation {
  /** The operation's name; undefined when anonymous or never resolved. */
  operationName?: string;
  outcome: GraphQLOutcome;
  durationMs: number;
  /** `extensions.code` of each error in the response. */
  errorCodes: readonly string[];
}

export interface MetricSources {
  platform: PlatformClient;
  budget: RateBudget;
  caches: PlatformCaches;
}

const PREFIX = 'northbound_gateway_';
/** Seconds; requests wait up to the request deadline (10 s by default) for the call budget. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Operation names are chosen by clients: at most this many distinct label values, the rest count as `(other)`. */
const MAX_OPERATION_NAMES = 100;

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #operationNames = new Set<string>();
  readonly #graphqlRequests: Counter<'operation' | 'outcome'>;
  readonly #graphqlErrors: Counter<'code'>;
  readonly #graphqlDuration: Histogram<'operation' | 'outcome'>;
  readonly #platformCalls: Counter<'route' | 'status'>;
  readonly #platformDuration: Histogram<'route'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.#graphqlRequests = new Counter({
      name: `${PREFIX}graphql_requests_total`,
      help: 'GraphQL requests by operation name and outcome (success, partial, failed, rejected).',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.#graphqlErrors = new Counter({
      name: `${PREFIX}graphql_errors_total`,
      help: 'Errors in GraphQL responses, by extensions.code.',
      labelNames: ['code'],
      registers,
    });
    this.#graphqlDuration = new Histogram({
      name: `${PREFIX}graphql_request_duration_seconds`,
      help: 'GraphQL request latency, from the request arriving to the response sent.',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#platformCalls = new Counter({
      name: `${PREFIX}platform_calls_total`,
      help: 'Exchanges with the platform by route (method and path template) and HTTP status (or timeout, network, circuit_open, rate_limited: not sent for want of a budget slot).',
      labelNames: ['route', 'status'],
      registers,
    });
    this.#platformDuration = new Histogram({
      name: `${PREFIX}platform_call_duration_seconds`,
      help: 'Platform call latency by route (one HTTP exchange; queueing for the call budget not included).',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  /** The PlatformClient's `onCall` observer. */
  observePlatformCall(event: PlatformCallEvent): void {
    this.#platformCalls.inc({ route: event.route, status: String(event.status) });
    if (event.status !== 'circuit_open' && event.status !== 'rate_limited') this.#platformDuration.observe({ route: event.route }, event.durationMs / 1000);
  }

  observeGraphQLRequest(observation: GraphQLRequestObservation): void {
    const labels = { operation: this.#operationLabel(observation.operationName), outcome: observation.outcome };
    this.#graphqlRequests.inc(labels);
    this.#graphqlDuration.observe(labels, observation.durationMs / 1000);
    for (const code of observation.errorCodes) this.#graphqlErrors.inc({ code });
  }

  /** Gauges and counters read from the components when Prometheus scrapes. */
  collectFrom({ platform, budget, caches }: MetricSources): void {
    const registers = [this.registry];
    cumulative(registers, `${PREFIX}platform_logins_total`, 'Logins to the platform (each one invalidates the earlier tokens).', () => platform.stats.logins);
    cumulative(registers, `${PREFIX}platform_token_refreshes_total`, 'Access token refreshes.', () => platform.stats.refreshes);
    cumulative(registers, `${PREFIX}platform_retries_total`, 'Platform reads tried again after a transient failure.', () => platform.stats.retries);
    cumulative(registers, `${PREFIX}platform_reads_shared_total`, "Platform reads not sent: the same read for another request was in flight, and its answer served both.", () => platform.sharedReads);
    new Gauge({
      name: `${PREFIX}platform_token_valid`,
      help: '1 while the gateway holds an access token it believes valid.',
      registers,
      collect() {
        this.set(platform.tokenValid ? 1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}platform_circuit_state`,
      help: "The platform circuit breaker's state: 1 for the current one of closed, half_open, open.",
      labelNames: ['state'],
      registers,
      collect() {
        const current = platform.circuit;
        for (const [state, name] of [['closed', 'closed'], ['halfOpen', 'half_open'], ['open', 'open']] as const) {
          this.set({ state: name }, current === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}rate_budget_queue_depth`,
      help: 'Platform calls waiting for a slot of the call budget.',
      registers,
      collect() {
        this.set(budget.queueDepth);
      },
    });
    cumulative(registers, `${PREFIX}rate_budget_granted_total`, 'Call budget slots granted.', () => budget.stats.granted);
    cumulative(registers, `${PREFIX}rate_budget_waits_total`, 'Calls that had to wait for a call budget slot.', () => budget.stats.waited);
    cumulative(registers, `${PREFIX}rate_budget_wait_seconds_total`, 'Time calls spent waiting for a call budget slot.', () => budget.stats.waitedMs / 1000);
    cumulative(registers, `${PREFIX}rate_budget_rejected_total`, 'Calls refused because no slot was free before their deadline (RATE_LIMITED).', () => budget.stats.rejected);
    cumulativeByLabel(registers, `${PREFIX}cache_hits_total`, 'Shared cache hits by cache.', 'cache', () => caches.all().map((c) => [c.name, c.hits]));
    cumulativeByLabel(registers, `${PREFIX}cache_misses_total`, 'Shared cache misses by cache.', 'cache', () => caches.all().map((c) => [c.name, c.misses]));
    new Gauge({
      name: `${PREFIX}cache_entries`,
      help: 'Entries held by each shared cache.',
      labelNames: ['cache'],
      registers,
      collect() {
        for (const cache of caches.all()) this.set({ cache: cache.name }, cache.size);
      },
    });
  }

  /** The mirror's notification receiver: what it took, refused or sent back, and the backlog not applied yet. */
  collectNotifications(read: () => NotificationCounts): void {
    const registers = [this.registry];
    cumulativeByLabel(
      registers,
      `${PREFIX}mirror_notifications_total`,
      "The platform's notifications by outcome: taken (journaled, 200), rejected (404/400), deferred (503: the platform sends them again), discarded (set aside after failing while the store answered).",
      'outcome',
      () => {
        const { received, rejected, deferred, discarded } = read();
        return [['taken', received], ['rejected', rejected], ['deferred', deferred], ['discarded', discarded]];
      },
    );
    new Gauge({
      name: `${PREFIX}mirror_notifications_pending`,
      help: 'Notifications taken (journaled) and not applied to the mirror yet.',
      registers,
      collect() {
        this.set(read().pending);
      },
    });
    new Gauge({
      name: `${PREFIX}mirror_notifications_oldest_pending_seconds`,
      help: 'How long the oldest pending notification has waited to be applied (0: none pending).',
      registers,
      collect() {
        const { oldestPendingAt } = read();
        this.set(oldestPendingAt === undefined ? 0 : Math.max(0, (Date.now() - oldestPendingAt) / 1000));
      },
    });
  }

  /** Live updates: open subscriptions and their change listeners, their events' executions. */
  collectLive(read: () => LiveStats, listeners: () => number): void {
    const registers = [this.registry];
    new Gauge({
      name: `${PREFIX}live_subscriptions`,
      help: 'Subscriptions open (their event stream not ended), by transport: one a client completed or dropped is gone at once.',
      labelNames: ['transport'],
      registers,
      collect() {
        for (const [transport, count] of Object.entries(read().subscriptions)) this.set({ transport }, count);
      },
    });
    gauge(registers, `${PREFIX}live_change_listeners`, 'Listeners on the change events (one per open stream); 0 once every subscription is released.', listeners);
    gauge(registers, `${PREFIX}live_executions_queued`, "Subscription events waiting for their turn to be executed (keys are served in turn).", () => read().queued);
    cumulative(registers, `${PREFIX}live_executions_total`, 'Subscription events executed: once per distinct document, variables and key per event.', () => read().executions);
    cumulative(registers, `${PREFIX}live_executions_shared_total`, "Subscription events answered with an equal subscriber's execution.", () => read().shared);
  }

  /** Answers kept until the store's data changes (see graphql/response-cache.ts). */
  collectResponses(read: () => { hits: number; misses: number }): void {
    const registers = [this.registry];
    cumulative(registers, `${PREFIX}response_cache_hits_total`, "Queries answered with a kept answer: the store's data had not changed since it was made.", () => read().hits);
    cumulative(registers, `${PREFIX}response_cache_misses_total`, 'Queries that could be kept, executed: none kept yet, or the data changed since.', () => read().misses);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #operationLabel(name: string | undefined): string {
    if (name === undefined || name === '') return '(anonymous)';
    if (this.#operationNames.has(name)) return name;
    if (this.#operationNames.size >= MAX_OPERATION_NAMES) return '(other)';
    this.#operationNames.add(name);
    return name;
  }
}

/** A counter whose value is a component's own running total, read at scrape time. */
function cumulative(registers: Registry[], name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const value = read();
      if (value > last) this.inc(value - last);
      last = Math.max(last, value);
    },
  });
}

/** A gauge read from a component at scrape time. */
function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

function cumulativeByLabel(registers: Registry[], name: string, help: string, label: string, read: () => [string, number][]): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      for (const [value, total] of read()) {
        const before = last.get(value) ?? 0;
        // Zero counters show up too, so a dashboard sees every cache from the first scrape.
        this.inc({ [label]: value }, Math.max(0, total - before));
        last.set(value, Math.max(before, total));
      }
    },
  });
}
