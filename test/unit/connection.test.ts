import { describe, expect, it } from 'vitest';
import { connectionOf, cursorAt, windowOf } from '../../src/resolvers/connection.js';

describe('connections', () => {
  it('turns first/after/offset into a window; an after cursor continues where the last page ended', () => {
    expect(windowOf({ first: 20 })).toEqual({ start: 0, count: 20 });
    expect(windowOf({ first: 10, offset: 30 })).toEqual({ start: 30, count: 10 });
    expect(windowOf({ first: 10, after: cursorAt(29) })).toEqual({ start: 30, count: 10 });
    expect(windowOf({ first: 10, after: cursorAt(29), offset: 5 })).toEqual({ start: 35, count: 10 });
  });

  it('rejects a cursor it did not issue, as bad user input', () => {
    for (const after of ['nonsense', Buffer.from('i:-1').toString('base64url'), Buffer.from('x:3').toString('base64url')]) {
      expect(() => windowOf({ first: 1, after })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { argument: 'after' } }));
    }
  });

  it('builds edges, nodes and pageInfo from a window', () => {
    const window = { start: 10, count: 3 };
    const connection = connectionOf({ items: ['a', 'b', 'c'], totalCount: 20 }, window);
    expect(connection.nodes).toEqual(['a', 'b', 'c']);
    expect(connection.edges.map((e) => e.cursor)).toEqual([cursorAt(10), cursorAt(11), cursorAt(12)]);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true, startCursor: cursorAt(10), endCursor: cursorAt(12) });
    expect(connectionOf({ items: ['s', 't'], totalCount: 2 }, { start: 0, count: 5 }).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });
});
