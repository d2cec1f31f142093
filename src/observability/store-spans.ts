/**
 * A span for each store query a traced request runs, from Kysely's log (the store knows nothing of tracing): the
 * statement with its placeholders (never their values: a sealed token or an idempotency key may be one), its
 * operation and table, and how long it took.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import { ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME, ATTR_ERROR_TYPE, DB_SYSTEM_NAME_VALUE_POSTGRESQL } from '@opentelemetry/semantic-conventions';
import type { StoreQuery } from '../store/index.js';
import { openParent } from './trace-scope.js';

/** `db.system.name` for SQLite (incubating: spelt here, as the conventions package advises). */
const DB_SYSTEM_NAME_VALUE_SQLITE = 'sqlite';
/** A statement's text is cut here: a list of many placeholders says nothing more past it. */
const MAX_QUERY_TEXT = 2000;
const TABLE = /\b(?:from|into|update|join)\s+"?([A-Za-z_]\w*)"?/i;

export function traceStoreQuery(tracer: Tracer, query: StoreQuery): void {
  const parent = openParent();
  if (!parent) return;
  const ended = performance.now();
  const operation = (/^\s*([A-Za-z]+)/.exec(query.sql)?.[1] ?? 'QUERY').toUpperCase();
  const table = TABLE.exec(query.sql)?.[1];
  const attributes: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: query.engine === 'sqlite' ? DB_SYSTEM_NAME_VALUE_SQLITE : DB_SYSTEM_NAME_VALUE_POSTGRESQL,
    [ATTR_DB_OPERATION_NAME]: operation,
    [ATTR_DB_QUERY_TEXT]: query.sql.slice(0, MAX_QUERY_TEXT),
  };
  if (table) attributes[ATTR_DB_COLLECTION_NAME] = table;
  const span = tracer.startSpan(table ? `${operation} ${table}` : operation, { kind: SpanKind.CLIENT, startTime: ended - query.durationMs, attributes }, parent);
  if (query.error !== undefined) {
    span.setAttribute(ATTR_ERROR_TYPE, query.error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: query.error });
  }
  span.end(ended);
}
