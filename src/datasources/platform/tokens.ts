/** The application's access token, read from the platform's reply, and where replicas share it. */
import type { Endpoint } from './endpoints.js';
import { PlatformError } from './errors.js';
import { describe, isRecord } from './replies.js';

/** Documented fixed token lifetime, used when a login reply omits `expiresIn`. */
const DEFAULT_EXPIRES_IN_S = 3600;

export interface AccessToken {
  value: string;
  refreshToken: string | undefined;
  expiresAt: number;
}

/**
 * The token the replicas of one application share: a login voids every earlier token of the application, so only one
 * replica at a time may renew it, and the others take what it got.
 */
export interface TokenVault {
  /** The shared token, if there is one. */
  read(): Promise<AccessToken | undefined>;
  /** One replica at a time: the shared token when `usable` accepts it, else what `renew` gets, which is then shared. */
  renew(usable: (token: AccessToken) => boolean, renew: (current: AccessToken | undefined) => Promise<AccessToken>): Promise<AccessToken>;
}

/** The token of a login or refresh reply. */
export function tokenFrom(endpoint: Endpoint, body: unknown): AccessToken {
  if (!isRecord(body) || typeof body.accessToken !== 'string' || body.accessToken === '') {
    throw new PlatformError({ kind: 'invalid-response', code: 'INVALID_RESPONSE', description: 'token reply without accessToken', endpoint: describe(endpoint) });
  }
  const expiresIn = typeof body.expiresIn === 'number' && body.expiresIn > 0 ? body.expiresIn : DEFAULT_EXPIRES_IN_S;
  return {
    value: body.accessToken,
    refreshToken: typeof body.refreshToken === 'string' && body.refreshToken !== '' ? body.refreshToken : undefined,
    expiresAt: Date.now() + expiresIn * 1000,
  };
}
