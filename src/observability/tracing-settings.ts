/**
 * Whether to trace with OpenTelemetry, and how, from the standard OTEL_* variables: on when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Apart from the SDK (tracing.ts), which
 * is loaded only when tracing is on: its modules alone would take about 45 MB of a gateway that does not trace.
 */
import type { PlatformCallEvent } from '../datasources/platform/call-event.js';
import type { RequestTracer } from '../graphql/tracing.js';
import type { StoreQuery } from '../store/index.js';

/** `service.name` unless OTEL_SERVICE_NAME (or `service.name` in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
export const SERVICE_NAME = 'northbound-graphql-gateway';
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

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

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
