/**
 * One exchange with the platform, as the client's `onCall` observer sees it (metrics, logs, readiness, traces, which
 * the client knows nothing of): no credentials, tokens or bodies.
 */
export interface PlatformCallEvent {
  /** The endpoint: method and path template, e.g. `GET /iodm/northbound/v1.5.0/operations/{operationId}`. */
  route: string;
  /**
   * The HTTP status, or why there was none; `circuit_open`: not sent, the circuit held it back; `rate_limited`: not
   * sent, the call budget had no slot before the deadline.
   */
  status: number | 'timeout' | 'network' | 'circuit_open' | 'rate_limited';
  /** With `rate_limited`: in how many seconds the budget expects a free slot. */
  retryAfterSeconds?: number;
  /** The platform's `error_code`, when the reply carried one. */
  code?: string;
  durationMs: number;
  /** How long the call waited for a slot of the call budget before it was sent (or refused: `rate_limited`). */
  budgetWaitMs?: number;
  /** The GraphQL request the call was made for (its `x-request-id`). */
  requestId?: string;
}
