// The shutdown drain: a kept-alive client that sends while a slow request is still running gets an answer that
// says Connection: close (on the same connection, not a reset), and the slow request finishes too.
import { Agent, request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { control, remoteEnv, startOpsGateway, startPlatform, type OpsGateway } from './support.js';

const API_KEY = 'drain-test-key-3e8a90';
const OPERATIONS_ROUTE = 'GET /iodm/northbound/v1.5.0/operations';

let platform: RunningEmulator;
let ops: OpsGateway;

beforeAll(async () => {
  platform = await startPlatform({ devices: 20 });
  ops = await startOpsGateway(remoteEnv(platform.url, platform.credentials, `${API_KEY}:read`));
});
afterAll(async () => {
  await ops?.close();
  await platform?.close();
});

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  reusedSocket: boolean;
}

/** A POST of `query` to /graphql through `agent`, as a kept-alive client sends it. */
function post(agent: Agent, query: string): Promise<Answer> {
  const url = new URL(ops.gateway.url);
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

      await control(platform, 'faults', { latencyMs: 1500, routes: [OPERATIONS_ROUTE] });
      const slow = post(other, '{ operations(first: 1) { totalCount } }');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const closing = ops.gateway.close();
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
