// The notification receiver answers in its own shape (a status; a line of plain text for a body it cannot read),
// never GraphQL's, and names its own fixed limit of 64 KB rather than GATEWAY_MAX_BODY_BYTES; every refusal is
// counted in `mirror { notifications { rejected } }` and the metric `mirror_notifications_total{outcome="rejected"}`.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../src/store/index.js';
import { mirrorReady, reachableEnv } from '../harness/gateway.js';
import { metric } from '../harness/live.js';
import { startStack, type Stack } from '../harness/stack.js';

const RECEIVER_LIMIT = 64 * 1024;

let stack: Stack;
let path: string;
beforeAll(async () => {
  // GraphQL's own limit well above the receiver's: the receiver must not borrow it.
  stack = await startStack({ platform: { devices: 20 }, store: 'sqlite', env: { ...(await reachableEnv()), MIRROR_BUDGET_SHARE: '0.5', GATEWAY_MAX_BODY_BYTES: String(4 * RECEIVER_LIMIT) } });
  await mirrorReady(stack.gateway);
  const db = new Database(join(stack.store?.env.GATEWAY_DATA_DIR as string, SQLITE_FILE), { readonly: true });
  path = `/mirror/notifications/${(db.prepare("select value from mirror_meta where key = 'receiver.secret'").get() as { value: string }).value}`;
  db.close();
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const post = (to: string, body: string) => stack.gateway.request(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const rejected = async () => ({
  graph: (await stack.gateway.query('{ mirror { notifications { rejected } } }')).data.mirror.notifications.rejected as number,
  metric: await metric(stack.gateway, 'mirror_notifications_total', { outcome: 'rejected' }),
});

describe('the notification receiver refuses in its own shape, and counts it', () => {
  it('a body over its 64 KB limit: 413 naming that limit, not GATEWAY_MAX_BODY_BYTES', async () => {
    const before = await rejected();
    const padded = JSON.stringify({ notifyType: 'deviceInfoChanged', deviceId: 'x', padding: 'p'.repeat(RECEIVER_LIMIT) });
    const answer = await post(path, padded);
    expect(answer.status).toBe(413);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(answer.text).toBe(`notification larger than ${RECEIVER_LIMIT} bytes, the receiver's fixed limit\n`);
    expect(answer.text).not.toContain('GATEWAY_MAX_BODY_BYTES');
    expect(await rejected()).toEqual({ graph: before.graph + 1, metric: before.metric + 1 });
  });

  it('malformed JSON: 400 in plain text, not a GraphQL error', async () => {
    const before = await rejected();
    const answer = await post(path, '{ not json');
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(answer.text).toBe('notification body is not valid JSON\n');
    expect(await rejected()).toEqual({ graph: before.graph + 1, metric: before.metric + 1 });
  });

  it('a wrong secret: a bare 404 whatever the body, counted', async () => {
    const before = await rejected();
    for (const body of ['{ not json', JSON.stringify({ padding: 'p'.repeat(RECEIVER_LIMIT) }), '{}']) {
      const answer = await post('/mirror/notifications/not-the-secret', body);
      expect(answer.status).toBe(404);
      expect(answer.text).toBe('');
    }
    expect(await rejected()).toEqual({ graph: before.graph + 3, metric: before.metric + 3 });
  });

  it('a body just under the limit is read (and refused only as a foreign notification, with a bare 400)', async () => {
    const before = await rejected();
    const body = JSON.stringify({ notifyType: 'somethingElse', padding: 'p'.repeat(RECEIVER_LIMIT - 100) });
    expect(body.length).toBeLessThan(RECEIVER_LIMIT);
    const answer = await post(path, body);
    expect(answer.status).toBe(400);
    expect(answer.text).toBe('');
    expect(await rejected()).toEqual({ graph: before.graph + 1, metric: before.metric + 1 });
  });
});
