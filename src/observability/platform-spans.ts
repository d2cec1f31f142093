/**
 * A span for each platform call a traced request makes, from the client's `onCall` event (the client knows nothing
 * of tracing): the route's template (never the ids, the query or a header), the status or why there was none, the
 * platform's error code, and how long the call waited for the call budget, which the span includes.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import type { PlatformCallEvent } from '../datasources/platform/call-event.js';
import { openParent } from './trace-scope.js';

/** HTTP's semantic conventions (incubating: spelt here, as the conventions package advises). */
const ATTR_URL_TEMPLATE = 'url.template';

export function tracePlatformCall(tracer: Tracer, event: PlatformCallEvent): void {
  const parent = openParent();
  if (!parent) return;
  const ended = performance.now();
  const sent = ended - event.durationMs;
  const waitedMs = event.budgetWaitMs ?? 0;
  const [method = '', template = ''] = event.route.split(' ');
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_TEMPLATE]: template };
  if (typeof event.status === 'number') attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = event.status;
  else attributes['platform.outcome'] = event.status;
  if (event.code !== undefined) attributes['platform.error_code'] = event.code;
  if (event.budgetWaitMs !== undefined) attributes['platform.budget_wait_ms'] = event.budgetWaitMs;
  if (event.retryAfterSeconds !== undefined) attributes['platform.retry_after_s'] = event.retryAfterSeconds;
  const span = tracer.startSpan(event.route, { kind: SpanKind.CLIENT, startTime: sent - waitedMs, attributes }, parent);
  const held = event.status === 'circuit_open' || event.status === 'rate_limited';
  if (waitedMs > 0 && !held) span.addEvent('sent', sent);
  // The platform tells some failures with a 200 and an error_code.
  const failure = event.code ?? (typeof event.status !== 'number' ? event.status : event.status >= 400 ? String(event.status) : undefined);
  if (failure !== undefined) {
    span.setAttribute(ATTR_ERROR_TYPE, failure);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
  }
  span.end(ended);
}
