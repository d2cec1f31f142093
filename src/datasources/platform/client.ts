import { setTimeout as sleep } from 'node:timers/promises';
import got, { type Got, RequestError, type Response, TimeoutError } from 'got';
import CircuitBreaker from 'opossum';
import { fillPath } from '../../domain/ids.js';
import { ENDPOINTS, type Endpoint } from './endpoints.js';
import { PlatformError } from './errors.js';
import { backoff, circuitOpen, describe, parseReply, retryable, timeoutError, transportError } from './replies.js';
import { RateLimitedError, type BudgetSlot, type Priority, type RateBudget } from './rate-budget.js';
import { tokenFrom, type AccessToken, type TokenVault } from './tokens.js';
import { PlatformClock } from './platform-clock.js';
import { readKey, SharedReads } from './shared-reads.js';
import type { PlatformCallEvent } from './call-event.js';

/** PEM contents, read once at start-up so a missing file stops the start and not the first call. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface PlatformClientOptions {
  /** Base URL without trailing slash, e.g. `https://host:8743`. */
  url: string;
  appId: string;
  secret: string;
  tls?: TlsMaterial;
  /** How long one call may take; default 10 s. */
  timeoutMs?: number;
  /** The application's call budget; every call but login and refresh takes a slot. */
  budget?: RateBudget;
  /** Replicas of one application share one token through it (unset: this process keeps its own). */
  vault?: TokenVault;
  /** How long the circuit stays open before one call probes the platform again; default 10 s. */
  circuitResetMs?: number;
  /**
   * Told of every exchange with the platform (login and refresh included) once it ends, and of every call the open
   * circuit held back: for metrics and logs, which this client knows nothing of. Must not throw.
   */
  onCall?: (event: PlatformCallEvent) => void;
}

/** What one GraphQL request allows its platform calls: when they must be done, and their place in the queue. */
export interface CallScope {
  deadline: number;
  priority: Priority;
  /** The request's id (`x-request-id`), handed to the `onCall` observer with each of its calls. */
  requestId?: string;
  /** Who the calls are for: the call budget shares itself fairly between clients. */
  client?: string;
  /** Background work keeping below its client's share: a call goes only while the client holds less of the window. */
  share?: number;
}

/** Calls made for the gateway itself (health probes, background work) rather than for a client's request. */
export const GATEWAY_CLIENT = 'gateway';

const LOGIN = ENDPOINTS.login;
const REFRESH = ENDPOINTS.refreshToken;
const HEALTH_PROBE = ENDPOINTS.operations;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Refresh this long before the token expires, so no call goes out with a token about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** The platform's code for an invalid or superseded token. */
const TOKEN_INVALID = '1010005';
/** Attempts of an idempotent read at most (the first and two retries). */
const MAX_ATTEMPTS = 3;
/** The least time a call is left for its exchange once it has its budget slot. */
const MIN_SEND_MS = 1000;

export interface CallOptions {
  /** Values for the template's `{name}` placeholders. */
  path?: Record<string, string>;
  searchParams?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** Told this process's time as the request leaves (after any wait for the budget or a token). */
  onSend?: (at: number) => void;
}

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
  readonly #timeoutMs: number;
  readonly #budget: RateBudget | undefined;
  readonly #breaker: CircuitBreaker<[Endpoint, SendOptions, Record<string, string>, number, string | undefined], unknown>;
  readonly #onCall: ((event: PlatformCallEvent) => void) | undefined;
  readonly #vault: TokenVault | undefined;
  #token: AccessToken | undefined;
  /** The last token the platform refused: the vault may still hold it, and must not hand it out again. */
  #rejected: string | undefined;
  /** The one login or refresh in flight: every login invalidates the application's earlier tokens. */
  #acquiring: Promise<AccessToken> | undefined;
  readonly #sharedReads = new SharedReads();
  /** Counters for metrics. */
  readonly stats = { retries: 0, logins: 0, refreshes: 0 };
  /** The platform's clock, from its answers' Date headers. */
  readonly clock = new PlatformClock();

  constructor(options: PlatformClientOptions) {
    this.url = options.url;
    this.appId = options.appId;
    this.#secret = options.secret;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#budget = options.budget;
    this.#onCall = options.onCall;
    this.#vault = options.vault;
    const circuitResetMs = options.circuitResetMs ?? 10_000;
    this.#breaker = new CircuitBreaker(
      (endpoint: Endpoint, send: SendOptions, headers: Record<string, string>, timeoutMs: number, requestId: string | undefined) =>
        this.#exchange(endpoint, send, headers, timeoutMs, requestId), {
      timeout: false,
      resetTimeout: circuitResetMs,
      // Shorter than the reset timeout: when a probe closes the circuit, the failures that opened it have rolled
      // out of the window, so one later failure does not open it again at once.
      rollingCountTimeout: Math.max(100, Math.floor(circuitResetMs / 2)),
      volumeThreshold: 5,
      errorThresholdPercentage: 50,
      // The platform answering "no" (a 4xx code) is the platform working; only its absence counts as a failure.
      errorFilter: (error: unknown) => error instanceof PlatformError && error.kind === 'platform' && (error.status ?? 0) < 500,
    });
    this.#http = got.extend({
      prefixUrl: options.url,
      headers: { accept: 'application/json' },
      https: {
        certificateAuthority: options.tls?.ca,
        certificate: options.tls?.cert,
        key: options.tls?.key,
      },
      // Retries need the rate budget and idempotency rules that come with the full client.
      retry: { limit: 0 },
      // Never carry the Authorization header to wherever a redirect points.
      followRedirect: false,
      // Statuses are judged in #send: a platform error may arrive with any status, 200 included.
      throwHttpErrors: false,
    });
  }

  /** Logs in and keeps the new token (shared with any login already in flight). */
  async login(): Promise<{ expiresAt: Date }> {
    const token = await this.#acquire(async () => this.#hold(await this.#login(Date.now() + this.#timeoutMs)));
    return { expiresAt: new Date(token.expiresAt) };
  }

  /** Proves the credentials work end to end: a token (reused or new) and one cheap authenticated read. */
  async health(scope?: CallScope): Promise<void> {
    await this.call(HEALTH_PROBE, { searchParams: { pageNo: 0, pageSize: 1 } }, scope);
  }

  /** Whether the circuit lets calls through: closed, open (failing fast) or halfOpen (one probe). */
  get circuit(): 'closed' | 'open' | 'halfOpen' {
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  /** Reads answered by the same read of another request, already in flight (see SharedReads). */
  get sharedReads(): number {
    return this.#sharedReads.joined;
  }

  /** Whether the gateway holds a token it believes valid. */
  get tokenValid(): boolean {
    return this.#token !== undefined && Date.now() < this.#token.expiresAt;
  }

  /**
   * One authenticated call; returns the parsed JSON body (undefined when empty). Each attempt takes a slot of the
   * call budget. An idempotent read that fails in a way worth retrying (5xx, reset, timeout, throttled) is tried
   * again with exponential backoff and jitter while the request's deadline allows; a POST never is. An id that
   * would not stay in its path segment fails with InvalidPathIdError before anything else (budget included). A read
   * already in flight for the same client is joined rather than sent again.
   */
  async call(endpoint: Endpoint, options: CallOptions = {}, scope?: CallScope): Promise<unknown> {
    const { deadline, priority, requestId, client = GATEWAY_CLIENT, share } = scope ?? { deadline: Date.now() + this.#timeoutMs, priority: 'query' };
    const send: SendOptions = { urlPath: fillPath(endpoint.template, options.path), searchParams: options.searchParams, json: options.json, onSend: options.onSend };
    const attempts = () => this.#attempts(endpoint, send, { deadline, priority, requestId, client, share });
    if (endpoint.method !== 'GET' || send.onSend) return attempts();
    return this.#sharedReads.read(readKey({ client, priority, share }, send.urlPath, send.searchParams), deadline, attempts);
  }

  async #attempts(endpoint: Endpoint, send: SendOptions, scope: CallScope): Promise<unknown> {
    const { deadline } = scope;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#callOnce(endpoint, send, scope);
      } catch (error) {
        const delay = backoff(attempt);
        if (endpoint.method !== 'GET' || attempt >= MAX_ATTEMPTS || !retryable(error) || Date.now() + delay >= deadline) throw error;
        this.stats.retries += 1;
        await sleep(delay);
      }
    }
  }

  /** A token the platform rejects (1010005: expired, or another login's) is replaced once; a second rejection is final. */
  async #callOnce(endpoint: Endpoint, options: SendOptions, scope: CallScope): Promise<unknown> {
    const { deadline, requestId } = scope;
    // While the platform is down there is nothing to spend the budget on: fail fast before taking a slot.
    if (this.#breaker.opened) {
      this.#observe({ route: describe(endpoint), status: 'circuit_open', durationMs: 0, requestId });
      throw circuitOpen(endpoint);
    }
    const token = await this.#accessToken(deadline, requestId);
    try {
      return await this.#authenticated(endpoint, options, token, scope);
    } catch (error) {
      if (!(error instanceof PlatformError) || error.code !== TOKEN_INVALID) throw error;
      // Only the first caller to see the rejection drops the token; the others wait for its replacement.
      this.#rejected = token;
      if (this.#token?.value === token) this.#token = undefined;
      const replacement = await this.#accessToken(deadline, requestId);
      return this.#authenticated(endpoint, options, replacement, scope);
    }
  }

  /**
   * One budgeted exchange. The slot is taken only once the token is at hand (a login may take a while), and is
   * stamped again when the answer comes: the platform counted the call somewhere in between.
   */
  async #authenticated(endpoint: Endpoint, options: SendOptions, token: string, scope: CallScope): Promise<unknown> {
    const { slot, waitedMs } = await this.#slot(endpoint, scope);
    try {
      return await this.#send(endpoint, { ...options, budgetWaitMs: waitedMs }, { app_key: this.appId, authorization: `Bearer ${token}` }, scope.deadline, scope.requestId);
    } finally {
      slot?.answered();
    }
  }

  /** A slot of the call budget and how long it took; a refusal is told to the observer (readiness reports an exhausted budget). */
  async #slot(endpoint: Endpoint, scope: CallScope): Promise<{ slot?: BudgetSlot; waitedMs: number }> {
    const asked = performance.now();
    try {
      // A slot granted as the deadline falls would be spent on a call that times out: leave the call its time.
      const sendBy = scope.deadline - Math.min(MIN_SEND_MS, (scope.deadline - Date.now()) / 2);
      return { slot: await this.#budget?.acquire(scope.priority, sendBy, scope.client ?? GATEWAY_CLIENT, scope.share), waitedMs: millisSince(asked) };
    } catch (error) {
      if (error instanceof RateLimitedError) {
        this.#observe({ route: describe(endpoint), status: 'rate_limited', retryAfterSeconds: error.retryAfterSeconds, durationMs: 0, budgetWaitMs: millisSince(asked), requestId: scope.requestId });
      }
      throw error;
    }
  }

  async #accessToken(deadline: number, requestId?: string): Promise<string> {
    const token = this.#token;
    if (token !== undefined && this.#usable(token)) return token.value;
    return (await this.#acquire(() => this.#obtain(deadline, requestId))).value;
  }

  #usable(token: AccessToken): boolean {
    return token.value !== this.#rejected && Date.now() < token.expiresAt - REFRESH_MARGIN_MS;
  }

  /**
   * A token to use: with a vault, the shared one when another replica has renewed it, else renewed by this replica
   * while the others wait (one login or refresh however many replicas need one). A vault out of reach (the store is
   * down) leaves this replica to renew on its own rather than stop calling.
   */
  async #obtain(deadline: number, requestId?: string): Promise<AccessToken> {
    let renewed: AccessToken | undefined;
    if (this.#vault) {
      try {
        const shared = await this.#vault.read();
        if (shared && this.#usable(shared)) return this.#hold(shared);
        return this.#hold(await this.#vault.renew((t) => this.#usable(t), async (current) => (renewed = await this.#renew(current ?? this.#token, deadline, requestId))));
      } catch (error) {
        if (renewed) return this.#hold(renewed);
        if (error instanceof PlatformError) throw error;
      }
    }
    return this.#hold(await this.#renew(this.#token, deadline, requestId));
  }

  /** A refresh while the token has not lapsed (a refused one is not worth failing a call over), else a login. */
  #renew(current: AccessToken | undefined, deadline: number, requestId?: string): Promise<AccessToken> {
    const refreshToken = current?.refreshToken;
    if (current && refreshToken !== undefined && current.value !== this.#rejected && Date.now() < current.expiresAt) {
      return this.#refresh(refreshToken, deadline, requestId).catch(() => this.#login(deadline, requestId));
    }
    return this.#login(deadline, requestId);
  }

  #hold(token: AccessToken): AccessToken {
    this.#token = token;
    return token;
  }

  #acquire(how: () => Promise<AccessToken>): Promise<AccessToken> {
    this.#acquiring ??= how().finally(() => {
      this.#acquiring = undefined;
    });
    return this.#acquiring;
  }

  async #login(deadline: number, requestId?: string): Promise<AccessToken> {
    this.stats.logins += 1;
    return tokenFrom(LOGIN, await this.#send(LOGIN, { urlPath: LOGIN.template, form: { appId: this.appId, secret: this.#secret } }, {}, deadline, requestId));
  }

  async #refresh(refreshToken: string, deadline: number, requestId?: string): Promise<AccessToken> {
    this.stats.refreshes += 1;
    return tokenFrom(REFRESH, await this.#send(REFRESH, { urlPath: REFRESH.template, json: { appId: this.appId, secret: this.#secret, refreshToken } }, {}, deadline, requestId));
  }

  /** One HTTP exchange through the circuit breaker, with what is left of the deadline as its timeout. */
  async #send(endpoint: Endpoint, options: SendOptions, headers: Record<string, string>, deadline: number, requestId?: string): Promise<unknown> {
    const timeoutMs = Math.min(this.#timeoutMs, deadline - Date.now());
    if (timeoutMs <= 0) throw timeoutError(endpoint);
    try {
      return await this.#breaker.fire(endpoint, options, headers, timeoutMs, requestId);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
        this.#observe({ route: describe(endpoint), status: 'circuit_open', durationMs: 0, requestId });
        throw circuitOpen(endpoint);
      }
      throw error;
    }
  }

  /** One HTTP exchange; returns the parsed JSON body (undefined when empty) or throws a PlatformError. */
  async #exchange(
    endpoint: Endpoint,
    options: SendOptions,
    headers: Record<string, string>,
    timeoutMs: number,
    requestId: string | undefined,
  ): Promise<unknown> {
    const route = describe(endpoint);
    const started = performance.now();
    const elapsed = () => millisSince(started);
    const { budgetWaitMs } = options;
    let response: Response<string>;
    const sentAt = Date.now();
    options.onSend?.(sentAt);
    try {
      // got wants the path relative to prefixUrl, so without the leading slash.
      response = await this.#http(options.urlPath.slice(1), {
        method: endpoint.method,
        headers,
        searchParams: options.searchParams && definedOnly(options.searchParams),
        form: options.form,
        json: options.json,
        timeout: { request: timeoutMs },
      });
    } catch (error) {
      this.#observe({ route, status: error instanceof TimeoutError ? 'timeout' : 'network', durationMs: elapsed(), budgetWaitMs, requestId });
      if (error instanceof RequestError) throw transportError(endpoint, error);
      throw error;
    }
    this.clock.observe(response.headers.date, sentAt, Date.now());
    try {
      const body = parseReply(endpoint, response);
      this.#observe({ route, status: response.statusCode, durationMs: elapsed(), budgetWaitMs, requestId });
      return body;
    } catch (error) {
      const code = error instanceof PlatformError && error.kind === 'platform' ? error.code : undefined;
      this.#observe({ route, status: response.statusCode, code, durationMs: elapsed(), budgetWaitMs, requestId });
      throw error;
    }
  }

  /** An observer's failure is its own: it never fails a call. */
  #observe(event: PlatformCallEvent): void {
    if (this.#onCall === undefined) return;
    for (const field of ['requestId', 'code', 'retryAfterSeconds', 'budgetWaitMs'] as const) if (event[field] === undefined) delete event[field];
    try {
      this.#onCall(event);
    } catch {
      // ignored: see onCall
    }
  }
}

/** What one exchange sends: the path with its ids filled in (see `fillPath`), and the query or body. */
interface SendOptions extends Pick<CallOptions, 'searchParams' | 'json' | 'onSend'> {
  urlPath: string;
  form?: Record<string, string>;
  /** How long the call waited for its budget slot (login and refresh take none). */
  budgetWaitMs?: number;
}

function millisSince(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

function definedOnly(params: Record<string, string | number | boolean | undefined>): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
}
