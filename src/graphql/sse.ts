/**
 * GraphQL over Server-Sent Events (the graphql-sse protocol), for clients behind proxies that refuse WebSockets: each
 * operation is one POST with `Accept: text/event-stream`, answered with a stream of its results (graphql-sse's
 * "distinct connections" mode, its client's default). A client authenticates with the same `x-api-key` header as over
 * HTTP; every document goes through the same request pipeline as over HTTP and WebSocket; streams are bounded in all,
 * per remote address and per API key (the WebSocket's bounds, counted apart), and a stream the client drops releases
 * its subscription at once. CORS and the body limit are the HTTP shell's, as for the rest of the HTTP API.
 */
import type { Request, RequestHandler, Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { createHandler, type OperationArgs, type OperationResult } from 'graphql-sse';
import { API_KEY_HEADER, type Caller } from './auth.js';
import type { GatewayContext } from './context.js';
import type { Logger } from '../logging/logger.js';
import type { RequestPipeline } from './pipeline.js';
import { Counts, type WebSocketLimits } from './websocket.js';

/** A client that reads slower than its stream is written is dropped once this much waits for it. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface SseOptions {
  pipeline: RequestPipeline;
  /** GATEWAY_WS_MAX_CONNECTIONS, _PER_ADDRESS and _PER_KEY, here counting streams. */
  limits: WebSocketLimits;
  logger: Logger;
}

export interface SseTransport {
  /** Mount it at the stream's path after a JSON body parser (bounded by GATEWAY_MAX_BODY_BYTES). */
  middleware: RequestHandler;
  /** Ends every stream (clients see it end and reconnect, to another replica during a rollout). */
  stop(): void;
}

interface StreamRequest {
  caller: Caller;
}

/** The operation's context as graphql-sse types one (a record). */
type StreamContext = GatewayContext & Record<PropertyKey, unknown>;

export function serveSse(options: SseOptions): SseTransport {
  const { pipeline, limits } = options;
  const handler = createHandler<Request, StreamRequest, StreamContext>({
    // No reservations (graphql-sse's "single connection mode"): each stream holds one operation, and none outlives it.
    authenticate: () => null,
    onSubscribe: async (req, params): Promise<OperationArgs<StreamContext> | OperationResult> => {
      const prepared = await pipeline.prepare(params, req.context.caller, { transport: 'sse', header: (name) => req.headers.get(name) ?? undefined });
      if ('errors' in prepared) return refusedOnStream(prepared.errors);
      return prepared.args as OperationArgs<StreamContext>;
    },
    // The pipeline validated the document with every rule already.
    validate: () => [],
    execute: pipeline.execute,
    subscribe: pipeline.subscriber('sse'),
    // graphql-sse types what it sends with GraphQLErrors; what it sends is their JSON, here formatted.
    onNext: (_ctx, _req, result) => (result.errors ? ({ ...result, errors: pipeline.formatErrors(result.errors) } as unknown as typeof result) : result),
  });
  const perAddress = new Counts();
  const perKey = new Counts();
  const streams = new Set<() => void>();
  let stopped = false;

  /** Streams the handler's answer, until it ends, the client leaves or the transport stops. */
  const answer = async (req: Request, res: Response, caller: Caller): Promise<void> => {
    const [body, init] = await handler({ method: req.method, url: req.url, headers: { get: (key) => req.get(key) }, body: req.body ?? null, raw: req, context: { caller } });
    // Proxies that buffer responses (nginx) would hold the events back.
    res.writeHead(init.status, init.statusText, { ...init.headers, 'x-accel-buffering': 'no' });
    if (body === null || typeof body === 'string') {
      res.end(body ?? undefined);
      return;
    }
    const end = () => void body.return(undefined);
    res.once('close', end);
    streams.add(end);
    // The client may have left while the operation was prepared.
    if (res.destroyed || stopped) end();
    try {
      for await (const message of body) {
        if (res.destroyed) break;
        res.write(message);
        if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
      }
    } finally {
      res.off('close', end);
      streams.delete(end);
      res.end();
    }
  };

  const middleware: RequestHandler = async (req, res) => {
    if (req.method !== 'POST') return refuse(res, 405, 'Send the operation as a POST (JSON body) with Accept: text/event-stream.', { code: 'BAD_REQUEST' }, { allow: 'POST' });
    if (!(req.get('accept') ?? '').includes('text/event-stream')) {
      return refuse(res, 406, 'Send Accept: text/event-stream here; for a single JSON answer, POST to the GraphQL endpoint itself.', { code: 'BAD_REQUEST' });
    }
    // Bounds in all and per address are checked before the key is, as a socket's are before its upgrade.
    const address = req.socket.remoteAddress ?? '';
    if (perAddress.total >= limits.maxConnections) return tooMany(res, 'GATEWAY_WS_MAX_CONNECTIONS', limits.maxConnections, 'on this gateway');
    if (perAddress.of(address) >= limits.maxConnectionsPerAddress) return tooMany(res, 'GATEWAY_WS_MAX_CONNECTIONS_PER_ADDRESS', limits.maxConnectionsPerAddress, 'from one address');
    let caller: Caller;
    try {
      caller = pipeline.authenticate(req.get(API_KEY_HEADER));
    } catch (error) {
      return refuse(res, 401, (error as GraphQLError).message, { code: 'UNAUTHENTICATED' });
    }
    if (perKey.of(caller.client) >= limits.maxConnectionsPerKey) return tooMany(res, 'GATEWAY_WS_MAX_CONNECTIONS_PER_KEY', limits.maxConnectionsPerKey, 'for one API key');
    perAddress.add(address);
    perKey.add(caller.client);
    try {
      await answer(req, res, caller);
    } catch (error) {
      options.logger.error({ client: caller.client }, 'a server-sent events stream failed:', error);
      if (!res.headersSent) refuse(res, 500, 'Internal server error', { code: 'INTERNAL_SERVER_ERROR' });
      else res.destroy();
    } finally {
      perAddress.remove(address);
      perKey.remove(caller.client);
    }
  };

  /** Answered as the HTTP API answers a request it refuses before GraphQL runs: JSON, in the GraphQL error shape. */
  function refuse(res: Response, status: number, message: string, extensions: Record<string, unknown>, headers: Record<string, string> = {}): void {
    const errors: GraphQLFormattedError[] = pipeline.formatErrors([new GraphQLError(message, { extensions })]);
    res.status(status).set(headers).type('application/json').send(JSON.stringify({ errors }));
  }
  function tooMany(res: Response, limit: string, max: number, where: string): void {
    refuse(res, 429, `At most ${max} event streams at once ${where} (${limit}); close one first.`, { code: 'BAD_REQUEST', limit, max });
  }

  return {
    middleware,
    stop: () => {
      stopped = true;
      for (const end of streams) end();
    },
  };
}

/** A refusal from the pipeline, sent as the stream's one result (as graphql-sse sends its own validation errors). */
function refusedOnStream(errors: readonly GraphQLError[]): OperationResult {
  return (async function* refused() {
    yield { errors: [...errors] };
  })();
}
