// The shutdown drain: a kept-alive client that sends while a slow request is still running gets an answer that
// says Connection: close (on the same connection, not a reset), and the slow request finishes too.
import { Agent, request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

const API_KEY = 'drain-test-key-3e8a90';

let stack: Stack;
let ops: TestGateway;

beforeAll(async () => {
  stack = await startStack({ platform: { devices: 20 }, env: { LOG_LEVEL: 'debug', GATEWAY_API_KEYS: `${API_KEY}:read` } });
  ops = stack.gateway;
});
afterAll(async () => {
  await stack?.close();
});

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  reusedSocket: boolean;
}

/** A POST of `query` to /graphql through `agent`, as a kept-alive client sends it. */
function post(agent: Agent, query: string): Promise<Answer> {
  const url = new URL(ops.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': API_KEY } },
      (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body, reusedSocket: req.reusedSocket }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

describe('closing', () => {
  it('answers a kept-alive client during the drain with Connection: close, without a reset', async () => {
    const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const other = new Agent({ keepAlive: true });
    try {
      const first = await post(keptAlive, '{ health { loginOk } }');
      expect(first.status).toBe(200);
      expect(first.connection).toBe('keep-alive');

      await stack.platform.fault({ latencyMs: 1500, routes: [ROUTE.operations] });
      const slow = post(other, '{ operations(first: 1) { totalCount } }');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const closing = ops.close();
      await new Promise((resolve) => setTimeout(resolve, 200));

      // The slow request is still running: the drain has begun, and the kept-alive connection is still open.
      const during = await post(keptAlive, '{ __typename }');
      expect(during.reusedSocket).toBe(true);
      expect(during.status).toBe(200);
      expect(JSON.parse(during.body)).toEqual({ data: { __typename: 'Query' } });
      expect(during.connection).toBe('close');

      const finished = await slow;
      expect(finished.status).toBe(200);
      expect(finished.connection).toBe('close');
      expect(JSON.parse(finished.body).data.operations.totalCount).toEqual(expect.any(Number));
      await closing;

      // Closed: new connections are refused.
      await expect(post(new Agent(), '{ __typename }')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      keptAlive.destroy();
      other.destroy();
    }
  });
});
