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
import type { Logger } from '../logging/logger.js';
import { tracePlatformCall } from './platform-spans.js';
import { RequestSpans } from './request-spans.js';
import { traceStoreQuery } from './store-spans.js';
import { SERVICE_NAME, type Protocol, type Tracing } from './tracing-settings.js';

/** A stop waits no longer for the last spans: the process has its own deadline to close within (main.ts). */
const SHUTDOWN_WAIT_MS = 2000;

/** Starts tracing in the protocol `tracingProtocol` chose; the SDK's own complaints go to the log. */
export function startTracing(protocol: Protocol, logger: Logger): Tracing {
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
