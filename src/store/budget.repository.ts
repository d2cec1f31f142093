import { CompiledQuery, sql, type Transaction } from 'kysely';
import type { StoreDb, StoreSchema } from './schema.js';
import type { BudgetUsage, TakeResult } from '../domain/platform-session.js';

/** Buckets per window: a second of the platform's minute (and its arrival margin). */
const BUCKETS_PER_WINDOW = 61;
const CLEAR_EVERY_MS = 1000;
const bucketOf = (at: number, windowMs: number) => {
  const size = Math.max(1, Math.round(windowMs / BUCKETS_PER_WINDOW));
  return Math.floor(at / size) * size;
};

/**
 * The calls each platform application made in its sliding window, kept in the store so that a restarted gateway,
 * or every replica on one PostgreSQL database, sees the calls already spent. Counted per client and bucket (a 61st
 * of the window), every call of a bucket counted until the bucket's latest one leaves the window: a take reads a few
 * rows per client however many calls the window holds, and never counts a call shorter than it should.
 */
export class BudgetRepository {
  /** When this process last cleared buckets that left the window, per application. */
  readonly #clearedAt = new Map<string, number>();
  readonly #statements: HotStatements;

  constructor(
    private readonly db: StoreDb,
    private readonly engine: 'sqlite' | 'postgres',
  ) {
    this.#statements = hotStatements(db, engine);
  }

  /**
   * One atomic step: forgets calls older than the window, shows `choose` what the window holds, and counts a call
   * for the client it picks (nothing when it picks none). Replicas serialise on an advisory lock per application.
   * `times`: show when each call of the window was counted too (what a replica keeps against losing the ledger).
   */
  take(app: string, windowMs: number, now: number, choose: (usage: BudgetUsage) => string | undefined, { times = false } = {}): Promise<TakeResult> {
    return this.db.transaction().execute(async (tx) => {
      await this.window(tx, app, windowMs, now);
      const { rows } = await tx.executeQuery<BucketRow>(CompiledQuery.raw(this.#statements.usage, [app, now - windowMs]));
      const byClient = new Map<string, number>();
      const at: number[] = [];
      for (const row of rows) {
        const calls = Number(row.calls);
        byClient.set(row.client, (byClient.get(row.client) ?? 0) + calls);
        if (times) for (let i = 0; i < calls; i++) at.push(Number(row.last));
      }
      const total = [...byClient.values()].reduce((a, b) => a + b, 0);
      const usage: BudgetUsage = { total, byClient, oldestAt: rows[0] && Number(rows[0].last), ...(times ? { times: at } : {}) };
      const client = choose(usage);
      if (client === undefined) return { refused: usage };
      const bucket = bucketOf(now, windowMs);
      await this.#add(tx, { app, client, at: bucket, last: now }, 1);
      return { granted: { id: `${bucket}\n${client}`, client } };
    });
  }

  /** A replica's outage reserve: see ReserveLedger.lease. */
  lease(app: string, windowMs: number, now: number, lease: { owner: string; release?: { at: number; count: number }; count: number; until: number; limit: number }): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      await this.window(tx, app, windowMs, now);
      const { owner, release, until } = lease;
      if (release && release.count > 0) await this.#add(tx, { app, client: owner, at: bucketOf(release.at, windowMs), last: release.at }, -release.count);
      const { calls } = await tx
        .selectFrom('budget_buckets')
        .select((eb) => eb.fn.sum<number | string | null>('calls').as('calls'))
        .where('app', '=', app)
        .where('last', '>', now - windowMs)
        .executeTakeFirstOrThrow();
      const count = Math.max(0, Math.min(lease.count, lease.limit - Number(calls ?? 0)));
      if (count > 0) await this.#add(tx, { app, client: owner, at: bucketOf(until, windowMs), last: until }, count);
      return count;
    });
  }

  /** Calls this process made while it could not reach the ledger, counted now that it can. */
  async record(app: string, windowMs: number, calls: readonly { client: string; at: number }[]): Promise<void> {
    if (calls.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const { client, at } of calls) await this.#add(tx, { app, client, at: bucketOf(at, windowMs), last: at }, 1);
    });
  }

  /** The platform answered: it counted the call no later than now (moved to the bucket of now if it is a later one). */
  async touch(app: string, windowMs: number, id: string, at: number): Promise<void> {
    const [from, client] = id.split('\n') as [string, string];
    const to = bucketOf(at, windowMs);
    if (to <= Number(from)) return this.#add(this.db, { app, client, at: to, last: at }, 0);
    await this.db.transaction().execute(async (tx) => {
      await this.#add(tx, { app, client, at: Number(from), last: 0 }, -1);
      await this.#add(tx, { app, client, at: to, last: at }, 1);
    });
  }

  /**
   * Adds `calls` to a client's bucket (negative: takes them away; an emptied bucket goes), its latest call no earlier
   * than `last`.
   */
  async #add(tx: StoreDb | Transaction<StoreSchema>, bucket: { app: string; client: string; at: number; last: number }, calls: number): Promise<void> {
    const { app, client, at, last } = bucket;
    if (calls >= 0) {
      await tx.executeQuery(CompiledQuery.raw(this.#statements.count, [app, client, at, calls, last]));
      return;
    }
    await tx.executeQuery(CompiledQuery.raw(this.#statements.uncount, [-calls, app, client, at]));
    await tx.executeQuery(CompiledQuery.raw(this.#statements.dropEmpty, [app, client, at]));
  }

  /**
   * Locks the application's window (PostgreSQL: replicas; SQLite serialises transactions) and, once a second, clears
   * what left it (reads skip it anyway).
   */
  private async window(tx: Transaction<StoreSchema>, app: string, windowMs: number, now: number): Promise<void> {
    if (this.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`budget:${app}`}))`.execute(tx);
    if (now - (this.#clearedAt.get(app) ?? 0) < CLEAR_EVERY_MS) return;
    this.#clearedAt.set(app, now);
    await tx.deleteFrom('budget_buckets').where('app', '=', app).where('last', '<=', now - windowMs).execute();
  }
}

type BucketRow = { client: string; calls: number | string; last: number | string };

/**
 * What every platform call runs (a take's read of the window and its count; the answer's touch), as SQL compiled
 * once: Kysely's builders cost more per call than these statements do.
 */
interface HotStatements {
  /** Parameters: app, since. */
  usage: string;
  /** Adds calls to a client's bucket, its latest call no earlier than `last`. Parameters: app, client, at, calls, last. */
  count: string;
  /** Takes calls away from a bucket. Parameters: calls, app, client, at. */
  uncount: string;
  /** Drops the bucket if it holds no call. Parameters: app, client, at. */
  dropEmpty: string;
}

function hotStatements(db: StoreDb, engine: 'sqlite' | 'postgres'): HotStatements {
  const latest = sql.raw(engine === 'postgres' ? 'greatest' : 'max');
  return {
    usage: sql`select client, calls, last from budget_buckets where app = ${''} and last > ${0} order by last`.compile(db).sql,
    count: sql`insert into budget_buckets (app, client, at, calls, last) values (${''}, ${''}, ${0}, ${0}, ${0})
      on conflict (app, client, at) do update set calls = budget_buckets.calls + excluded.calls, last = ${latest}(budget_buckets.last, excluded.last)`.compile(db).sql,
    uncount: sql`update budget_buckets set calls = calls - ${0} where app = ${''} and client = ${''} and at = ${0}`.compile(db).sql,
    dropEmpty: sql`delete from budget_buckets where app = ${''} and client = ${''} and at = ${0} and calls <= 0`.compile(db).sql,
  };
}
