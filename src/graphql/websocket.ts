/**
 * GraphQL over WebSocket (the graphql-ws protocol) on the same port and path as HTTP, for subscriptions. A client
 * authenticates with the same API keys, sent as `x-api-key` in `connectionParams`; every document passes the same
 * limits as over HTTP (tokens, depth, aliases, cost, the platform-call estimate); a connection holds a bounded number
 * of subscriptions, and an idle or dead one is pinged and closed. A browser page may connect from the gateway's own
 * origin or one of GATEWAY_CORS_ORIGINS.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ApiKeys, authenticate, type Caller } from './auth.js';
import { contextFor, type ContextDependencies, type GatewayContext } from './context.js';
import { formatError } from './errors.js';
import type { Logger } from '../logging/logger.js';
import { costLimitRule, platformCallRefusal } from './limits.js';

/** Subscriptions one connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** Ping every 12 s; a connection that does not answer is closed. */
const KEEP_ALIVE_MS = 12_000;

export interface WebSocketOptions {
  server: Server;
  path: string;
  schema: GraphQLSchema;
  context: ContextDependencies;
  validationRules: ValidationRule[];
  maxTokens: number;
  maxCost: number;
  maxPlatformCalls: number;
  mirrored: () => boolean;
  /** GATEWAY_CORS_ORIGINS: browser pages of these origins (and of the gateway's own) may open a socket. */
  allowedOrigins: readonly string[];
  logger: Logger;
}

interface Connection {
  caller?: Caller;
  subscriptions: Set<string>;
}

/** Starts serving; the returned function stops it (closing every socket). */
export function serveWebSocket(options: WebSocketOptions): () => Promise<void> {
  const keys = options.context.apiKeys && new ApiKeys(options.context.apiKeys);
  const allowedOrigins = new Set(options.allowedOrigins);
  // WebSockets know no CORS: the browser sends its page's Origin, and the server decides. Clients that are not
  // browsers send none.
  // Upgrades are taken from the HTTP server by hand (noServer): attached to it, ws would also re-emit the server's own
  // errors, a busy port at start-up among them.
  const wsServer = new WebSocketServer({
    noServer: true,
    verifyClient: ({ origin, req, secure }: { origin: string; req: IncomingMessage; secure: boolean }) => !origin || allowedOrigins.has(origin) || origin === `${secure ? 'https' : 'http'}://${req.headers.host}`,
  });
  const connections = new WeakMap<object, Connection>();
  const connectionOf = (extra: object): Connection => {
    let connection = connections.get(extra);
    if (!connection) connections.set(extra, (connection = { subscriptions: new Set() }));
    return connection;
  };
  const refuse = (message: string, extensions: Record<string, unknown>) => [new GraphQLError(message, { extensions })];
  /** A subscription's caller, so that each event runs in a context of its own (see `subscribe`). */
  const callers = new WeakMap<object, Caller>();
  const contextOf = (caller: Caller) => contextFor(options.context, caller, { requestId: randomUUID(), errorCodes: [] });

  const server = useServer(
    {
      schema: options.schema,
      onConnect: (ctx) => {
        try {
          const presented = ctx.connectionParams?.['x-api-key'];
          connectionOf(ctx.extra).caller = authenticate(typeof presented === 'string' ? presented : undefined, keys);
          return true;
        } catch {
          // graphql-ws closes the socket with 4403 Forbidden.
          return false;
        }
      },
      onSubscribe: (ctx, id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const connection = connectionOf(ctx.extra);
        if (connection.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return refuse(`at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations at once on one connection`, { code: 'BAD_REQUEST' });
        }
        let document;
        try {
          document = parse(payload.query, { maxTokens: options.maxTokens });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const variables = payload.variables ?? {};
        const rules = [...specifiedRules, ...options.validationRules, costLimitRule({ maxCost: options.maxCost, variables, operationName: payload.operationName })];
        const errors = validate(options.schema, document, rules);
        if (errors.length > 0) return errors;
        const operation = document.definitions.find((d) => d.kind === 'OperationDefinition' && (!payload.operationName || d.name?.value === payload.operationName));
        if (operation?.kind !== 'OperationDefinition') return refuse('no operation to run', { code: 'BAD_REQUEST' });
        const refusal = platformCallRefusal(options.schema, document, operation, variables, options.maxPlatformCalls, options.mirrored());
        if (refusal) return [refusal];
        const caller = connection.caller;
        if (!caller) return refuse('not authenticated', { code: 'UNAUTHENTICATED' });
        const contextValue = contextOf(caller);
        if (operation.operation === 'mutation') contextValue.scope.priority = 'mutation';
        callers.set(contextValue, caller);
        connection.subscriptions.add(id);
        return { schema: options.schema, document, variableValues: variables, operationName: payload.operationName, contextValue };
      },
      // Each event is executed as a request of its own: a context's DataLoaders and reads are per request, and one
      // kept for a subscription's lifetime would answer every later event with what the first one read.
      subscribe: async (args: ExecutionArgs) => {
        const events = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in events)) return events;
        const caller = callers.get(args.contextValue as GatewayContext);
        return eachEvent(events, (event) => execute({ ...args, rootValue: event, contextValue: caller ? contextOf(caller) : args.contextValue }));
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return result;
        return { ...result, errors: result.errors.map((error) => formatError(error.toJSON() as GraphQLFormattedError, error)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON() as GraphQLFormattedError, error)),
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
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  };
  options.server.on('upgrade', upgrade);
  wsServer.on('error', (error) => options.logger.warn({ error: error.message }, 'websocket server error'));
  return async () => {
    options.server.off('upgrade', upgrade);
    await server.dispose();
    await new Promise<void>((resolve) => wsServer.close(() => resolve()));
  };
}

/** The source's events, each mapped; ending the result ends the source at once (as graphql-js's own mapping does). */
function eachEvent(source: AsyncIterable<unknown>, run: (event: unknown) => ExecutionResult | Promise<ExecutionResult>): AsyncGenerator<ExecutionResult> {
  const events = source[Symbol.asyncIterator]();
  const mapped = async (result: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => (result.done ? { done: true, value: undefined } : { done: false, value: await run(result.value) });
  const ended = (): Promise<IteratorResult<ExecutionResult>> => Promise.resolve({ done: true, value: undefined });
  const generator: AsyncGenerator<ExecutionResult> = {
    next: () => events.next().then(mapped),
    return: () => (events.return ? events.return().then(() => ended()) : ended()),
    throw: (error: unknown) => (events.throw ? events.throw(error).then(mapped) : Promise.reject(error)),
    [Symbol.asyncIterator]: () => generator,
  };
  return generator;
}
