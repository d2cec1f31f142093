/** What every group of the platform's routes shares: the request and reply shapes, and the query-string rules. */
import { errors, type PlatformError } from './errors.js';
import type { App } from './model.js';
import type { Platform } from './platform.js';
import type { TokenStore } from './auth.js';

export interface PlatformRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON (or a form for login); MALFORMED_BODY when it did not parse. */
  body: unknown;
  /** The authenticated application ('' on the auth routes). */
  appId: string;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface RouteContext {
  platform: Platform;
  tokens: TokenStore;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  template: string;
  /** Login and refresh need no token and are not throttled. */
  authenticated: boolean;
  handle(request: PlatformRequest, context: RouteContext): Reply;
}

export const MALFORMED_BODY = Symbol('malformed body');

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ok = (body?: unknown): Reply => ({ status: 200, body });

export interface PagingRule {
  max: number;
  defaultSize: number;
  malformed: () => PlatformError;
  outOfRange: () => PlatformError;
}

export function integer(query: URLSearchParams, name: string, malformed: () => PlatformError): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d{1,9}$/.test(raw)) throw malformed();
  return Number(raw);
}

export function paging(query: URLSearchParams, rule: PagingRule): { pageNo: number; pageSize: number } {
  const pageNo = integer(query, 'pageNo', rule.malformed) ?? 0;
  const pageSize = integer(query, 'pageSize', rule.malformed) ?? rule.defaultSize;
  if (pageNo < 0 || pageSize < 1 || pageSize > rule.max) throw rule.outOfRange();
  return { pageNo, pageSize };
}

export function page<T>(items: readonly T[], { pageNo, pageSize }: { pageNo: number; pageSize: number }): T[] {
  return items.slice(pageNo * pageSize, (pageNo + 1) * pageSize);
}

export function oneOf<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[], error: () => PlatformError): T | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const found = allowed.find((a) => a === raw);
  if (!found) throw error();
  return found;
}

export function text(query: URLSearchParams, name: string, max: number, error: () => PlatformError): string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > max) throw error();
  return raw;
}

/** The app whose resources a call reads: the caller's, or an app that authorised it (`appId`/`accessAppId`). */
export function targetApp(platform: Platform, callerId: string, requested: string | null, status: number): string {
  if (requested === null || requested === '' || requested === callerId) return callerId;
  const caller = platform.fleet.apps.get(callerId) as App;
  if (!platform.fleet.apps.has(requested)) throw errors.appMissing(status);
  if (!caller.readableApps.has(requested)) throw errors.appUnauthorised(status);
  return requested;
}
