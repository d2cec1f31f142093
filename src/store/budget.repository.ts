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
   * `times`: show when each call of the window was counted too (what a replica keeps against losing the ledger);
   * otherwise the window is read as counts per client, which stays cheap however many calls it holds.
   */
  take(app: string, windowMs: number, now: number, choose: (usage: BudgetUsage) => string | undefined, { times = false } = {}): Promise<TakeResult> {
    return this.db.transaction().execute(async (tx) => {
      // SQLite serialises transactions on its one connection; PostgreSQL needs the lock.
      if (this.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`budget:${app}`}))`.execute(tx);
      await tx.deleteFrom('budget_calls').where('app', '=', app).where('at', '<=', now - windowMs).execute();
      let usage: BudgetUsage;
      if (times) {
        const rows = await tx.selectFrom('budget_calls').select(['client', 'at']).where('app', '=', app).orderBy('at').execute();
        const byClient = new Map<string, number>();
        for (const row of rows) byClient.set(row.client, (byClient.get(row.client) ?? 0) + 1);
        const at = rows.map((row) => Number(row.at));
        usage = { total: rows.length, byClient, oldestAt: at[0], times: at };
      } else {
        const rows = await tx
          .selectFrom('budget_calls')
          .select(['client', (eb) => eb.fn.countAll<number | string>().as('calls'), (eb) => eb.fn.min('at').as('oldest')])
          .where('app', '=', app)
          .groupBy('client')
          .execute();
        const byClient = new Map(rows.map((r) => [r.client, Number(r.calls)]));
        const oldest = rows.map((r) => Number(r.oldest)).filter((at) => Number.isFinite(at));
        usage = { total: [...byClient.values()].reduce((a, b) => a + b, 0), byClient, oldestAt: oldest.length ? Math.min(...oldest) : undefined };
      }
      const client = choose(usage);
      if (client === undefined) return { refused: usage };
      const id = randomUUID();
      await tx.insertInto('budget_calls').values({ id, app, client, at: now }).execute();
      return { granted: { id, client } };
    });
  }

  /** A replica's outage reserve: see ReserveLedger.lease. */
  lease(app: string, windowMs: number, now: number, lease: { owner: string; release: readonly string[]; count: number; until: number; limit: number }): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      if (this.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`budget:${app}`}))`.execute(tx);
      await tx.deleteFrom('budget_calls').where('app', '=', app).where('at', '<=', now - windowMs).execute();
      if (lease.release.length > 0) await tx.deleteFrom('budget_calls').where('id', 'in', lease.release).where('client', '=', lease.owner).execute();
      const { calls } = await tx.selectFrom('budget_calls').select((eb) => eb.fn.countAll<number | string>().as('calls')).where('app', '=', app).executeTakeFirstOrThrow();
      const count = Math.max(0, Math.min(lease.count, lease.limit - Number(calls)));
      const rows = Array.from({ length: count }, () => ({ id: randomUUID(), app, client: lease.owner, at: lease.until }));
      if (rows.length > 0) await tx.insertInto('budget_calls').values(rows).execute();
      return rows.map((row) => row.id);
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
