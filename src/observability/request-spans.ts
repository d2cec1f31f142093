/**
 * One span per GraphQL request (and per event of a subscription), over every transport: it continues the trace of an
 * incoming `traceparent`, and ends with the operation, the client, the outcome and whether the response cache answered.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type TextMapGetter, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import type { GraphQLSchema } from 'graphql';
import type { RequestSpan, RequestTracer, TracedRequest, TraceOrigin } from '../graphql/tracing.js';
import { outcomeOf } from './http.js';
import { instrumentResolvers } from './resolver-spans.js';
import { withScope, type TraceScope } from './trace-scope.js';

/** GraphQL's semantic conventions (incubating: spelt here, as the conventions package advises). */
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';

/** A header getter as the propagator reads a carrier. */
const HEADERS: TextMapGetter<(name: string) => string | undefined> = {
  get: (header, name) => header(name),
  keys: () => [],
};

export class RequestSpans implements RequestTracer {
  constructor(
    private readonly tracer: Tracer,
    private readonly propagator: TextMapPropagator,
  ) {}

  start(origin: TraceOrigin): RequestSpan {
    const parent = origin.header ? this.propagator.extract(ROOT_CONTEXT, origin.header, HEADERS) : ROOT_CONTEXT;
    const attributes: Attributes = { 'gateway.transport': origin.transport };
    if (origin.event) attributes['gateway.subscription_event'] = true;
    const span = this.tracer.startSpan('GraphQL Operation', { kind: SpanKind.SERVER, attributes }, parent);
    const scope: TraceScope = { span, open: true };
    const inSpan = withScope(trace.setSpan(parent, span), scope);
    return {
      run: (work) => context.with(inSpan, work),
      end: (request, status) => {
        if (!scope.open) return;
        scope.open = false;
        annotate(span, request, status);
        span.end();
      },
    };
  }

  instrument(schema: GraphQLSchema): void {
    instrumentResolvers(schema, this.tracer);
  }
}

/** What is known of the request once it ends: its name, who asked, how it went. */
function annotate(span: Span, request: TracedRequest, status: number | undefined): void {
  const outcome = outcomeOf(request, status);
  // The name of an operation that never passed authentication is not trusted (as in the request log line).
  const name = status === 401 ? undefined : request.operationName;
  const type = request.operationType;
  span.updateName(type ? `${type}${name ? ` ${name}` : ''}` : 'GraphQL Operation');
  const attributes: Attributes = { 'gateway.request_id': request.requestId, 'gateway.outcome': outcome };
  if (name) attributes[ATTR_GRAPHQL_OPERATION_NAME] = name;
  if (type) attributes[ATTR_GRAPHQL_OPERATION_TYPE] = type;
  if (request.client) attributes['gateway.client'] = request.client;
  if (request.cacheHit !== undefined) attributes['gateway.cache_hit'] = request.cacheHit;
  if (request.errorCodes.length > 0) attributes['gateway.error_codes'] = [...request.errorCodes];
  if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  span.setAttributes(attributes);
  if (outcome === 'failed' || (status ?? 0) >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: request.errorCodes[0] ?? `HTTP ${status}` });
}
