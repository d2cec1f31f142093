// One request pipeline: the same document sent over HTTP and over graphql-ws is refused with the same error (code,
// message, extensions), whether the parser, a validation rule, a query limit, the platform-call estimate or the
// variables refuse it; and it is logged alike.
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TestGateway } from '../harness/gateway.js';
import type { Stack } from '../harness/stack.js';
import { DASHBOARD, startEmbedded, type Json } from './support.js';

const KEY = 'pipeline-test-key-5c1e';

interface Answer {
  data?: Json;
  errors?: GraphQLFormattedError[];
}

function wsClient(ops: TestGateway, apiKey?: string): Client {
  return createClient({
    url: ops.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: apiKey === undefined ? {} : { 'x-api-key': apiKey },
    retryAttempts: 0,
  });
}

/** One operation over graphql-ws: its last result, or the errors of an `error` message. Rejects when the socket closes. */
async function overWebSocket(ops: TestGateway, query: string, variables?: Record<string, unknown>, apiKey?: string): Promise<Answer> {
  const client = wsClient(ops, apiKey);
  try {
    return await new Promise<Answer>((resolve, reject) => {
      let last: Answer = {};
      client.subscribe(
        { query, variables },
        {
          next: (value) => void (last = value as Answer),
          error: (error) => (Array.isArray(error) ? resolve({ errors: error as GraphQLFormattedError[] }) : reject(error)),
          complete: () => resolve(last),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/** The same document over both transports. */
async function overBoth(ops: TestGateway, query: string, variables?: Record<string, unknown>, apiKey?: string): Promise<{ http: Answer; ws: Answer }> {
  const reply = await ops.graphql(query, { variables, apiKey });
  return { http: reply.json as Answer, ws: await overWebSocket(ops, query, variables, apiKey) };
}

const codes = (answer: Answer) => (answer.errors ?? []).map((error) => error.extensions?.code);

/** `{ health { loginOk } }` under `n` aliases. */
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: health { loginOk }`).join(' ')} }`;
/** 12 levels deep (the limit is 10). */
const TOO_DEEP = '{ device(id: "x") { operations(first: 1) { nodes { subtasks(first: 1) { nodes { device { operations(first: 1) { nodes { subtasks(first: 1) { nodes { device { name } } } } } } } } } } } }';
/** A fragment of 300 fields spread 300 times: 90,000 fields in about 4 KB. */
const SPREAD_WIDE = `fragment F on Health { ${'loginOk '.repeat(300)}} { health { ${'...F '.repeat(300)}} }`;
/** One field repeated 1,000 times: graphql-js gives up comparing them for merging. */
const REPEATED = `{ health { ${'loginOk '.repeat(1000)}} }`;
const WIDE = 'query Wide($n: Int) { operations(first: $n) { nodes { subtasks(first: $n) { nodes { device { name } } } } } }';

describe('a development gateway (introspection on)', () => {
  let stack: Stack;
  let ops: TestGateway;
  beforeAll(async () => {
    stack = await startEmbedded();
    ops = stack.gateway;
  });
  afterAll(() => stack?.close());

  it.each([
    ['a syntax error', '{ health { loginOk } ', undefined, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', '{ operatins { totalCount } }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['an unknown field of a subscription', 'subscription { operationUpdated(id: "x") { nope } }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['a query deeper than 10', TOO_DEEP, undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['more than 15 aliases', aliased(16), undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['more than 2000 tokens', `{ health { ${'loginOk '.repeat(1998)}} }`, undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['a cost over 10000 (first from the variables)', WIDE, { n: 100 }, 'GRAPHQL_VALIDATION_FAILED'],
    ['more than 2000 fields, fragments counted where spread', SPREAD_WIDE, undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['a field repeated 1000 times', REPEATED, undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['more platform calls than one client may spend', DASHBOARD, undefined, 'RATE_LIMITED'],
    ['a variable of the wrong type', 'query($n: Int) { operations(first: $n) { totalCount } }', { n: 'many' }, 'BAD_USER_INPUT'],
    ['two operations and no operation name', 'query A { health { loginOk } } query B { health { loginOk } }', undefined, 'OPERATION_RESOLUTION_FAILURE'],
  ])('refuses %s with the same error over both', async (_name, query, variables, code) => {
    const { http, ws } = await overBoth(ops, query, variables);
    expect(codes(http)).toEqual([code]);
    expect(ws).toEqual(http);
  });

  it('names the limit that refused, over both', async () => {
    for (const [query, variables, limit] of [
      [TOO_DEEP, undefined, 'GATEWAY_MAX_DEPTH'],
      [aliased(16), undefined, 'GATEWAY_MAX_ALIASES'],
      [`{ health { ${'loginOk '.repeat(1998)}} }`, undefined, 'GATEWAY_MAX_TOKENS'],
      [WIDE, { n: 100 }, 'GATEWAY_MAX_COST'],
      [SPREAD_WIDE, undefined, 'selections'],
      [REPEATED, undefined, 'field merging'],
    ] as const) {
      const { ws } = await overBoth(ops, query, variables);
      expect(ws.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit });
    }
  });

  it('answers an operation within the limits alike over both', async () => {
    const { http, ws } = await overBoth(ops, '{ health { loginOk } }');
    expect(http).toEqual({ data: { health: { loginOk: true } } });
    expect(ws).toEqual(http);
  });

  it('logs a refusal over WebSocket as it logs one over HTTP', async () => {
    const logged = () => ops.log.records().filter((record: Json) => record.code === 'GRAPHQL_PARSE_FAILED').length;
    const before = logged();
    await ops.graphql('{ health ');
    expect(logged()).toBe(before + 1);
    await overWebSocket(ops, '{ health ');
    expect(logged()).toBe(before + 2);
  });
});

describe('a production gateway (NODE_ENV=production) with API keys', () => {
  let stack: Stack;
  let ops: TestGateway;
  beforeAll(async () => {
    stack = await startEmbedded({ NODE_ENV: 'production', GATEWAY_API_KEYS: `${KEY}:read` });
    ops = stack.gateway;
  });
  afterAll(() => stack?.close());

  it.each([['{ __schema { types { name } } }'], ['{ __type(name: "Operation") { name } }']])('refuses introspection over both: %s', async (query) => {
    const { http, ws } = await overBoth(ops, query, undefined, KEY);
    expect(http.errors).toEqual([
      expect.objectContaining({ message: 'Introspection is disabled on this gateway (GATEWAY_INTROSPECTION=true enables it).', extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) }),
    ]);
    expect(ws).toEqual(http);
  });

  it('refuses an unknown field without hinting at field names over both', async () => {
    const { http, ws } = await overBoth(ops, '{ operatins { totalCount } }', undefined, KEY);
    expect(codes(http)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(http.errors?.[0]?.message).toBe('Cannot query field "operatins" on type "Query".');
    expect(ws).toEqual(http);
  });

  it('refuses a syntax error with GRAPHQL_PARSE_FAILED over both', async () => {
    const { http, ws } = await overBoth(ops, '{ health { loginOk } ', undefined, KEY);
    expect(codes(http)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(ws).toEqual(http);
  });

  it('refuses an unknown API key: UNAUTHENTICATED over HTTP, the socket closed with 4403 over WebSocket', async () => {
    const reply = await ops.graphql('{ health { loginOk } }', { apiKey: 'not-a-key' });
    expect(reply.status).toBe(401);
    expect(codes(reply.json as Answer)).toEqual(['UNAUTHENTICATED']);
    await expect(overWebSocket(ops, '{ health { loginOk } }', undefined, 'not-a-key')).rejects.toMatchObject({ code: 4403 });
  });
});
