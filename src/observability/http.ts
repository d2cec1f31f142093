/**
 * The HTTP layer's part in observability: every response carries a request id (`x-request-id`), every GraphQL
 * request ends in one log line and one observation for the metrics, and errors outside GraphQL (a body too large or
 * not JSON) are answered as JSON, never with an HTML page or a stack trace.
 */
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { getOperationAST } from 'graphql';
import type { Logger } from '../logging/logger.js';
import type { GatewayMetrics, GraphQLOutcome } from './metrics.js';
import type { RequestRecord } from '../graphql/context.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A proxy's request id is kept when it looks like one; anything else is replaced (it ends up in log lines). */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

const RECORD = 'gatewayRequest';

export function requestRecordOf(res: Response): RequestRecord | undefined {
  return (res.locals as Record<string, RequestRecord | undefined>)[RECORD];
}

/** Gives each request its id (the caller's `x-request-id` when it is sane), and sends it back on the response. */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const offered = req.get(REQUEST_ID_HEADER);
    const requestId = offered !== undefined && ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
    const record: RequestRecord = { requestId, errorCodes: [] };
    (res.locals as Record<string, RequestRecord>)[RECORD] = record;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    next();
  };
}

/** Fills the request's record from what GraphQL answered (operation name, data or not, error codes). */
export function requestRecordPlugin(): ApolloServerPlugin<{ record: RequestRecord }> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operationName, document, request, response }) {
          const { record } = contextValue;
          // A document that failed validation has no resolved operation, but may well have a name.
          const name = operationName ?? (document && getOperationAST(document, request.operationName)?.name?.value);
          if (name) record.operationName = name;
          if (response.body.kind === 'single') {
            const { data, errors } = response.body.singleResult;
            record.answered = { hasData: data !== undefined && data !== null };
            record.errorCodes = (errors ?? []).map((error) => String(error.extensions?.code ?? 'UNKNOWN'));
          } else {
            record.answered = { hasData: true };
          }
        },
      };
    },
  };
}

/** Codes for responses the HTTP layer or Apollo sent before GraphQL ran, by status. */
const CODE_BY_STATUS: Record<number, string> = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 413: 'PAYLOAD_TOO_LARGE', 415: 'BAD_REQUEST' };

/** Times each GraphQL request and, when its response is done, logs one line and feeds the metrics. */
export function graphqlRequestObserver(metrics: GatewayMetrics, logger: Logger): RequestHandler {
  return (_req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const record = requestRecordOf(res);
      if (!record) return;
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const outcome = outcomeOf(record, res.statusCode);
      const errorCodes =
        record.answered !== undefined ? record.errorCodes : res.statusCode >= 400 ? [CODE_BY_STATUS[res.statusCode] ?? (res.statusCode >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST')] : [];
      // Names of operations that never passed authentication are not trusted with a label.
      const operationName = res.statusCode === 401 ? undefined : record.operationName;
      metrics.observeGraphQLRequest({ operationName, outcome, durationMs, errorCodes });
      const line = { requestId: record.requestId, operation: operationName ?? null, outcome, status: res.statusCode, durationMs, errors: errorCodes };
      if (res.statusCode >= 500) logger.warn(line, 'graphql request');
      else logger.info(line, 'graphql request');
    });
    next();
  };
}

/** How a request ended; without an HTTP status (WebSocket, SSE), one GraphQL did not answer was refused. */
export function outcomeOf(record: { answered?: RequestRecord['answered']; errorCodes: readonly string[] }, status?: number): GraphQLOutcome {
  if (record.answered === undefined) return status !== undefined && status < 400 ? 'success' : 'rejected';
  if (record.errorCodes.length === 0) return 'success';
  if (record.answered.hasData) return 'partial';
  return status !== undefined && status >= 400 && status < 500 ? 'rejected' : 'failed';
}

/**
 * Errors that reach Express rather than GraphQL: the JSON body parser's (too large, not JSON, wrong charset) and
 * bugs. Answered in the GraphQL error shape, with the status the error asks for; a 5xx says nothing more.
 */
export function jsonErrorHandler(options: { logger: Logger; maxBodyBytes: number }): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const details = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown; message?: unknown };
    const declared = typeof details.status === 'number' ? details.status : typeof details.statusCode === 'number' ? details.statusCode : 500;
    const status = declared >= 400 && declared < 600 ? declared : 500;
    let body: { message: string; extensions: Record<string, unknown> };
    if (details.type === 'entity.too.large') {
      body = {
        message: `Request body larger than ${options.maxBodyBytes} bytes, the limit (GATEWAY_MAX_BODY_BYTES).`,
        extensions: { code: 'PAYLOAD_TOO_LARGE', limit: 'GATEWAY_MAX_BODY_BYTES', max: options.maxBodyBytes },
      };
    } else if (details.type === 'entity.parse.failed') {
      body = { message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } };
    } else if (status < 500 && details.expose === true && typeof details.message === 'string') {
      body = { message: details.message, extensions: { code: 'BAD_REQUEST' } };
    } else {
      const requestId = requestRecordOf(res)?.requestId;
      options.logger.error({ requestId }, `request ${requestId ?? '?'} failed outside GraphQL:`, error);
      body = { message: status < 500 ? 'Bad request' : 'Internal server error', extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } };
    }
    res.status(status).type('application/json').send(JSON.stringify({ errors: [body] }));
  };
}
