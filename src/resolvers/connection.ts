/** Relay-style connections over windows of platform lists: opaque cursors, first/after/offset. */
import type { ListWindow, Page } from '../domain/values.js';
import { InvalidInputError } from '../domain/errors.js';
import type { ConnectionArgs } from '../schema/connection.js';
import { DEFAULT_FIRST } from '../schema/limits.js';

const CURSOR_PREFIX = 'i:';

/** A cursor names a position in the list; opaque to clients. */
export function cursorAt(index: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${index}`, 'utf8').toString('base64url');
}

function positionOf(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const index = text.startsWith(CURSOR_PREFIX) ? Number(text.slice(CURSOR_PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(index) || index < 0) throw InvalidInputError.argument('after is not a cursor this gateway issued', 'after');
  return index;
}

export function windowOf(args: Pick<ConnectionArgs, 'first' | 'after' | 'offset'>): ListWindow {
  const afterCursor = args.after === undefined || args.after === null ? 0 : positionOf(args.after) + 1;
  return { start: afterCursor + (args.offset ?? 0), count: args.first ?? DEFAULT_FIRST };
}

export interface ConnectionValue<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string; endCursor?: string };
  edges: { cursor: string; node: T }[];
  nodes: T[];
}

export function connectionOf<T>(page: Page<T>, window: ListWindow): ConnectionValue<T> {
  const edges = page.items.map((node, i) => ({ cursor: cursorAt(window.start + i), node }));
  return {
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: window.start + page.items.length < page.totalCount,
      hasPreviousPage: window.start > 0,
      startCursor: edges[0]?.cursor,
      endCursor: edges[edges.length - 1]?.cursor,
    },
    edges,
    nodes: page.items,
  };
}
