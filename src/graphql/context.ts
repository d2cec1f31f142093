import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { ApiRole } from '../domain/access.js';
import { servicesFor, type RequestScope, type ServiceDependencies, type Services } from '../services/index.js';
import { requestRecordOf, type RequestRecord } from '../observability/http.js';

/** Per-request state handed to every resolver. */
export interface GatewayContext {
  requestId: string;
  /** The caller's role; an open gateway (no API keys configured) treats every caller as `operate`. */
  role: ApiRole;
  /** Who is calling, for the call budget's fairness and for logs: {@link ANONYMOUS_CLIENT} or `key-<digest prefix>`. */
  client: string;
  /** When this request's platform calls must be done, and their place in the call budget's queue. */
  scope: RequestScope;
  /** What resolvers call: one service per concept, for this request alone. */
  services: Services;
  /** What the HTTP layer logs and counts of this request (filled in by `requestRecordPlugin`). */
  record: RequestRecord;
}

export interface ContextDependencies extends ServiceDependencies {
  /** How long a request's platform calls may take in all, queueing for the budget included. */
  requestDeadlineMs: number;
  apiKeys?: ReadonlyMap<string, ApiRole>;
}

export const API_KEY_HEADER = 'x-api-key';

export function createContextFactory(deps: ContextDependencies): (args: { req: Request; res: Response }) => Promise<GatewayContext> {
  const keys = deps.apiKeys && new ApiKeys(deps.apiKeys);
  return async ({ req, res }) => {
    const caller = authenticate(req.get(API_KEY_HEADER), keys);
    // The HTTP layer gave the request its id (x-request-id) before anything else ran.
    return contextFor(deps, caller, requestRecordOf(res) ?? { requestId: randomUUID(), errorCodes: [] });
  };
}

/** A context for one operation of a caller, over HTTP or over a WebSocket. */
export function contextFor(deps: ContextDependencies, { role, client }: Caller, record: RequestRecord): GatewayContext {
  const requestId = record.requestId;
  // A query until the operation is known (see requestScopePlugin); the id goes with each platform call.
  const scope: RequestScope = { deadline: Date.now() + deps.requestDeadlineMs, priority: 'query', requestId, client };
  return { requestId, record, role, client, scope, services: servicesFor(deps, scope) };
}

/** Mutations go before queries in the call budget's queue: a rollout should not wait behind dashboards. */
export function requestScopePlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation === 'mutation') contextValue.scope.priority = 'mutation';
        },
      };
    },
  };
}

/**
 * The configured API keys, kept only as SHA-256 digests. A presented key is hashed and compared with every digest in
 * constant time (`timingSafeEqual`, no early exit), so neither a map lookup's nor a string comparison's timing tells
 * an attacker how much of a key they have right, or which keys exist.
 */
export class ApiKeys {
  readonly #entries: { digest: Buffer; caller: Caller }[];

  constructor(keys: ReadonlyMap<string, ApiRole>) {
    this.#entries = [...keys].map(([key, role]) => {
      const keyDigest = digest(key);
      // A short prefix of the digest names the key in logs and metrics without revealing it.
      return { digest: keyDigest, caller: { role, client: `key-${keyDigest.toString('hex').slice(0, 8)}` } };
    });
  }

  /** The role of the presented key, or undefined when it is not one of ours (or missing). */
  roleOf(presented: string | undefined): ApiRole | undefined {
    return this.identify(presented)?.role;
  }

  /** The caller behind the presented key, or undefined when it is not one of ours (or missing). */
  identify(presented: string | undefined): Caller | undefined {
    const candidate = digest(presented ?? '');
    let caller: Caller | undefined;
    for (const entry of this.#entries) {
      const match = timingSafeEqual(entry.digest, candidate);
      caller = match && presented !== undefined ? entry.caller : caller;
    }
    return caller;
  }
}

export interface Caller {
  role: ApiRole;
  client: string;
}

/** The client of an open gateway (no API keys): every caller shares it. */
export const ANONYMOUS_CLIENT = 'anonymous';

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The caller behind a presented API key; throws UNAUTHENTICATED when keys are configured and it is not one. */
export function authenticate(presented: string | undefined, keys: ApiKeys | undefined): Caller {
  if (keys === undefined) return { role: 'operate', client: ANONYMOUS_CLIENT };
  const caller = keys.identify(presented);
  if (caller === undefined) {
    throw new GraphQLError(`missing or unknown API key (send it in the ${API_KEY_HEADER} header)`, {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
  return caller;
}
