// Documents the fuzz test (fuzz.test.ts) found mishandled, each refused now with its code over every transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorReady } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { httpTransport, webSocketTransport, type SentOperation, type Transport } from './transports.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: Stack;
let http: Transport;
let webSocket: Transport;
beforeAll(async () => {
  // The mirror serves subscriptions.
  stack = await startStack({ platform: 'embedded', env: { MIRROR_BUDGET_SHARE: '0.5' } });
  await mirrorReady(stack.gateway);
  const { url, apiKey } = stack.gateway;
  http = httpTransport(url, apiKey);
  // One socket: an operation that closed it would fail the next one.
  webSocket = webSocketTransport(url, apiKey, 1);
});
afterAll(async () => {
  await webSocket?.close();
  await stack?.close();
});

/** Sends over HTTP and WebSocket; both must refuse with `code` (HTTP with `status`), and the socket stay open. */
async function expectRefused(operation: SentOperation, code: string, status: number, message?: RegExp): Promise<void> {
  const overHttp = await http.send(operation);
  expect(overHttp.status).toBe(status);
  expect((overHttp.body as Json).errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code }) })]);
  if (message) expect((overHttp.body as Json).errors[0].message).toMatch(message);
  const overSocket = await webSocket.send(operation);
  expect(overSocket.failure).toBeUndefined();
  expect((overSocket.body as Json).errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code }) })]);
  expect((await webSocket.send({ query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
}

describe('@skip and @include at a subscription’s root', () => {
  const refusal = /must not use @skip or @include in its top level selection/;

  it('are refused (they were a 500 over HTTP and closed the whole socket, 4500, over WebSocket)', async () => {
    const skipped = { query: 'subscription($b: Boolean!) { deviceUpdated(id: "x") @skip(if: $b) { id } }', variables: { b: false } };
    await expectRefused(skipped, 'GRAPHQL_VALIDATION_FAILED', 400, refusal);
    await expectRefused({ query: 'subscription { deviceUpdated(id: "x") @include { id } }' }, 'GRAPHQL_VALIDATION_FAILED', 400, refusal);
    await expectRefused({ query: 'subscription { deviceUpdated(id: "x") @skip(if: "yes") { id } }' }, 'GRAPHQL_VALIDATION_FAILED', 400, refusal);
  });

  it('are refused when they leave no root field (graphql-js’s execution threw on it)', async () => {
    await expectRefused({ query: 'subscription S { deviceUpdated(id: "x") @include(if: false) { id } }' }, 'GRAPHQL_VALIDATION_FAILED', 400, /Subscription "S" must not/);
  });

  it('are refused in fragments spread or inlined at the root, and beside another operation that is the one to run', async () => {
    await expectRefused({ query: 'subscription { ...F } fragment F on Subscription { deviceUpdated(id: "x") @skip(if: true) { id } }' }, 'GRAPHQL_VALIDATION_FAILED', 400, refusal);
    await expectRefused({ query: 'subscription { ... @include(if: true) { deviceUpdated(id: "x") { id } } }' }, 'GRAPHQL_VALIDATION_FAILED', 400, refusal);
    const beside = { query: 'query Q { __typename } subscription S($b: Boolean!) { deviceUpdated(id: "x") @skip(if: $b) { id } }', operationName: 'Q' };
    await expectRefused(beside, 'GRAPHQL_VALIDATION_FAILED', 400, refusal);
  });

  it('still allow them below the root field', async () => {
    const below = await webSocket.send({ query: 'subscription($b: Boolean!) { deviceUpdated(id: "x") { id @skip(if: $b) } }', variables: { b: true }, subscriptionWindowMs: 300 });
    expect(below).toMatchObject({ subscribed: true });
  });
});

describe('a subscription sent over HTTP POST', () => {
  it('is refused with BAD_REQUEST, 400 (Apollo executed it as a query: INTERNAL_SERVER_ERROR)', async () => {
    const reply = await http.send({ query: 'query Q { __typename } subscription S { deviceUpdated(id: "x") { id } }', operationName: 'S' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      errors: [expect.objectContaining({ message: expect.stringMatching(/^Subscriptions are not served over HTTP POST/), extensions: { code: 'BAD_REQUEST' } })],
    });
    expect((await http.send({ query: 'query Q { __typename } subscription S { deviceUpdated(id: "x") { id } }', operationName: 'Q' })).body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('a JSONObject argument nested thousands deep', () => {
  const create = (paras: string) =>
    `mutation${paras === '$p' ? '($p: JSONObject)' : ''} { createBatchTask(input: { name: "deep", timeout: 10, target: { type: DEVICE_LIST, deviceIds: ["no-such-device"] }, command: { serviceId: "s", method: "m", paras: ${paras} } }) { taskId } }`;
  const nested = (depth: number, open: string, close: string) => `${open.repeat(depth)}{}${close.repeat(depth)}`;

  it('is refused as bad input (it overflowed the stack of the idempotency fingerprint: INTERNAL_SERVER_ERROR)', async () => {
    await expectRefused({ query: create('$p'), rawVariables: `{"p":${nested(5_000, '{"a":', '}')}}` }, 'BAD_USER_INPUT', 400, /JSONObject nests deeper than 32 levels/);
    await expectRefused({ query: create(nested(40, '{ a: ', ' }')) }, 'GRAPHQL_VALIDATION_FAILED', 400, /JSONObject nests deeper than 32 levels/);
  });

  it('is taken within 32 levels', async () => {
    const reply = await http.send({ query: create('$p'), rawVariables: `{"p":${nested(30, '{"a":', '}')}}` });
    expect(JSON.stringify(reply.body)).not.toMatch(/nests deeper|INTERNAL_SERVER_ERROR/);
  });
});

describe('a persisted query that Apollo refuses', () => {
  const post = (extensions: unknown) =>
    fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', extensions }),
    });

  it('is answered BAD_REQUEST, not INTERNAL_SERVER_ERROR, and logged as no error', async () => {
    const logged = stack.gateway.log.lines.length;
    for (const [persistedQuery, message] of [
      [{ version: 1, sha256Hash: 'abc' }, 'provided sha does not match query'],
      [{ version: 2, sha256Hash: 'abc' }, 'Unsupported persisted query version'],
    ] as const) {
      const reply = await post({ persistedQuery });
      expect(reply.status).toBe(400);
      expect(await reply.json()).toEqual({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    }
    expect(stack.gateway.log.lines.slice(logged).filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });
});
