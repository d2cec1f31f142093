import { sql } from 'kysely';
import type { StoreDb } from './schema.js';
import type { SealedToken } from '../domain/platform-session.js';

/** An access token as the store keeps it: sealed by its user, with its expiry in the clear for nobody's benefit but SQL. */
/**
 * The one access token the replicas of an application share (PostgreSQL only: one process on SQLite keeps its token
 * in memory). Renewals are serialised across replicas on an advisory lock per application.
 */
export class TokenRepository {
  constructor(private readonly db: StoreDb) {}

  async read(app: string): Promise<SealedToken | undefined> {
    const row = await this.db.selectFrom('platform_tokens').select(['sealed', 'expires_at']).where('app', '=', app).executeTakeFirst();
    return row && { sealed: row.sealed, expiresAt: row.expires_at };
  }

  /**
   * Runs `work` with the stored token while no other replica runs it for `app`, and stores what it returns (nothing
   * when it returns undefined). The lock is held for the transaction, so a replica that dies mid-login frees it.
   */
  exclusive(app: string, work: (current: SealedToken | undefined) => Promise<SealedToken | undefined>): Promise<void> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`token:${app}`}))`.execute(tx);
      const row = await tx.selectFrom('platform_tokens').select(['sealed', 'expires_at']).where('app', '=', app).executeTakeFirst();
      const next = await work(row && { sealed: row.sealed, expiresAt: row.expires_at });
      if (next === undefined) return;
      const values = { sealed: next.sealed, expires_at: next.expiresAt, updated_at: Date.now() };
      await tx.insertInto('platform_tokens').values({ app, ...values }).onConflict((oc) => oc.column('app').doUpdateSet(values)).execute();
    });
  }
}
