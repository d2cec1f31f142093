import type { RequestHandler } from 'express';
import { API_KEY_HEADER } from '../graphql/auth.js';
import { REQUEST_ID_HEADER } from '../observability/http.js';

/** Chromium caps a preflight's cache at 2 hours; longer is not honoured anywhere. */
export const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/** What a GraphQL client sends besides the safelisted headers: JSON, its key, Apollo's CSRF and request-id headers. */
const ALLOWED_REQUEST_HEADERS = ['content-type', API_KEY_HEADER, 'apollo-require-preflight', 'x-apollo-operation-name', REQUEST_ID_HEADER];
/** Not safelisted, so a page could not read them otherwise. */
const EXPOSED_RESPONSE_HEADERS = [REQUEST_ID_HEADER, 'retry-after'];

/**
 * Cross-origin access for the pages of `GATEWAY_CORS_ORIGINS`, and none for any other: an origin not listed gets no
 * `Access-Control-*` header, so the browser keeps the answer from the page. Credentials (cookies) are never
 * allowed: clients authenticate with `x-api-key`, which a page must send on purpose.
 */
export function corsMiddleware(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    // Caches must not hand one origin's answer to another.
    res.vary('Origin');
    const origin = req.get('origin');
    const permitted = origin !== undefined && allowed.has(origin);
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (permitted) {
      res.set({ 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_RESPONSE_HEADERS.join(', ') });
    }
    if (!preflight) return next();
    if (!permitted) {
      res.status(403).end();
      return;
    }
    res.set({
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': ALLOWED_REQUEST_HEADERS.join(', '),
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    });
    res.status(204).end();
  };
}
