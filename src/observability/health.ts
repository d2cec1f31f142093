/**
 * Liveness and readiness for orchestrators and load balancers. `GET /health/live`: the process serves HTTP.
 * `GET /health/ready`: the gateway can answer queries now, that is, the platform answers, the gateway holds a valid
 * token, and the circuit is closed. Readiness costs the platform at most one cheap call per few seconds however
 * often it is asked, and none while GraphQL traffic shows the platform answering. An exhausted call budget is
 * reported, not counted against readiness: it frees by itself, and another replica would share the same budget.
 */
import express, { type Router } from 'express';
import { gatewayCodeOf, PlatformError } from '../datasources/platform/errors.js';
import { RateLimitedError } from '../datasources/platform/rate-budget.js';
import type { PlatformCallEvent } from '../datasources/platform/call-event.js';
import type { PlatformClient } from '../datasources/platform/client.js';
import type { Logger } from '../logging/logger.js';

export const LIVE_PATH = '/health/live';
export const READY_PATH = '/health/ready';

export interface Check {
  ok: boolean;
  [detail: string]: unknown;
}

export interface ReadinessReport {
  ready: boolean;
  checks: { platform: Check; token: Check; circuit: Check; budget: BudgetCheck; store?: Check };
  /** When the platform was last seen answering (a probe or any call), ISO. */
  checkedAt: string;
}

/** Information only (always ok): whether the call budget refuses calls now, and when it expects a free slot. */
export interface BudgetCheck extends Check {
  exhausted: boolean;
  retryAfterSeconds?: number;
  /** ISO. */
  freesAt?: string;
}

export interface ReadinessOptions {
  /** How long a result (and an observed platform answer) stands before the platform is asked again. */
  cacheMs?: number;
  /** How long the probe may take. */
  probeTimeoutMs?: number;
  /**
   * Resolves when the store answers. A replica without its store answers platform reads only: no fleet queries,
   * live updates, rollouts or keyed creates, so it is not ready.
   */
  store?: () => Promise<void>;
}

const DEFAULT_CACHE_MS = 5000;
const DEFAULT_PROBE_TIMEOUT_MS = 3000;

export class Readiness {
  readonly #platform: PlatformClient;
  readonly #cacheMs: number;
  readonly #probeTimeoutMs: number;
  readonly #store: (() => Promise<void>) | undefined;
  /** The latest exchange the platform answered or did not, from the client's observer. */
  #lastExchange: { answered: boolean; at: number } | undefined;
  /** Until when the call budget is expected to refuse calls, as its latest refusal said. */
  #budgetExhaustedUntil = 0;
  #cached: { report: ReadinessReport; at: number } | undefined;
  #checking: Promise<ReadinessReport> | undefined;
  /** Platform probes made (for tests and curiosity). */
  probes = 0;

  constructor(platform: PlatformClient, options: ReadinessOptions = {}) {
    this.#platform = platform;
    this.#cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.#store = options.store;
  }

  /** Feed of the PlatformClient's `onCall`: an answer (any status below 500) shows the platform reachable. */
  observe(event: PlatformCallEvent): void {
    if (event.status === 'rate_limited') {
      this.#budgetExhaustedUntil = Date.now() + (event.retryAfterSeconds ?? 0) * 1000;
      return;
    }
    if (event.status === 'circuit_open') return;
    this.#lastExchange = { answered: typeof event.status === 'number' && event.status < 500, at: Date.now() };
  }

  /** The current report; concurrent callers share one check, and a report stands for `cacheMs`. */
  check(): Promise<ReadinessReport> {
    if (this.#cached && Date.now() - this.#cached.at < this.#cacheMs) return Promise.resolve(this.#cached.report);
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<ReadinessReport> {
    const now = Date.now();
    const recent = this.#lastExchange !== undefined && now - this.#lastExchange.at < this.#cacheMs ? this.#lastExchange : undefined;
    const store = this.#store && this.#storeCheck(this.#store);
    let platform: Check;
    if (recent?.answered && this.#platform.tokenValid && this.#platform.circuit === 'closed') {
      // GraphQL traffic has just shown what a probe would: no call needed.
      platform = { ok: true };
    } else {
      platform = await this.#probe();
    }
    const circuit = this.#platform.circuit;
    const report: ReadinessReport = {
      ready: false,
      checks: {
        platform,
        token: { ok: this.#platform.tokenValid },
        circuit: { ok: circuit === 'closed', state: circuit },
        budget: this.#budget(),
        ...(store ? { store: await store } : {}),
      },
      checkedAt: new Date().toISOString(),
    };
    report.ready = Object.values(report.checks).every((check) => check.ok);
    this.#cached = { report, at: Date.now() };
    return report;
  }

  async #storeCheck(ping: () => Promise<void>): Promise<Check> {
    try {
      await ping();
      return { ok: true };
    } catch {
      return { ok: false, error: 'STORE_UNAVAILABLE' };
    }
  }

  #budget(): BudgetCheck {
    const waitMs = this.#budgetExhaustedUntil - Date.now();
    if (waitMs <= 0) return { ok: true, exhausted: false };
    return { ok: true, exhausted: true, retryAfterSeconds: Math.ceil(waitMs / 1000), freesAt: new Date(this.#budgetExhaustedUntil).toISOString() };
  }

  /**
   * One cheap authenticated read (logging in first when there is no token). The budget refuses it at once when no
   * slot frees before its deadline: then the platform was not asked, and the last answer seen stands.
   */
  async #probe(): Promise<Check> {
    this.probes += 1;
    try {
      await this.#platform.health({ deadline: Date.now() + this.#probeTimeoutMs, priority: 'query', requestId: 'readiness-probe' });
      return { ok: true };
    } catch (error) {
      if (error instanceof RateLimitedError) return { ok: this.#lastExchange?.answered ?? true, checked: false };
      if (!(error instanceof PlatformError)) return { ok: false, error: 'INTERNAL_SERVER_ERROR' };
      return { ok: false, error: gatewayCodeOf(error), upstreamCode: error.code };
    }
  }
}

/** `GET /health/live` and `GET /health/ready`, answered with JSON and never cached by intermediaries. */
export function healthRoutes(readiness: Readiness, logger: Logger): Router {
  const router = express.Router();
  router.get(LIVE_PATH, (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'live' });
  });
  router.get(READY_PATH, async (_req, res) => {
    try {
      const report = await readiness.check();
      if (!report.ready) logger.debug({ checks: report.checks }, 'not ready');
      res
        .status(report.ready ? 200 : 503)
        .set('cache-control', 'no-store')
        .json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks, checkedAt: report.checkedAt });
    } catch (error) {
      logger.error('readiness check failed:', error);
      res.status(503).set('cache-control', 'no-store').json({ status: 'not ready' });
    }
  });
  return router;
}
