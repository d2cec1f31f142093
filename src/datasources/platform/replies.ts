/** Reading the platform's replies and failures: every failure becomes a {@link PlatformError}. */
import { TimeoutError, type RequestError, type Response } from 'got';
import type { Endpoint } from './endpoints.js';
import { PlatformError } from './errors.js';

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 2000;

/** Failures that a later attempt may not meet: the platform or the path to it was briefly unwell, or busy. */
export function retryable(error: unknown): boolean {
  if (!(error instanceof PlatformError) || error.code === 'CIRCUIT_OPEN') return false;
  if (error.kind === 'timeout' || error.kind === 'network') return true;
  if (error.code === '1010009') return true;
  return (error.kind === 'http' || error.kind === 'platform') && (error.status ?? 0) >= 500;
}

/** Exponential backoff with jitter: after attempt n, between half and all of base·2^(n−1), capped. */
export function backoff(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export function circuitOpen(endpoint: Endpoint): PlatformError {
  return new PlatformError({ kind: 'network', code: 'CIRCUIT_OPEN', description: 'the platform is failing; calls are held back until a probe succeeds', endpoint: describe(endpoint) });
}

export function timeoutError(endpoint: Endpoint): PlatformError {
  return new PlatformError({ kind: 'timeout', code: 'ETIMEDOUT', description: 'no answer in time', endpoint: describe(endpoint) });
}

export function parseReply(endpoint: Endpoint, response: Response<string>): unknown {
  const status = response.statusCode;
  let body: unknown;
  let json = true;
  if (response.body.trim() !== '') {
    try {
      body = JSON.parse(response.body);
    } catch {
      json = false;
    }
  }
  if (isRecord(body) && (typeof body.error_code === 'string' || typeof body.error_code === 'number')) {
    throw new PlatformError({
      kind: 'platform',
      status,
      code: String(body.error_code),
      description: typeof body.error_desc === 'string' ? body.error_desc : undefined,
      endpoint: describe(endpoint),
    });
  }
  if (status < 200 || status >= 300) {
    throw new PlatformError({
      kind: 'http',
      status,
      code: `HTTP_${status}`,
      description: response.statusMessage,
      endpoint: describe(endpoint),
    });
  }
  if (!json) {
    throw new PlatformError({
      kind: 'invalid-response',
      status,
      code: 'INVALID_RESPONSE',
      description: 'body is not JSON',
      endpoint: describe(endpoint),
    });
  }
  return body;
}

/** Keeps only the code and message of got's error: its `options` hold the headers and the login form. */
export function transportError(endpoint: Endpoint, error: RequestError): PlatformError {
  if (error instanceof TimeoutError) return timeoutError(endpoint);
  return new PlatformError({ kind: 'network', code: error.code, description: error.message, endpoint: describe(endpoint) });
}

export function describe(endpoint: Endpoint): string {
  return `${endpoint.method} ${endpoint.template}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
