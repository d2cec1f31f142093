import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError, type Violation } from '../domain/errors.js';
import { InvalidPathIdError } from '../domain/ids.js';
import { gatewayCodeOf, PlatformError } from '../datasources/platform/errors.js';
import { RateLimitedError } from '../datasources/platform/rate-budget.js';
import type { Logger } from '../logging/logger.js';
import type { RefusalLog } from '../logging/refusal-log.js';
import { tokenLimitError } from './limits.js';
import { upstreamOf } from './validation.js';
import { storeOutageOf } from '../services/store-outage.js';

/** The platform's documented throttle window. */
const PLATFORM_THROTTLE_WINDOW_SECONDS = 60;
/** How Apollo's CSRF prevention refuses a request a browser could send cross-site without a preflight. */
const APOLLO_CSRF_REFUSAL = 'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF).';
/** The same refusal, saying what a client (curl, a script) sends instead. */
const CSRF_REFUSAL =
  "Blocked as a possible Cross-Site Request Forgery (CSRF): POST the operation as JSON with the header 'Content-Type: application/json' " +
  "(curl: -H 'content-type: application/json'), or send a GET query with the header 'apollo-require-preflight: true'.";


/**
 * What a client sees of an error: platform failures carry the gateway code and `extensions.upstream` (never
 * credentials); errors that already have a code (validation, bad input) pass; anything else is a bug and shows
 * no detail (it is logged with the request id, see `logErrors`).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof PlatformError && gatewayCodeOf(original) !== 'INTERNAL_SERVER_ERROR') {
    const { status, code, description, endpoint } = original;
    const gatewayCode = gatewayCodeOf(original);
    const argument = original.argument === undefined ? {} : { argument: original.argument };
    // The platform says nothing about when its window frees; a full window is the safe answer.
    const retry = gatewayCode === 'RATE_LIMITED' ? { retryAfterSeconds: PLATFORM_THROTTLE_WINDOW_SECONDS } : {};
    return { ...formatted, message: original.message, extensions: { code: gatewayCode, ...argument, ...retry, upstream: { status, code, description, endpoint } } };
  }
  // What only the store knows, asked while it cannot be reached (a mirror read, a rollout, a key): said as such.
  const outage = storeOutageOf(original);
  if (outage) return { ...formatted, message: outage.message, extensions: { code: outage.code } };
  if (original instanceof DomainError) {
    const violations = original.details.validationErrors as Violation[] | undefined;
    const upstream = violations && upstreamOf(violations);
    return { ...formatted, message: original.message, extensions: { code: original.code, ...original.details, ...(upstream ? { upstream } : {}) } };
  }
  if (original instanceof RateLimitedError) {
    // The gateway's own call budget had no slot before the request's deadline: the platform was never asked.
    return { ...formatted, message: original.message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: original.retryAfterSeconds } };
  }
  if (original instanceof InvalidPathIdError) {
    // An id that would have left its path segment: refused before any platform call.
    return { ...formatted, message: original.message, extensions: { code: 'BAD_USER_INPUT', argument: original.parameter } };
  }
  const code = formatted.extensions?.code;
  if (code === 'GRAPHQL_PARSE_FAILED') {
    // The token limit is enforced by the parser; it is reported like the other query limits.
    const limit = tokenLimitError(formatted.message);
    if (limit) return { ...formatted, ...limit };
  }
  if (code === 'GRAPHQL_VALIDATION_FAILED' && formatted.message === 'Validation aborted.') {
    // graphql-js gives up comparing a document's fields for merging past a work budget of its own.
    return {
      ...formatted,
      message: 'Validation gave up: the document repeats too many fields or fragment spreads for them to be compared. Select each field once, and spread each fragment once per place.',
      extensions: { ...formatted.extensions, limit: 'field merging' },
    };
  }
  if (code === 'BAD_REQUEST' && formatted.message.startsWith(APOLLO_CSRF_REFUSAL)) return { ...formatted, message: CSRF_REFUSAL };
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
  if (isMalformedRequest(original)) return { ...formatted, extensions: { code: 'BAD_REQUEST' } };
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * Logs each error of one request once, with its request id (which the HTTP response carries in `x-request-id`); a
 * request refused for want of call budget (RATE_LIMITED) goes to `refusals`, which aggregates them per client.
 */
export function logErrors(logger: Logger, refusals: RefusalLog, errors: readonly GraphQLError[], request: { requestId: string; client: string }): void {
  let rateLimited: { fields: Record<string, unknown>; message: string } | undefined;
  for (const error of errors) {
    const original = unwrapResolverError(error);
    const path = error.path?.join('.');
    const where = `request ${request.requestId} at ${path ?? 'the request'}`;
    const fields = { requestId: request.requestId, path };
    if (original instanceof RateLimitedError) {
      rateLimited ??= { fields, message: `${where}: ${original.message}` };
    } else if (original instanceof PlatformError && gatewayCodeOf(original) === 'RATE_LIMITED') {
      rateLimited ??= { fields: { ...fields, upstream: { code: original.code, endpoint: original.endpoint } }, message: `${where}: ${original.message}` };
    } else if (original instanceof PlatformError && gatewayCodeOf(original) !== 'INTERNAL_SERVER_ERROR') {
      logger.warn({ ...fields, code: gatewayCodeOf(original), upstream: { code: original.code, endpoint: original.endpoint } }, `${where}: ${original.message}`);
    } else if (storeOutageOf(original)) {
      logger.warn({ ...fields, code: 'STORE_UNAVAILABLE' }, `${where}: the store cannot be reached: ${(original as Error).message}`);
    } else if (original instanceof DomainError) {
      logger.debug({ ...fields, code: original.code }, `${where}: ${original.message}`);
    } else if (original instanceof InvalidPathIdError) {
      logger.debug({ ...fields, code: 'BAD_USER_INPUT' }, `${where}: ${original.message}`);
    } else if (isMalformedRequest(original)) {
      logger.debug({ ...fields, code: 'BAD_REQUEST' }, `${where}: ${error.message}`);
    } else if (typeof error.extensions.code !== 'string' || error.extensions.code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ ...fields, code: 'INTERNAL_SERVER_ERROR' }, `${where}:`, original);
    } else {
      logger.debug({ ...fields, code: error.extensions.code }, `${where}: ${error.message}`);
    }
  }
  if (rateLimited) refusals.record(request.client, 'RATE_LIMITED', rateLimited.fields, rateLimited.message);
}

/**
 * Apollo refuses some malformed requests (a persisted query of an unknown version, or whose hash does not match its
 * query) with a 4xx status and no code: a client's mistake, answered BAD_REQUEST, not a bug.
 */
function isMalformedRequest(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Names the argument a platform error is about (`extensions.argument`), where its code says which one. */
export async function withArgumentHint<T>(call: Promise<T>, argumentsByCode: Record<string, string>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof PlatformError && argumentsByCode[error.code]) error.argument = argumentsByCode[error.code];
    throw error;
  }
}
