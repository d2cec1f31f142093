/**
 * Observability, wired from outside the components it watches: the platform client reports each call to
 * `onPlatformCall` (its `onCall` option), metrics read the rate budget, caches and token counters at scrape time,
 * the HTTP routes (`/health/live`, `/health/ready`, `/metrics`) are mounted by the server, and tracing (tracing.ts),
 * when on, is handed to the request pipeline and the store by the server.
 */
import express, { type Router } from 'express';
import type { PlatformCallEvent } from '../datasources/platform/call-event.js';
import type { Logger } from '../logging/logger.js';
import { healthRoutes, Readiness, type ReadinessOptions } from './health.js';
import { GatewayMetrics, type MetricSources } from './metrics.js';
import type { Tracing } from './tracing-settings.js';

export const METRICS_PATH = '/metrics';

export class Observability {
  readonly metrics: GatewayMetrics;
  readonly #logger: Logger;
  readonly #tracing: Tracing | undefined;
  #readiness: Readiness | undefined;

  constructor(logger: Logger, options: { defaultMetrics?: boolean; tracing?: Tracing } = {}) {
    this.#logger = logger;
    this.#tracing = options.tracing;
    this.metrics = new GatewayMetrics({ defaultMetrics: options.defaultMetrics });
  }

  /** For the PlatformClient's `onCall`: counts, times, logs and traces each exchange, with the request id it served. */
  readonly onPlatformCall = (event: PlatformCallEvent): void => {
    this.metrics.observePlatformCall(event);
    this.#readiness?.observe(event);
    this.#tracing?.platformCall(event);
    const fields = { requestId: event.requestId, route: event.route, status: event.status, code: event.code, durationMs: event.durationMs, budgetWaitMs: event.budgetWaitMs };
    // Refusals are many under load: the request's own log line reports them, aggregated per client.
    if (event.status === 'rate_limited') this.#logger.debug(fields, 'platform call not sent: no budget slot');
    else if (typeof event.status === 'number' && event.status < 400) this.#logger.debug(fields, 'platform call');
    else this.#logger.info(fields, 'platform call failed');
  };

  /** Starts watching the components, once they exist. */
  attach(sources: MetricSources, readiness: ReadinessOptions = {}): void {
    this.metrics.collectFrom(sources);
    this.#readiness = new Readiness(sources.platform, readiness);
  }

  get readiness(): Readiness {
    if (!this.#readiness) throw new Error('Observability.attach() has not been called');
    return this.#readiness;
  }

  /** `/health/live`, `/health/ready` and `/metrics`: no API key (probes and Prometheus have none), no secrets. */
  routes(): Router {
    const router = express.Router();
    router.use(healthRoutes(this.readiness, this.#logger));
    router.get(METRICS_PATH, async (_req, res) => {
      try {
        const { contentType, body } = await this.metrics.render();
        res.set('cache-control', 'no-store').type(contentType).send(body);
      } catch (error) {
        this.#logger.error('rendering metrics failed:', error);
        res.status(500).type('text').send('metrics unavailable\n');
      }
    });
    return router;
  }
}
