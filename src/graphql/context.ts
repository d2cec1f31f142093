import type { ApiRole } from '../config.js';
import { createPlatformApis, type PlatformApis } from '../datasources/apis.js';
import type { PlatformCaches } from '../datasources/caches.js';
import type { Idempotency } from '../services/exactly-once.js';
import { createLoaders, type Loaders } from '../datasources/loaders.js';
import type { Normalizer } from '../datasources/normalize.js';
import type { CallScope, PlatformClient } from '../datasources/platform/client.js';
import type { Mirror } from '../sync/mirror.js';
import type { RolloutService } from '../services/rollouts.service.js';
import type { RequestRecord } from '../observability/http.js';
import type { Caller } from './auth.js';

/** Per-request state handed to every resolver. */
export interface GatewayContext {
  requestId: string;
  /** The caller's role; an open gateway (no API keys configured) treats every caller as `operate`. */
  role: ApiRole;
  /** Who is calling, for the call budget's fairness and for logs: {@link ANONYMOUS_CLIENT} or `key-<digest prefix>`. */
  client: string;
  platform: PlatformClient;
  /** When this request's platform calls must be done, and their place in the call budget's queue. */
  scope: CallScope;
  /** The platform by area, for this request (its calls share the request's scope). */
  apis: PlatformApis;
  /** This request's DataLoaders: each device, task or package fetched at most once per request. */
  loaders: Loaders;
  /** Creates that happen exactly once (keys kept in the store, shared by all requests and replicas). */
  idempotency: Idempotency;
  /** True when the platform is the emulator started by this process. */
  embeddedEmulator: boolean;
  /** The fleet mirror; unset when it is off (MIRROR_BUDGET_SHARE=0). */
  mirror?: Mirror;
  /** Rollouts (with the mirror only). */
  rollouts?: RolloutService;
  /** What the HTTP layer logs and counts of this request (filled in by `requestRecordPlugin`). */
  record: RequestRecord;
}

export interface ContextDependencies {
  platform: PlatformClient;
  normalizer: Normalizer;
  caches: PlatformCaches;
  idempotency: Idempotency;
  /** How long a request's platform calls may take in all, queueing for the budget included. */
  requestDeadlineMs: number;
  embeddedEmulator: boolean;
  apiKeys?: ReadonlyMap<string, ApiRole>;
  mirror?: Mirror;
  rollouts?: RolloutService;
}

/** A context for one operation of a caller, over HTTP or over a WebSocket. */
export function contextFor(deps: ContextDependencies, { role, client }: Caller, record: RequestRecord): GatewayContext {
  const requestId = record.requestId;
  // A query until the operation is known (see requestScopePlugin); the id goes with each platform call.
  const scope: CallScope = { deadline: Date.now() + deps.requestDeadlineMs, priority: 'query', requestId, client };
  const apis = createPlatformApis(deps.platform, deps.normalizer, deps.caches, scope, deps.mirror);
  return {
    requestId,
    record,
    role,
    client,
    platform: deps.platform,
    scope,
    apis,
    loaders: createLoaders(apis),
    idempotency: deps.idempotency,
    embeddedEmulator: deps.embeddedEmulator,
    mirror: deps.mirror,
    rollouts: deps.rollouts,
  };
}
