import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { GraphQLError } from 'graphql';
import type { ApiRole } from './config.js';
import type { PlatformApis } from './datasources/apis.js';
import type { IdempotencyStore } from './datasources/idempotency.js';
import { createLoaders, type Loaders } from './datasources/loaders.js';
import type { PlatformClient } from './datasources/platform-client.js';

/** Per-request state handed to every resolver. Per-request DataLoaders will hang off it. */
export interface GatewayContext {
  requestId: string;
  /** The caller's role; an open gateway (no API keys configured) treats every caller as `operate`. */
  role: ApiRole;
  platform: PlatformClient;
  /** The platform by area (shared by all requests). */
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
  apis: PlatformApis;
  idempotency: IdempotencyStore<string>;
  embeddedEmulator: boolean;
  apiKeys?: ReadonlyMap<string, ApiRole>;
}

export const API_KEY_HEADER = 'x-api-key';

export function createContextFactory(deps: ContextDependencies): (args: { req: Request }) => Promise<GatewayContext> {
  return async ({ req }) => ({
    requestId: randomUUID(),
    role: authenticate(req, deps.apiKeys),
    platform: deps.platform,
    apis: deps.apis,
    loaders: createLoaders(deps.apis),
    idempotency: deps.idempotency,
    embeddedEmulator: deps.embeddedEmulator,
  });
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
