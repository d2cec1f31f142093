import got, { type Got, type OptionsOfTextResponseBody, RequestError, type Response, TimeoutError } from 'got';
import type { TlsMaterial } from '../config.js';
import { PlatformError } from './platform-error.js';

export interface PlatformClientOptions {
  /** Base URL without trailing slash, e.g. `https://host:8743`. */
  url: string;
  appId: string;
  secret: string;
  tls?: TlsMaterial;
}

interface Endpoint {
  method: 'GET' | 'POST';
  /** Path template as the API reference names it; also the `endpoint` of errors. */
  template: `/${string}`;
}

const LOGIN: Endpoint = { method: 'POST', template: '/iocm/app/sec/v1.1.0/login' };
const OPERATIONS: Endpoint = { method: 'GET', template: '/iodm/northbound/v1.5.0/operations' };

const REQUEST_TIMEOUT_MS = 10_000;
/** Documented fixed token lifetime, used when a login reply omits `expiresIn`. */
const DEFAULT_EXPIRES_IN_S = 3600;
/** Log in again this long before the token expires, so no call goes out with a token about to lapse. */
const EXPIRY_MARGIN_MS = 60_000;

interface AccessToken {
  value: string;
  expiresAt: number;
}

type CallOptions = Pick<OptionsOfTextResponseBody, 'searchParams' | 'form'>;

/**
 * The gateway's one client of the northbound API: a single `got` instance, the application's access token,
 * and the translation of every failure into a {@link PlatformError}. Secret and token live in private fields,
 * which `util.inspect` and `JSON.stringify` do not show.
 */
export class PlatformClient {
  readonly url: string;
  readonly appId: string;
  readonly #secret: string;
  readonly #http: Got;
  #token: AccessToken | undefined;
  #pendingLogin: Promise<AccessToken> | undefined;

  constructor(options: PlatformClientOptions) {
    this.url = options.url;
    this.appId = options.appId;
    this.#secret = options.secret;
    this.#http = got.extend({
      prefixUrl: options.url,
      headers: { accept: 'application/json' },
      https: {
        certificateAuthority: options.tls?.ca,
        certificate: options.tls?.cert,
        key: options.tls?.key,
      },
      timeout: { request: REQUEST_TIMEOUT_MS },
      // Retries need the rate budget and idempotency rules that come with the full client.
      retry: { limit: 0 },
      // Never carry the Authorization header to wherever a redirect points.
      followRedirect: false,
      // Statuses are judged in #send: a platform error may arrive with any status, 200 included.
      throwHttpErrors: false,
    });
  }

  /**
   * Logs in and keeps the new token. Concurrent callers share one login, because every login invalidates
   * the application's earlier tokens.
   */
  async login(): Promise<{ expiresAt: Date }> {
    const token = await this.#sharedLogin();
    return { expiresAt: new Date(token.expiresAt) };
  }

  /** Proves the credentials work end to end: a token (reused or new) and one cheap authenticated read. */
  async health(): Promise<void> {
    await this.#authenticated(OPERATIONS, { searchParams: { pageNo: 0, pageSize: 1 } });
  }

  #sharedLogin(): Promise<AccessToken> {
    this.#pendingLogin ??= this.#login().finally(() => {
      this.#pendingLogin = undefined;
    });
    return this.#pendingLogin;
  }

  async #login(): Promise<AccessToken> {
    const body = await this.#send(LOGIN, { form: { appId: this.appId, secret: this.#secret } });
    if (!isRecord(body) || typeof body.accessToken !== 'string' || body.accessToken === '') {
      throw new PlatformError({
        kind: 'invalid-response',
        code: 'INVALID_RESPONSE',
        description: 'login reply without accessToken',
        endpoint: describe(LOGIN),
      });
    }
    const expiresIn = typeof body.expiresIn === 'number' && body.expiresIn > 0 ? body.expiresIn : DEFAULT_EXPIRES_IN_S;
    this.#token = { value: body.accessToken, expiresAt: Date.now() + expiresIn * 1000 };
    return this.#token;
  }

  async #accessToken(): Promise<string> {
    const token = this.#token;
    if (token !== undefined && Date.now() < token.expiresAt - EXPIRY_MARGIN_MS) return token.value;
    return (await this.#sharedLogin()).value;
  }

  async #authenticated(endpoint: Endpoint, options: CallOptions): Promise<unknown> {
    const token = await this.#accessToken();
    return this.#send(endpoint, { ...options, headers: { app_key: this.appId, authorization: `Bearer ${token}` } });
  }

  /** One HTTP exchange; returns the parsed JSON body (undefined when empty) or throws a PlatformError. */
  async #send(
    endpoint: Endpoint,
    options: CallOptions & Pick<OptionsOfTextResponseBody, 'headers'>,
  ): Promise<unknown> {
    let response: Response<string>;
    try {
      // got wants the path relative to prefixUrl, so without the leading slash.
      response = await this.#http(endpoint.template.slice(1), { ...options, method: endpoint.method });
    } catch (error) {
      if (error instanceof RequestError) throw transportError(endpoint, error);
      throw error;
    }
    return parseReply(endpoint, response);
  }
}

function parseReply(endpoint: Endpoint, response: Response<string>): unknown {
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
function transportError(endpoint: Endpoint, error: RequestError): PlatformError {
  if (error instanceof TimeoutError) {
    return new PlatformError({
      kind: 'timeout',
      code: 'ETIMEDOUT',
      description: `no answer within ${REQUEST_TIMEOUT_MS} ms`,
      endpoint: describe(endpoint),
    });
  }
  return new PlatformError({ kind: 'network', code: error.code, description: error.message, endpoint: describe(endpoint) });
}

function describe(endpoint: Endpoint): string {
  return `${endpoint.method} ${endpoint.template}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
