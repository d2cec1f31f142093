import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request } from 'express';
import { GraphQLError } from 'graphql';
import type { ApiRole } from './config.js';
import { createPlatformApis, type PlatformApis } from './datasources/apis.js';
import type { PlatformCaches } from './datasources/caches.js';
import type { IdempotencyStore } from './datasources/idempotency.js';
import { createLoaders, type Loaders } from './datasources/loaders.js';
import type { Normalizer } from './datasources/normalize.js';
import type { CallScope, PlatformClient } from './datasources/platform-client.js';

/** Per-request state handed to every resolver. */
export interface GatewayContext {
  requestId: string;
  /** The caller's role; an open gateway (no API keys configured) treats every caller as `operate`. */
  role: ApiRole;
  platform: PlatformClient;
  /** When this request's platform calls must be done, and their place in the call budget's queue. */
  scope: CallScope;
  /** The platform by area, for this request (its calls share the request's scope). */
  apis: PlatformApis;
  /** This request's DataLoaders: each device, task or package fetched at most once per request. */
  loaders: Loaders;
  /** Idempotency keys of creates (shared by all requests): the id each key created. */
  idempotency: IdempotencyStore<string>;
  /** True when the platform is the emulator started by this process. */
  embeddedEmulator: boolean;
}

export interface ContextDependencies {
  platform: PlatformClient;
  normalizer: Normalizer;
  caches: PlatformCaches;
  idempotency: IdempotencyStore<string>;
  /** How long a request's platform calls may take in all, queueing for the budget included. */
  requestDeadlineMs: number;
  embeddedEmulator: boolean;
  apiKeys?: ReadonlyMap<string, ApiRole>;
}

export const API_KEY_HEADER = 'x-api-key';

export function createContextFactory(deps: ContextDependencies): (args: { req: Request }) => Promise<GatewayContext> {
  return async ({ req }) => {
    const role = authenticate(req, deps.apiKeys);
    // A query until the operation is known (see requestScopePlugin).
    const scope: CallScope = { deadline: Date.now() + deps.requestDeadlineMs, priority: 'query' };
    const apis = createPlatformApis(deps.platform, deps.normalizer, deps.caches, scope);
    return {
      requestId: randomUUID(),
      role,
      platform: deps.platform,
      scope,
      apis,
      loaders: createLoaders(apis),
      idempotency: deps.idempotency,
      embeddedEmulator: deps.embeddedEmulator,
    };
  };
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

function authenticate(req: Request, apiKeys: ReadonlyMap<string, ApiRole> | undefined): ApiRole {
  if (apiKeys === undefined) return 'operate';
  const key = req.get(API_KEY_HEADER);
  const role = key === undefined ? undefined : apiKeys.get(key);
  if (role === undefined) {
    throw new GraphQLError(`missing or unknown API key (send it in the ${API_KEY_HEADER} header)`, {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
  return role;
}
