/**
 * GraphQL over WebSocket (the graphql-ws protocol) on the same port and path as HTTP, for subscriptions. A client
 * authenticates with the same API keys, sent as `x-api-key` in `connectionParams`; every document goes through the
 * same request pipeline as over HTTP (parse, validation rules, limits, context, error formatting and logging); a
 * connection holds a bounded number of subscriptions, and an idle or dead one is pinged and closed. A browser page
 * may connect from the gateway's own origin or one of GATEWAY_CORS_ORIGINS.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Caller } from './auth.js';
import type { Logger } from '../logging/logger.js';
import type { RequestPipeline } from './pipeline.js';

/** Subscriptions one connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** Ping every 12 s; a connection that does not answer is closed. */
const KEEP_ALIVE_MS = 12_000;

export interface WebSocketOptions {
  server: Server;
  path: string;
  pipeline: RequestPipeline;
  /** GATEWAY_CORS_ORIGINS: browser pages of these origins (and of the gateway's own) may open a socket. */
  allowedOrigins: readonly string[];
  logger: Logger;
  /** GATEWAY_MAX_BODY_BYTES: a larger message closes the socket (1009) before it is buffered whole or parsed. */
  maxPayloadBytes: number;
  limits: WebSocketLimits;
}

/** How many sockets may be open at once: in all, from one address (refused before the upgrade), for one API key. */
export interface WebSocketLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxConnectionsPerKey: number;
}

/** How long a client refused for a protocol error has to read its close code before the socket is ended. */
const CLOSE_GRACE_MS = 1000;
/** graphql-ws's close code for a client that asks too much (its own use: too many connection_init messages). */
const TOO_MANY = 4429;

interface Connection {
  caller?: Caller;
  subscriptions: Set<string>;
  /** The client whose connections this one counts in, once authenticated. */
  counted?: string;
}

/** Counts by key; a key at zero is forgotten. */
export class Counts {
  readonly #counts = new Map<string, number>();
  total = 0;

  of(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.#counts.set(key, this.of(key) + 1);
    this.total += 1;
  }

  remove(key: string): void {
    const left = this.of(key) - 1;
    if (left > 0) this.#counts.set(key, left);
    else this.#counts.delete(key);
    this.total -= 1;
  }
}

/** Starts serving; the returned function stops it (closing every socket). */
export function serveWebSocket(options: WebSocketOptions): () => Promise<void> {
  const { pipeline } = options;
  const allowedOrigins = new Set(options.allowedOrigins);
  // WebSockets know no CORS: the browser sends its page's Origin, and the server decides. Clients that are not
  // browsers send none.
  // Upgrades are taken from the HTTP server by hand (noServer): attached to it, ws would also re-emit the server's own
  // errors, a busy port at start-up among them.
  const wsServer = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    verifyClient: ({ origin, req, secure }: { origin: string; req: IncomingMessage; secure: boolean }) => !origin || allowedOrigins.has(origin) || origin === `${secure ? 'https' : 'http'}://${req.headers.host}`,
  });
  const connections = new WeakMap<object, Connection>();
  const connectionOf = (extra: object): Connection => {
    let connection = connections.get(extra);
    if (!connection) connections.set(extra, (connection = { subscriptions: new Set() }));
    return connection;
  };
  const refuse = (message: string, extensions: Record<string, unknown>) => [new GraphQLError(message, { extensions })];
  const perKey = new Counts();
  const perAddress = new Counts();

  const server = useServer(
    {
      schema: pipeline.schema,
      onConnect: (ctx) => {
        const connection = connectionOf(ctx.extra);
        try {
          const presented = ctx.connectionParams?.['x-api-key'];
          connection.caller = pipeline.authenticate(typeof presented === 'string' ? presented : undefined);
        } catch {
          // graphql-ws closes the socket with 4403 Forbidden.
          return false;
        }
        const { client } = connection.caller;
        if (perKey.of(client) >= options.limits.maxConnectionsPerKey) {
          ctx.extra.socket.close(TOO_MANY, 'Too many connections for this API key');
          return false;
        }
        perKey.add(client);
        connection.counted = client;
        return true;
      },
      onClose: (ctx) => {
        const connection = connectionOf(ctx.extra);
        if (connection.counted !== undefined) perKey.remove(connection.counted);
        connection.counted = undefined;
      },
      onSubscribe: async (ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        const connection = connectionOf(ctx.extra);
        if (connection.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return refuse(`at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations at once on one connection`, { code: 'BAD_REQUEST' });
        }
        const caller = connection.caller;
        if (!caller) return refuse('not authenticated', { code: 'UNAUTHENTICATED' });
        // Counted while it is prepared (which may wait for the mirror), so the operations at once stay bounded.
        connection.subscriptions.add(id);
        // A trace the client started goes on through the upgrade request's `traceparent`.
        const prepared = await pipeline.prepare(payload, caller, { transport: 'websocket', header: (name) => firstValue(ctx.extra.request.headers[name]) });
        if (!('errors' in prepared)) return prepared.args;
        connection.subscriptions.delete(id);
        return prepared.errors;
      },
      execute: pipeline.execute,
      subscribe: pipeline.subscriber('websocket'),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: pipeline.formatErrors(result.errors) } : result),
      onError: (_ctx, _id, _payload, errors) => pipeline.formatErrors(errors),
      onComplete: (ctx, id) => {
        connectionOf(ctx.extra).subscriptions.delete(id);
      },
    },
    wsServer,
    KEEP_ALIVE_MS,
  );
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== options.path) {
      socket.destroy();
      return;
    }
    // Counted before the upgrade, before any message: a flood of sockets costs the gateway a refusal each.
    const address = req.socket.remoteAddress ?? '';
    if (perAddress.total >= options.limits.maxConnections || perAddress.of(address) >= options.limits.maxConnectionsPerAddress) {
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    perAddress.add(address);
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      ws.once('close', () => perAddress.remove(address));
      wsServer.emit('connection', ws, req);
      // A socket's errors are its client's (a message over the limit, a malformed frame), and ws has sent the close
      // code already. graphql-ws would log them in plain text as the server's fault: here they are a JSON warning.
      // ws would read on (and discard) the rest of the message until the client closes its side; the socket is paused
      // instead (after ws resumes it) and ended a moment later, when the client has read the close code.
      for (const listener of ws.listeners('error')) ws.off('error', listener as (error: Error) => void);
      ws.on('error', (error: Error & { code?: string }) => {
        options.logger.warn({ error: error.message, code: error.code, address }, 'websocket client error: connection closed');
        setImmediate(() => {
          socket.pause();
          setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
        });
      });
    });
  };
  options.server.on('upgrade', upgrade);
  wsServer.on('error', (error) => options.logger.warn({ error: error.message }, 'websocket server error'));
  return async () => {
    options.server.off('upgrade', upgrade);
    await server.dispose();
    await new Promise<void>((resolve) => wsServer.close(() => resolve()));
  };
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
