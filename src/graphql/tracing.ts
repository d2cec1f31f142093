/**
 * What the request pipeline tells a tracer, when tracing is on (observability/ implements it with OpenTelemetry).
 * Unset, nothing is wrapped and nothing is traced: tracing that is off costs nothing. Every transport alike: one span
 * per GraphQL request (per event of a subscription), the resolvers' spans under it, and whatever they call under those.
 */
import type { GraphQLSchema } from 'graphql';

/** Where a request came from: its transport and, for the trace it continues, its headers (`traceparent`). */
export interface TraceOrigin {
  transport: 'http' | 'websocket' | 'sse';
  header?(name: string): string | undefined;
  /** One event of a subscription, executed as a request of its own: a trace of its own. */
  event?: boolean;
}

export interface RequestTracer {
  /** A span for one request: a child of the trace the origin's `traceparent` names, else a new trace. */
  start(origin: TraceOrigin): RequestSpan;
  /** Gives each resolver that waits (returns a promise) a span under its request's, or its parent field's. Once, at start. */
  instrument(schema: GraphQLSchema): void;
}

export interface RequestSpan {
  /** Runs `work` in the span's context: the resolvers, platform calls and store queries it causes are traced under it. */
  run<T>(work: () => T): T;
  /** Ends the span with what is known of the request by then; `status`: HTTP's. */
  end(request: TracedRequest, status?: number): void;
}

/** What a request's span tells of it (its record, `RequestRecord`, holds it). */
export interface TracedRequest {
  requestId: string;
  operationName?: string;
  operationType?: string;
  client?: string;
  cacheHit?: boolean;
  /** Unset: refused before GraphQL answered. */
  answered?: { hasData: boolean };
  errorCodes: readonly string[];
}
