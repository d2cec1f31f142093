import type { ApiRole } from '../domain/access.js';
import { servicesFor, type RequestScope, type ServiceDependencies } from '../services/index.js';
import type { ResolverContext } from '../resolvers/context.js';
import type { Caller } from './auth.js';
import type { RequestSpan } from './tracing.js';
import type { CachePolicyHolder } from './cache-policy.js';

/** What is known of one request as it goes through the layers; kept in `res.locals`. */
export interface RequestRecord {
  requestId: string;
  /** Set by the GraphQL layer once it has resolved the operation. */
  operationName?: string;
  /** Set when GraphQL answered the request (rather than the HTTP layer refusing it first). */
  answered?: { hasData: boolean };
  /** `extensions.code` of the response's errors. */
  errorCodes: string[];
  /** `query`, `mutation` or `subscription`, once the operation is resolved. */
  operationType?: string;
  /** Who called (the API key's `key-…` name, never the key), once authenticated. */
  client?: string;
  /** Whether a request the response cache may answer was answered from it (without execution). */
  cacheHit?: boolean;
  /** The request's span, when tracing is on. */
  span?: RequestSpan;
}

/** Per-request state: what every resolver gets, and what the transports log and count of the request. */
export interface GatewayContext extends ResolverContext, CachePolicyHolder {
  /** Filled in by `requestRecordPlugin` (HTTP). */
  record: RequestRecord;
}

export interface ContextDependencies extends ServiceDependencies {
  /** How long a request's platform calls may take in all, queueing for the budget included. */
  requestDeadlineMs: number;
  apiKeys?: ReadonlyMap<string, ApiRole>;
}

/** A context for one operation of a caller, over HTTP or over a WebSocket. */
export function contextFor(deps: ContextDependencies, { role, client }: Caller, record: RequestRecord): GatewayContext {
  const requestId = record.requestId;
  record.client = client;
  // A query until the operation is known (see RequestPipeline.scope); the id goes with each platform call.
  const scope: RequestScope = { deadline: Date.now() + deps.requestDeadlineMs, priority: 'query', requestId, client };
  return { requestId, record, role, client, scope, services: servicesFor(deps, scope) };
}
