/** The GraphQL layer as the composition root starts it: one request pipeline, served over HTTP, WebSocket and SSE. */
import type { Server } from 'node:http';
import type { RequestHandler } from 'express';
import { startHttpTransport, type HttpTransportOptions } from './http.js';
import type { LiveEvents } from './live-events.js';
import { RequestPipeline, type PipelineOptions } from './pipeline.js';
import type { ResponseCache } from './response-cache.js';
import { serveSse } from './sse.js';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, serveWebSocket, type WebSocketLimits } from './websocket.js';

export interface GraphQLOptions extends PipelineOptions, HttpTransportOptions {
  /** GATEWAY_CORS_ORIGINS: browser pages of these origins (and of the gateway's own) may open a WebSocket. */
  allowedOrigins: readonly string[];
  /** Bound WebSocket connections, and (counted apart) server-sent event streams. */
  webSocketLimits: WebSocketLimits;
}

export interface GraphQLTransports {
  /** GraphQL over HTTP; mount it at the endpoint's path after a JSON body parser. */
  middleware: RequestHandler;
  /** GraphQL over Server-Sent Events; mount it at its own path after a JSON body parser. */
  sse: RequestHandler;
  /** Serves GraphQL over WebSocket on `server`'s upgrades to `path`. */
  serveWebSocket(server: Server, path: string): void;
  /** What subscriptions hold and do now, over every transport. */
  readonly live: LiveEvents;
  /** Answers kept until the store's data changes (with a store). */
  readonly responses: ResponseCache | undefined;
  /** Ends every event stream, closes every WebSocket, then lets Apollo finish. */
  stop(): Promise<void>;
}

/**
 * The most subscriptions open at once over every transport: GATEWAY_WS_MAX_CONNECTIONS sockets holding at most
 * MAX_SUBSCRIPTIONS_PER_CONNECTION each, and as many event streams (counted apart) holding one each.
 */
export function maxOpenSubscriptions(limits: WebSocketLimits): number {
  return limits.maxConnections * (MAX_SUBSCRIPTIONS_PER_CONNECTION + 1);
}

export async function startGraphQL(options: GraphQLOptions): Promise<GraphQLTransports> {
  const pipeline = new RequestPipeline(options);
  const http = await startHttpTransport(pipeline, options);
  const sse = serveSse({ pipeline, limits: options.webSocketLimits, logger: options.logger });
  let stopWebSocket: (() => Promise<void>) | undefined;
  return {
    middleware: http.middleware,
    sse: sse.middleware,
    live: pipeline.live,
    responses: pipeline.responses,
    serveWebSocket: (server, path) => {
      stopWebSocket = serveWebSocket({ server, path, pipeline, allowedOrigins: options.allowedOrigins, logger: options.logger, maxPayloadBytes: options.limits.maxBodyBytes, limits: options.webSocketLimits });
    },
    stop: async () => {
      // Streams are HTTP responses: Apollo's drain would wait for them until its grace period ran out.
      sse.stop();
      await stopWebSocket?.();
      await http.stop();
    },
  };
}
