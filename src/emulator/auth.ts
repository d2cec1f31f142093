/** Access and refresh tokens: 3600 s access tokens; a new login (or refresh) supersedes every older token of the app. */
import { randomBytes } from 'node:crypto';
import { errors } from './errors.js';
import type { App } from './model.js';
import { DAY, SECOND } from './time.js';

export const ACCESS_TOKEN_SECONDS = 3600;
const REFRESH_TOKEN_MS = DAY;

interface Grant {
  appId: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  refreshExpiresAt: number;
}

export interface AuthOut {
  scope: 'default';
  tokenType: 'bearer';
  expiresIn: number;
  accessToken: string;
  refreshToken: string;
}

export class TokenStore {
  /** The one valid grant per app. */
  private readonly grants = new Map<string, Grant>();

  issue(app: App, now: number): AuthOut {
    if (app.frozen) throw errors.appFrozen();
    const grant: Grant = {
      appId: app.appId,
      accessToken: randomBytes(16).toString('hex'),
      refreshToken: randomBytes(16).toString('hex'),
      expiresAt: now + ACCESS_TOKEN_SECONDS * SECOND,
      refreshExpiresAt: now + REFRESH_TOKEN_MS,
    };
    this.grants.set(app.appId, grant);
    return {
      scope: 'default',
      tokenType: 'bearer',
      expiresIn: ACCESS_TOKEN_SECONDS,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
    };
  }

  refresh(app: App, refreshToken: string, now: number): AuthOut {
    const grant = this.grants.get(app.appId);
    if (!grant || grant.refreshToken !== refreshToken || now >= grant.refreshExpiresAt) throw errors.wrongCredentials();
    return this.issue(app, now);
  }

  /** The app the request acts as; 1010005 for a missing, unknown, expired or superseded token or a wrong app_key. */
  verify(appKey: string | undefined, authorization: string | undefined, now: number): string {
    const token = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const grant = appKey === undefined ? undefined : this.grants.get(appKey);
    if (!token || !grant || grant.accessToken !== token || now >= grant.expiresAt) throw errors.tokenInvalid();
    return grant.appId;
  }

  expireAll(): void {
    this.grants.clear();
  }

  /** Keeps every token's remaining lifetime when the emulated clock jumps (reset to another start time). */
  shift(deltaMs: number): void {
    for (const grant of this.grants.values()) {
      grant.expiresAt += deltaMs;
      grant.refreshExpiresAt += deltaMs;
    }
  }
}
