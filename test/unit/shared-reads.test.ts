import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/datasources/platform/errors.js';
import { readKey, SharedReads } from '../../src/datasources/platform/shared-reads.js';

/** A read that answers when told to (every one sent and not answered yet), counting how often it was sent. */
function pendingRead() {
  let waiting: { resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  const settle = (how: (w: (typeof waiting)[number]) => void) => {
    const now = waiting;
    waiting = [];
    now.forEach(how);
  };
  const read = {
    sent: 0,
    send: () => {
      read.sent += 1;
      return new Promise<unknown>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    answer: (value: unknown) => settle((w) => w.resolve(value)),
    fail: (error: unknown) => settle((w) => w.reject(error)),
  };
  return read;
}

const later = Date.now() + 60_000;
const timeout = new PlatformError({ kind: 'timeout', code: 'ETIMEDOUT', description: 'no answer in time', endpoint: 'GET /x' });
const refused = new PlatformError({ kind: 'platform', status: 400, code: '100022', description: 'bad input', endpoint: 'GET /x' });

describe('SharedReads', () => {
  it('sends a read once while it is in flight, and every asker gets its answer', async () => {
    const reads = new SharedReads();
    const read = pendingRead();
    const answers = Promise.all([1, 2, 3].map((i) => reads.read('k', later + i, read.send)));
    read.answer({ items: [1] });
    expect(await answers).toEqual([{ items: [1] }, { items: [1] }, { items: [1] }]);
    expect(read.sent).toBe(1);
    expect(reads.joined).toBe(2);
  });

  it('keeps nothing once a read has ended: the next one is sent', async () => {
    const reads = new SharedReads();
    const read = pendingRead();
    const first = reads.read('k', later, read.send);
    read.answer('old');
    expect(await first).toBe('old');
    const second = reads.read('k', later, read.send);
    read.answer('new');
    expect(await second).toBe('new');
    expect(read.sent).toBe(2);
  });

  it('does not join a read of another key, nor one that may run past its own deadline', async () => {
    const reads = new SharedReads();
    const read = pendingRead();
    const first = reads.read('k', later, read.send);
    const other = reads.read('other', later, read.send);
    const sooner = reads.read('k', later - 1, read.send);
    expect(read.sent).toBe(3);
    read.answer('x');
    await Promise.all([first, other, sooner]);
    expect(reads.joined).toBe(0);
  });

  it('tries on its own when the shared read failed in a way a new attempt may not meet, and shares a refusal', async () => {
    const reads = new SharedReads();
    const read = pendingRead();
    const first = reads.read('k', later, read.send);
    const joined = reads.read('k', later, read.send);
    read.fail(timeout);
    await expect(first).rejects.toBe(timeout);
    await Promise.resolve();
    expect(read.sent).toBe(2);
    read.answer('answered');
    expect(await joined).toBe('answered');

    const refusedFirst = reads.read('k', later, read.send);
    const refusedJoined = reads.read('k', later, read.send);
    read.fail(refused);
    await expect(refusedFirst).rejects.toBe(refused);
    await expect(refusedJoined).rejects.toBe(refused);
    expect(read.sent).toBe(3);
  });
});

describe('readKey', () => {
  it('names the asker, its priority and share, the path and the parameters in any order', () => {
    const scope = { client: 'key-1', priority: 'query' };
    expect(readKey(scope, '/a', { pageNo: 0, pageSize: 10 })).toBe(readKey(scope, '/a', { pageSize: 10, pageNo: 0, status: undefined }));
    expect(readKey(scope, '/a', { pageNo: 0 })).not.toBe(readKey(scope, '/a', { pageNo: 1 }));
    expect(readKey(scope, '/a')).not.toBe(readKey({ ...scope, client: 'key-2' }, '/a'));
    expect(readKey(scope, '/a')).not.toBe(readKey({ ...scope, priority: 'sync' }, '/a'));
    expect(readKey(scope, '/a')).not.toBe(readKey({ ...scope, share: 0.5 }, '/a'));
  });
});
