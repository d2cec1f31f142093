// A transparent HTTP proxy between a gateway and its platform that records each call (what was asked, when, with
// which token, and what came back) and every credential that crossed it.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The bearer token the call carried, if any. */
  token?: string;
  status?: number;
  /** The platform's error_code, when the reply carried one. */
  errorCode?: string;
  /** Set when the upstream connection was reset (a dropped connection is passed on as one). */
  dropped?: boolean;
  startedAt: number;
  endedAt?: number;
}

export interface RecordingProxy {
  url: string;
  calls: RecordedCall[];
  /** Every token seen: the bearer tokens sent, and any token (access, refresh) in a JSON reply. */
  tokens: Set<string>;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];
  const tokens = new Set<string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const token = /^bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    if (token) tokens.add(token);
    const call: RecordedCall = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, token, startedAt: performance.now() };
    calls.push(call);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (reply: IncomingMessage) => {
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('error', () => req.socket.destroy());
        reply.on('end', () => {
          const body = Buffer.concat(chunks);
          call.status = reply.statusCode;
          call.endedAt = performance.now();
          try {
            const parsed: unknown = JSON.parse(body.toString('utf8'));
            const code = (parsed as { error_code?: unknown } | null)?.error_code;
            if (code !== undefined) call.errorCode = String(code);
            collectTokens(parsed, tokens);
          } catch {
            // not JSON: a proxy-style page
          }
          res.writeHead(reply.statusCode ?? 502, reply.headers).end(body);
        });
      },
    );
    forward.on('error', () => {
      // The platform reset the connection: so does the proxy.
      call.dropped = true;
      call.endedAt = performance.now();
      req.socket.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    tokens,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function collectTokens(value: unknown, into: Set<string>): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (/token/i.test(key) && typeof inner === 'string' && inner.length >= 8) into.add(inner);
    else collectTokens(inner, into);
  }
}

/** True when every call was sent before any of them was answered: the calls ran in parallel. */
export function overlapped(calls: RecordedCall[]): boolean {
  const lastStart = Math.max(...calls.map((c) => c.startedAt));
  const firstEnd = Math.min(...calls.map((c) => c.endedAt ?? Infinity));
  return calls.length > 1 && lastStart < firstEnd;
}

/** pageNo/pageSize of recorded list calls, in page order. */
export function pagesOf(calls: RecordedCall[]): { pageNo: number; pageSize: number }[] {
  return calls
    .map((c) => ({ pageNo: Number(c.query.get('pageNo')), pageSize: Number(c.query.get('pageSize')) }))
    .sort((a, b) => a.pageNo - b.pageNo);
}
