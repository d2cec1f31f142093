/**
 * Whether a store operation failed because the store could not be reached (PostgreSQL down, restarting, cut off, its
 * pool waiting in vain for a connection), as opposed to a bug or a refused statement: the one failure that callers
 * answer by going on without the store, or with STORE_UNAVAILABLE.
 */
import { sql, type Kysely } from 'kysely';
import type { StoreSchema } from './schema.js';

/** Node's codes for a connection that could not be made or was lost. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/** What node-postgres says of a connection it could not make or lost. */
const CONNECTION_MESSAGES = [/^timeout exceeded when trying to connect/i, /^Connection terminated/i, /not queryable/i, /^Client was closed/i];

export function isStoreUnavailable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECTION_CODES.has(code)) return true;
      // SQLSTATE class 08 (connection exception), 57P01–57P03 (the server shutting down or starting up).
      if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
    }
    if (CONNECTION_MESSAGES.some((pattern) => pattern.test(cause.message))) return true;
    if (cause instanceof AggregateError && cause.errors.some((inner) => isStoreUnavailable(inner))) return true;
  }
  return false;
}

/** One trivial statement: resolves when the store answers, rejects when it cannot be reached. */
export async function pingStore(db: Kysely<StoreSchema>): Promise<void> {
  await sql`select 1`.execute(db);
}
