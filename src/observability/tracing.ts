/**
 * Tracing with OpenTelemetry, on when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set:
 * spans of each GraphQL request, of its resolvers that wait, and of its platform calls and store queries, exported
 * over OTLP/HTTP. The SDK reads the standard variables itself (headers, timeout, compression, sampler, batching,
 * resource attributes, service name); here are decided only whether to trace and in which protocol. Off, nothing is
 * made: no provider, no wrapped resolver, no store log, no span.
 */
import { context, diag, DiagLogLevel } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { PlatformCallEvent } from '../datasources/platform/call-event.js';
import type { RequestTracer } from '../graphql/tracing.js';
import type { Logger } from '../logging/logger.js';
import type { StoreQuery } from '../store/index.js';
import { tracePlatformCall } from './platform-spans.js';
import { RequestSpans } from './request-spans.js';
import { traceStoreQuery } from './store-spans.js';

/** `service.name` unless OTEL_SERVICE_NAME (or `service.name` in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
export const SERVICE_NAME = 'northbound-graphql-gateway';
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
/** A stop waits no longer for the last spans: the process has its own deadline to close within (main.ts). */
const SHUTDOWN_WAIT_MS = 2000;
type Protocol = (typeof PROTOCOLS)[number];

export interface Tracing {
  /** For the request pipeline: a span per request, and the resolvers' spans. */
  requests: RequestTracer;
  /** For the platform client's `onCall`. */
  platformCall(event: PlatformCallEvent): void;
  /** For the store's `onQuery`. */
  storeQuery(query: StoreQuery): void;
  /** Sends the spans still held, then stops; a collector that does not answer is waited for SHUTDOWN_WAIT_MS at most. */
  shutdown(): Promise<void>;
}

/** A standard variable this gateway cannot follow: the start is refused, naming it. */
export class TracingSettingError extends Error {}

/** Whether to trace, and how: undefined when off; throws TracingSettingError for a value it cannot honour. */
export function tracingProtocol(env: NodeJS.ProcessEnv): Protocol | undefined {
  const endpointVariable = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const endpoint = env[endpointVariable];
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim() || 'otlp';
  if (exporter === 'none') return undefined;
  if (exporter !== 'otlp') throw new TracingSettingError(`OTEL_TRACES_EXPORTER=${exporter}: this gateway exports traces over OTLP only (otlp), or not at all (none)`);
  if (!isHttpUrl(endpoint)) throw new TracingSettingError(`${endpointVariable} is not an http(s) URL (e.g. http://collector:4318)`);
  const protocolVariable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[protocolVariable]?.trim() || 'http/protobuf';
  const known = PROTOCOLS.find((p) => p === protocol);
  if (!known) throw new TracingSettingError(`${protocolVariable}=${protocol}: this gateway exports over HTTP: http/protobuf (the default) or http/json`);
  return known;
}

/** Starts tracing when the environment asks for it (see `tracingProtocol`); the SDK's own complaints go to the log. */
export function startTracing(env: NodeJS.ProcessEnv, logger: Logger): Tracing | undefined {
  const protocol = tracingProtocol(env);
  if (!protocol) return undefined;
  // An exporter that cannot reach its collector says so here, at most as a warning: tracing never stops a request.
  const warn = (message: string) => logger.warn({ component: 'opentelemetry' }, message);
  const quiet = () => undefined;
  diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
  // Spans follow the request through its promises; one manager serves every gateway of the process.
  const contexts = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contexts)) contexts.disable();
  const exporter = protocol === 'http/json' ? new JsonTraceExporter() : new ProtobufTraceExporter();
  const resource = defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME })).merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer(SERVICE_NAME);
  logger.info({ protocol }, 'tracing on: spans are exported over OTLP');
  return {
    requests: new RequestSpans(tracer, new W3CTraceContextPropagator()),
    platformCall: (event) => tracePlatformCall(tracer, event),
    storeQuery: (query) => traceStoreQuery(tracer, query),
    shutdown: async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)));
      await Promise.race([provider.shutdown().catch(() => undefined), late]).finally(() => clearTimeout(timer));
    },
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
