// Small HTTP client for the emulator tests: platform calls (with token handling) and the /_emulator control API.
import { startPlatform } from './platform.js';
import { PATH } from './routes.js';

export const START_TIME = '2026-03-01T00:00:00Z';
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Res { status: number; text: string; body: Json; headers: Headers }

export interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body (a string is sent as-is, so malformed JSON can be sent too). */
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** false: send no auth headers; a string: use this token instead of the current one. */
  token?: string | false;
  appKey?: string;
}


async function send(url: string, method: string, init: { headers?: Record<string, string>; body?: string }): Promise<Res> {
  const r = await fetch(url, { method, headers: init.headers, body: init.body });
  const text = await r.text();
  let body: Json = undefined;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
  return { status: r.status, text, body, headers: r.headers };
}

export class Api {
  accessToken = '';
  refreshToken = '';
  /** Log in again whenever the clock has been advanced 50 min since the last login (tokens live 3600 s). */
  autoLogin = false;
  private secondsSinceLogin = 0;
  constructor(readonly url: string, readonly appId: string, readonly secret: string) {}

  async login(appId = this.appId, secret = this.secret): Promise<Res> {
    const res = await send(this.url + PATH.login, 'POST', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ appId, secret }).toString(),
    });
    if (res.status === 200 && appId === this.appId) {
      this.accessToken = res.body.accessToken;
      this.refreshToken = res.body.refreshToken;
      this.secondsSinceLogin = 0;
    }
    return res;
  }

  async call(method: string, path: string, o: CallOptions = {}): Promise<Res> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) qs.append(k, String(v));
    const headers: Record<string, string> = {};
    if (o.token !== false) {
      headers['app_key'] = o.appKey ?? this.appId;
      headers['authorization'] = `Bearer ${o.token ?? this.accessToken}`;
    }
    let body: string | undefined;
    if (o.form) { headers['content-type'] = 'application/x-www-form-urlencoded'; body = new URLSearchParams(o.form).toString(); }
    if (o.json !== undefined) { headers['content-type'] = 'application/json'; body = typeof o.json === 'string' ? o.json : JSON.stringify(o.json); }
    Object.assign(headers, o.headers);
    return send(this.url + path + (qs.size ? `?${qs}` : ''), method, { headers, body });
  }

  get(path: string, query?: CallOptions['query'], o: CallOptions = {}) { return this.call('GET', path, { ...o, query }); }
  post(path: string, json: unknown, o: CallOptions = {}) { return this.call('POST', path, { ...o, json }); }
  delete(path: string, query?: CallOptions['query']) { return this.call('DELETE', path, { query }); }

  /** GET that must succeed; returns the parsed body. */
  async ok(path: string, query?: CallOptions['query']): Promise<Json> {
    const r = await this.get(path, query);
    if (r.status !== 200 || r.body?.error_code) throw new Error(`GET ${path} ${JSON.stringify(query)} -> ${r.status} ${r.text.slice(0, 300)}`);
    return r.body;
  }

  // ---- control API ----
  async control(method: string, path: string, body?: unknown): Promise<Json> {
    const r = await send(this.url + '/_emulator' + path, method, {
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status >= 300) throw new Error(`${method} /_emulator${path} -> ${r.status} ${r.text.slice(0, 300)}`);
    return r.body;
  }
  reset(options: Record<string, unknown>) { return this.control('POST', '/reset', options); }
  async advance(seconds: number): Promise<{ now: string; compact: string; mode: string }> {
    const clock = await this.control('POST', '/clock', { advanceSeconds: seconds });
    this.secondsSinceLogin += seconds;
    if (this.autoLogin && this.secondsSinceLogin >= 3000) {
      const res = await this.login();
      if (res.status !== 200) throw new Error(`re-login failed: ${res.status} ${res.text}`);
    }
    return clock;
  }
  clock(): Promise<{ now: string; compact: string; mode: string }> { return this.control('GET', '/clock'); }
  stats(): Promise<{ total: number; throttled: number; byRoute: Record<string, number> }> { return this.control('GET', '/stats'); }
  addFault(rule: Record<string, unknown>) { return this.control('POST', '/faults', rule); }
  clearFaults() { return this.control('DELETE', '/faults'); }
}

export interface Started { api: Api; close(): Promise<void>; options: Record<string, unknown> }

/** Starts an emulator (a manual clock from START_TIME; seed 1, 300 devices unless told), logs in, returns a client. */
export async function startTestEmulator(options: Record<string, unknown> = {}): Promise<Started> {
  const opts = { seed: 1, devices: 300, startTime: START_TIME, ...options };
  const emu = await startPlatform(opts);
  const api = new Api(emu.url, emu.credentials.appId, emu.credentials.secret);
  const login = await api.login();
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  return { api, close: () => emu.close(), options: opts };
}

/** Compact UTC (yyyyMMddTHHmmssZ) of an ISO time plus an offset in seconds. */
export function compact(iso: string, plusSeconds = 0): string {
  return new Date(Date.parse(iso) + plusSeconds * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Reads every page of a paged list. */
export async function allPages<T>(api: Api, path: string, query: Record<string, string | number | undefined>, key: string, pageSize: number): Promise<T[]> {
  const out: T[] = [];
  for (let pageNo = 0; ; pageNo++) {
    const body = await api.ok(path, { ...query, pageNo, pageSize });
    const items: T[] = body[key] ?? [];
    out.push(...items);
    if (items.length < pageSize || out.length >= Number(body.totalCount)) return out;
    if (pageNo > 1000) throw new Error('paging does not end');
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or the time is up (for asynchronous deliveries such as notifications). */
export async function waitFor(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}
