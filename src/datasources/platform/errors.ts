import type { GatewayErrorCode } from '../../domain/errors.js';

/**
 * - `platform`: the body carried `error_code` (whatever the HTTP status, 200 included);
 * - `http`: an error status without a platform body (a proxy, a load balancer);
 * - `network`: refused, reset, DNS, TLS;
 * - `timeout`: no answer in time;
 * - `invalid-response`: a success whose body is not what the endpoint returns.
 */
export type PlatformErrorKind = 'platform' | 'http' | 'network' | 'timeout' | 'invalid-response';

export interface PlatformErrorDetails {
  kind: PlatformErrorKind;
  /** HTTP status; undefined when no response arrived. */
  status?: number;
  /** The platform's `error_code`, else `HTTP_<status>`, a transport code (`ECONNREFUSED`) or `INVALID_RESPONSE`. */
  code: string;
  description?: string;
  /** Method + path template, e.g. `GET /iodm/northbound/v1.5.0/operations/{operationId}`. */
  endpoint: string;
}

/** A failed platform call. Carries no credentials, tokens or request bodies, so it is safe to log and to return. */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  readonly kind: PlatformErrorKind;
  readonly status: number | undefined;
  readonly code: string;
  readonly description: string | undefined;
  readonly endpoint: string;
  /** The GraphQL argument the error is about, when the caller can tell (e.g. `input.fileId`). */
  argument?: string;

  constructor(details: PlatformErrorDetails) {
    super(`${details.endpoint} failed: ${details.code}${details.description ? ` (${details.description})` : ''}`);
    this.kind = details.kind;
    this.status = details.status;
    this.code = details.code;
    this.description = details.description;
    this.endpoint = details.endpoint;
  }
}

const CODES_BY_PLATFORM_CODE = new Map<string, GatewayErrorCode>([
  ...codes('BAD_USER_INPUT', '120015 123016 123019 123020 123021 123022 123023 123024 123025 123026 123028 123029 123032 123033 123034 100405 100022 102202 107002'),
  // 107001 ("serviceId does not exist") is what the group-members call answers for a group that does not exist.
  ...codes('NOT_FOUND', '123002 123009 100403 100418 100603 105005 107001'),
  ...codes('FORBIDDEN', '100203 100217'),
  ...codes('UPSTREAM_AUTH_FAILED', '100208 100247 1010005'),
  ...codes('RATE_LIMITED', '1010009'),
  ...codes('UPSTREAM_UNAVAILABLE', '50252'),
]);

function codes(code: GatewayErrorCode, platformCodes: string): Array<[string, GatewayErrorCode]> {
  return platformCodes.split(' ').map((platformCode) => [platformCode, code]);
}

/** The GraphQL error code for a platform failure (DESIGN.md §3). */
export function gatewayCodeOf(error: PlatformError): GatewayErrorCode {
  switch (error.kind) {
    case 'timeout':
      return 'UPSTREAM_TIMEOUT';
    case 'network':
    case 'http': // no platform body: something in between failed, not the platform's judgement of the call
    case 'invalid-response':
      return 'UPSTREAM_UNAVAILABLE';
    case 'platform': {
      const known = CODES_BY_PLATFORM_CODE.get(error.code);
      if (known !== undefined) return known;
      // An undocumented code: a 5xx is the platform's trouble, anything else means the gateway asked wrongly.
      return error.status !== undefined && error.status >= 500 ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR';
    }
  }
}
