/**
 * GraphQL over HTTP: Apollo Server, given the request pipeline's pieces (parse options, validation rules, error
 * formatting) as its options and the rest (the refusals before execution, the call priority, error logging) as one
 * plugin, so that it refuses what every other transport refuses, with the same code.
 */
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import type { RequestHandler, Response } from 'express';
import { GraphQLError, parse } from 'graphql';
import { API_KEY_HEADER } from './auth.js';
import type { GatewayContext } from './context.js';
import type { Logger } from '../logging/logger.js';
import type { RequestPipeline } from './pipeline.js';
import type { CacheTicket } from './response-cache.js';
import { retryAfterPlugin } from './retry-after.js';
import type { RequestTracer } from './tracing.js';
import { CachePolicy, cacheControlHeader } from './cache-policy.js';

export interface HttpTransportOptions {
  /** The HTTP shell's own Apollo plugins (drain, the request's record). */
  plugins: ApolloServerPlugin<GatewayContext>[];
  /** Apollo's Sandbox as the landing page (it loads from Apollo's CDN); otherwise none. */
  sandbox: boolean;
  /** `Retry-After` of a RATE_LIMITED refusal that names no time of its own: a full budget window. */
  retryAfterSeconds: number;
  /** The record the HTTP shell started for this request (its id), if it did. */
  recordOf(res: Response): GatewayContext['record'] | undefined;
  logger: Logger;
}

export interface HttpTransport {
  /** Answers GraphQL requests; mount it after a JSON body parser. */
  middleware: RequestHandler;
  stop(): Promise<void>;
}

export async function startHttpTransport(pipeline: RequestPipeline, options: HttpTransportOptions): Promise<HttpTransport> {
  const apollo = new ApolloServer<GatewayContext>({
    schema: pipeline.schema,
    logger: options.logger,
    // The pipeline's own rule refuses introspection (for every transport); Apollo's would refuse it twice.
    introspection: true,
    // Apollo's defaults, stated: a browser cannot send a simple cross-site request that runs an operation, and
    // a body with an array of operations is refused (one request, one operation, one set of limits).
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // main.ts handles SIGINT/SIGTERM and closes everything in order; Apollo's own handler would stop the server
    // first and raise the signal again, which reads as an operator's second "now".
    stopOnTerminationSignals: false,
    validationRules: [...pipeline.validationRules],
    documentStore: {
      get: async (key) => pipeline.documents.get(key),
      set: async (key, document) => void pipeline.documents.set(key, document),
      delete: async (key) => pipeline.documents.delete(key),
    },
    parseOptions: pipeline.parseOptions,
    formatError: pipeline.formatError,
    plugins: [
      ...options.plugins,
      options.sandbox ? ApolloServerPluginLandingPageLocalDefault() : ApolloServerPluginLandingPageDisabled(),
      pipelinePlugin(pipeline),
      retryAfterPlugin(options.retryAfterSeconds),
      // The pipeline's own, cheaper (cache-policy.ts); the header is set by pipelinePlugin.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();
  const apolloMiddleware = expressMiddleware(apollo, {
    // The HTTP layer gave the request its id (x-request-id) before anything else ran.
    context: async ({ req, res }) => pipeline.context(pipeline.authenticate(req.get(API_KEY_HEADER)), options.recordOf(res)),
  });
  const middleware = refusingBeforeApollo(pipeline, options, apolloMiddleware);
  return { middleware: pipeline.tracer ? traced(pipeline.tracer, options, middleware) : middleware, stop: () => apollo.stop() };
}

/**
 * Runs each request in a span of its own (continuing the caller's `traceparent`), ended with its response. Mounted
 * after the body parser: what runs from here on (Apollo, the resolvers, their calls) is in the span's context.
 */
function traced(tracer: RequestTracer, options: HttpTransportOptions, handle: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const record = options.recordOf(res);
    if (!record) return handle(req, res, next);
    const span = (record.span = tracer.start({ transport: 'http', header: (name) => req.get(name) }));
    res.once('close', () => span.end(record, res.statusCode));
    return span.run(() => handle(req, res, next));
  };
}

/**
 * Refuses, before Apollo sees it, a document graphql-js's validation would throw on (see `refusedBeforeValidation`):
 * Apollo answers any throw with a 500. Only an authenticated request whose document mentions a subscription is
 * parsed here; the rest (and a document that does not parse) is Apollo's to answer.
 */
function refusingBeforeApollo(pipeline: RequestPipeline, options: HttpTransportOptions, apollo: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const query: unknown = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
    let errors: GraphQLError[] = [];
    let client = '';
    try {
      if (typeof query === 'string' && query.includes('subscription')) {
        client = pipeline.authenticate(req.get(API_KEY_HEADER)).client;
        errors = pipeline.refusedBeforeValidation(parse(query, pipeline.parseOptions));
      }
    } catch {
      errors = [];
    }
    if (errors.length === 0) {
      void apollo(req, res, next);
      return;
    }
    const refusals = errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
    const record = options.recordOf(res);
    if (record) {
      record.answered = { hasData: false };
      record.errorCodes = refusals.map(() => 'GRAPHQL_VALIDATION_FAILED');
    }
    pipeline.logErrors(refusals, { requestId: record?.requestId ?? '', client });
    const type = req.accepts(['application/graphql-response+json', 'application/json']) || 'application/json';
    res.status(400).type(type).send(JSON.stringify({ errors: pipeline.formatErrors(refusals) }));
  };
}

/** The pipeline's steps that Apollo has no option for. */
function pipelinePlugin(pipeline: RequestPipeline): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      contextValue.cachePolicy = new CachePolicy();
      let ticket: CacheTicket | undefined;
      let answeredFromCache = false;
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return;
          contextValue.record.operationType = operation.operation;
          // Apollo would execute it as a query: its root field, without an event, failed as INTERNAL_SERVER_ERROR.
          if (operation.operation === 'subscription') {
            throw new GraphQLError('Subscriptions are not served over HTTP POST here: subscribe over WebSocket (graphql-ws) at this path, or over Server-Sent Events (graphql-sse) at its /stream.', {
              nodes: [operation],
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          pipeline.scope(contextValue, operation);
          const refusal = await pipeline.refusal(document, operation, request.variables ?? {}, contextValue);
          if (!refusal) return;
          // Refused by a limit: 400, as for the validation rules; for want of call budget: 429.
          const status = refusal.extensions.code === 'RATE_LIMITED' ? 429 : 400;
          throw new GraphQLError(refusal.message, { nodes: refusal.nodes, extensions: { ...refusal.extensions, http: { status } } });
        },
        async responseForOperation({ document, operation, request }) {
          if (!operation) return null;
          ticket = pipeline.cacheTicket(document, operation, request.variables, contextValue);
          const kept = ticket && pipeline.responses?.get(ticket);
          if (ticket) contextValue.record.cacheHit = kept !== undefined;
          if (!kept) return null;
          answeredFromCache = true;
          const headers = new HeaderMap(kept.cacheControl === undefined ? [] : [['cache-control', kept.cacheControl]]);
          return { http: { status: undefined, headers }, body: { kind: 'single', singleResult: { data: kept.data } } };
        },
        async didEncounterErrors({ errors }) {
          pipeline.logErrors(errors, contextValue);
        },
        async willSendResponse({ response }) {
          response.http.headers.set('x-request-id', contextValue.requestId);
          if (answeredFromCache) return;
          const single = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const cacheControl = cacheControlHeader(contextValue.cachePolicy, single === undefined || single.errors !== undefined);
          response.http.headers.set('cache-control', cacheControl);
          if (ticket && single) pipeline.responses?.set(ticket, single, contextValue.scope.platformRead ?? false, cacheControl);
        },
      };
    },
  };
}
