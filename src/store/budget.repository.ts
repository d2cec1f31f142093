import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { StoreDb } from './schema.js';
import type { BudgetUsage, TakeResult } from '../domain/platform-session.js';

/**
 * The calls each platform application made in its sliding window, kept in the store so that a restarted gateway,
 * or every replica on one PostgreSQL database, sees the calls already spent.
 */
export class BudgetRepository {
  constructor(
    private readonly db: StoreDb,
    private readonly engine: 'sqlite' | 'postgres',
  ) {}

  /**
   * One atomic step: forgets calls older than the window, shows `choose` what the window holds, and records a call
   * for the client it picks (nothing when it picks none). Replicas serialise on an advisory lock per application.
   */
  take(app: string, windowMs: number, now: number, choose: (usage: BudgetUsage) => string | undefined): Promise<TakeResult> {
    return this.db.transaction().execute(async (tx) => {
      // SQLite serialises transactions on its one connection; PostgreSQL needs the lock.
      if (this.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`budget:${app}`}))`.execute(tx);
      await tx.deleteFrom('budget_calls').where('app', '=', app).where('at', '<=', now - windowMs).execute();
      const rows = await tx.selectFrom('budget_calls').select(['client', 'at']).where('app', '=', app).orderBy('at').execute();
      const byClient = new Map<string, number>();
      for (const row of rows) byClient.set(row.client, (byClient.get(row.client) ?? 0) + 1);
      const times = rows.map((row) => Number(row.at));
      const usage: BudgetUsage = { total: rows.length, byClient, oldestAt: times[0], times };
      const client = choose(usage);
      if (client === undefined) return { refused: usage };
      const id = randomUUID();
      await tx.insertInto('budget_calls').values({ id, app, client, at: now }).execute();
      return { granted: { id, client } };
    });
  }

  /** Calls this process made while it could not reach the ledger, counted now that it can. */
  async record(app: string, calls: readonly { client: string; at: number }[]): Promise<void> {
    if (calls.length === 0) return;
    await this.db
      .insertInto('budget_calls')
      .values(calls.map(({ client, at }) => ({ id: randomUUID(), app, client, at })))
      .execute();
  }

  /** The platform answered: it counted the call no later than now. */
  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('budget_calls').set({ at }).where('id', '=', id).execute();
  }
}
