// What the fuzz test accepts as an answer. Which refusal a document must get is worked out here with graphql-js on
// the schema file, apart from the gateway: one that does not parse must be refused GRAPHQL_PARSE_FAILED, one that
// breaks a rule of the spec GRAPHQL_VALIDATION_FAILED, and so on; a valid one gets data, or a limit's refusal. Every
// error carries a code of a closed set, never INTERNAL_SERVER_ERROR, and the HTTP status goes with it.
import { getOperationAST, getVariableValues, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type OperationTypeNode } from 'graphql';
import { subscriptionRootDirectiveErrors } from '../../src/graphql/subscription-root.js';
import type { FuzzDocument } from './corpus.js';

/** What one transport answered to one document. */
export interface Answer {
  /** HTTP only. */
  status?: number;
  /** The body (HTTP), or what the operation's messages carried (WebSocket). */
  body?: unknown;
  /** A subscription that was accepted (nothing refused it within its window) and completed at once. */
  subscribed?: boolean;
  /** No answer: the socket closed, the body was not JSON, no answer in time. */
  failure?: string;
  ms: number;
}

/** How the gateway must treat a document, by graphql-js's reading of it. */
export type Expected = 'empty' | 'parse' | 'invalid' | 'no-operation' | 'bad-variables' | 'runs' | 'not served';

export interface Expectation {
  expected: Expected;
  /** The operation that runs, when one is found. */
  operation?: OperationTypeNode;
}

/** Refusals before execution, by what the document is, with their HTTP status. */
const REFUSALS: Record<Expected, readonly string[]> = {
  // Apollo refuses an empty query as a request without one.
  empty: ['GRAPHQL_PARSE_FAILED', 'BAD_REQUEST'],
  parse: ['GRAPHQL_PARSE_FAILED'],
  invalid: ['GRAPHQL_VALIDATION_FAILED'],
  'no-operation': ['OPERATION_RESOLUTION_FAILURE'],
  // The limits (cost, platform calls) are checked before the variables are coerced.
  'bad-variables': ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'RATE_LIMITED'],
  // The gateway's own limits (depth, aliases, directives, cost, introspection) on top of graphql-js's rules.
  runs: ['GRAPHQL_VALIDATION_FAILED', 'RATE_LIMITED'],
  // A subscription over a transport that serves none (HTTP POST), refused once its operation is known (after the
  // validation rules, the gateway's depth, aliases and directives limits among them).
  'not served': ['BAD_REQUEST', 'GRAPHQL_VALIDATION_FAILED'],
};
const REFUSAL_STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  BAD_USER_INPUT: 400,
  RATE_LIMITED: 429,
};
/** Codes of errors beside data (DESIGN.md §3); the emulator here has no faults, so no UPSTREAM_UNAVAILABLE. */
export const FIELD_CODES: readonly string[] = ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'RATE_LIMITED', 'UPSTREAM_TIMEOUT'];

/** graphql-js's reading of a document, on the gateway's schema, with the gateway's token limit. */
export function expectation(document: FuzzDocument, schema: GraphQLSchema, maxTokens: number): Expectation {
  if (document.query === '') return { expected: 'empty' };
  let parsed;
  try {
    parsed = parse(document.query, { maxTokens });
  } catch (error) {
    // The gateway reports the token limit as the other limits are reported.
    return { expected: error instanceof GraphQLError && /Document contains more that/.test(error.message) ? 'invalid' : 'parse' };
  }
  if (validationErrors(schema, parsed).length > 0) return { expected: 'invalid' };
  const operation = getOperationAST(parsed, document.operationName);
  if (!operation) return { expected: 'no-operation' };
  const variables = document.rawVariables === undefined ? (document.variables ?? {}) : (JSON.parse(document.rawVariables) as Record<string, unknown>);
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return { expected: coerced.errors ? 'bad-variables' : 'runs', operation: operation.operation };
}

/**
 * graphql-js's rules' errors, and the gateway's refusal of @skip/@include at a subscription's root (the spec draft's
 * rule), which graphql-js's rule for subscriptions throws on rather than reports.
 */
function validationErrors(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  const atRoot = subscriptionRootDirectiveErrors(document);
  return atRoot.length > 0 ? atRoot : validate(schema, document, specifiedRules);
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * What is wrong with an answer (nothing: an empty list). `boundMs`: the longest an answer may take;
 * `servesSubscriptions`: whether the transport serves subscriptions (HTTP POST does not).
 */
export function problemsOf(answer: Answer, expectation: Expectation, { boundMs, servesSubscriptions }: { boundMs: number; servesSubscriptions: boolean }): string[] {
  const unserved = !servesSubscriptions && expectation.operation === 'subscription' && ['runs', 'bad-variables'].includes(expectation.expected);
  const expected: Expected = unserved ? 'not served' : expectation.expected;
  if (answer.failure) return [`no answer: ${answer.failure}`];
  const problems: string[] = [];
  if (answer.ms > boundMs) problems.push(`answered in ${Math.round(answer.ms)} ms, over the bound of ${boundMs} ms`);
  if (answer.subscribed) {
    if (expected !== 'runs') problems.push(`a subscription accepted, where graphql-js says "${expected}"`);
    return problems;
  }
  const body = answer.body as Json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [...problems, `an answer that is not an object: ${JSON.stringify(body)}`];
  const extra = Object.keys(body).filter((key) => !['data', 'errors', 'extensions'].includes(key));
  if (extra.length > 0) problems.push(`unexpected keys ${extra.join(', ')}`);
  const errors: Json[] = body.errors ?? [];
  if (body.errors !== undefined && (!Array.isArray(body.errors) || body.errors.length === 0)) problems.push('errors that are not a non-empty list');
  const codes = Array.isArray(errors) ? errors.map((error) => error?.extensions?.code) : [];
  for (const [i, error] of (Array.isArray(errors) ? errors : []).entries()) {
    if (typeof error?.message !== 'string') problems.push(`error ${i} without a message`);
    if (typeof codes[i] !== 'string') problems.push(`error ${i} without extensions.code: ${JSON.stringify(error)}`);
  }
  if ('data' in body) {
    if (answer.status !== undefined && answer.status !== 200) problems.push(`HTTP ${answer.status} with data`);
    if (expected !== 'runs') problems.push(`executed, where graphql-js says "${expected}"`);
    const unexpected = codes.filter((code) => !FIELD_CODES.includes(code));
    if (unexpected.length > 0) problems.push(`errors beside data with codes ${unexpected.join(', ')}`);
    return problems;
  }
  if (codes.length === 0) return [...problems, 'neither data nor errors'];
  const allowed = REFUSALS[expected];
  const unexpected = codes.filter((code) => !allowed.includes(code));
  if (unexpected.length > 0) problems.push(`refused with ${unexpected.join(', ')}, where graphql-js says "${expected}" (${allowed.join(' or ')})`);
  const status = REFUSAL_STATUS[codes[0]];
  if (answer.status !== undefined && status !== undefined && answer.status !== status) problems.push(`HTTP ${answer.status} for ${codes[0]} (${status} expected)`);
  return problems;
}

/** A short name for an answer's outcome, to count: data (with the codes of errors beside it), subscribed, or the refusal's codes. */
export function outcomeOf(answer: Answer): string {
  if (answer.failure) return 'failure';
  if (answer.subscribed) return 'subscribed';
  const body = answer.body as Json;
  const codes: string[] = Array.isArray(body?.errors) ? body.errors.map((e: Json) => String(e?.extensions?.code)) : [];
  const named = [...new Set(codes)].sort().join('+');
  if (body && typeof body === 'object' && 'data' in body) return codes.length === 0 ? 'data' : `data with ${named}`;
  return `refused ${named}`;
}
