import type { Selectable } from 'kysely';
import type { IdempotencyKeyTable, StoreDb } from './schema.js';

export type KeyRecord = Selectable<IdempotencyKeyTable>;
/** Another request with the same input whose create may have made what a reconcile found. */
export type InDoubt = Pick<KeyRecord, 'client' | 'key' | 'sent_at'>;

/** Idempotency keys of creates and their outcomes; each method is one statement or one transaction. */
export class IdempotencyRepository {
  constructor(private readonly db: StoreDb) {}

  /**
   * Takes the key for a create about to be sent. False when the key is already taken (read it with `find`):
   * exactly one caller, in any process on this store, ever gets true for a live key.
   */
  async reserve(record: Omit<KeyRecord, 'state' | 'result' | 'platform_sent_at'> & { platform_sent_at?: number | null }): Promise<boolean> {
    await this.db.deleteFrom('idempotency_keys').where('client', '=', record.client).where('key', '=', record.key).where('expires_at', '<=', record.sent_at).execute();
    const inserted = await this.db
      .insertInto('idempotency_keys')
      .values({ platform_sent_at: null, ...record, state: 'pending', result: null })
      .onConflict((oc) => oc.columns(['client', 'key']).doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  find(client: string, key: string): Promise<KeyRecord | undefined> {
    return this.db.selectFrom('idempotency_keys').selectAll().where('client', '=', client).where('key', '=', key).executeTakeFirst();
  }

  /**
   * The platform answered with the id: the key is done. If a reconcile of another key had claimed that id in the
   * meantime, the claim was wrong (this create made it): that key goes back to unknown.
   */
  async complete(client: string, key: string, result: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('idempotency_keys').set({ state: 'unknown', result: null }).where('result', '=', result).execute();
      await tx.updateTable('idempotency_keys').set({ state: 'done', result }).where('client', '=', client).where('key', '=', key).execute();
    });
  }

  /** Sent and not answered; `platformSentAt`: when it left, on the platform's clock, when known. */
  async markUnknown(client: string, key: string, platformSentAt?: number): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set(platformSentAt === undefined ? { state: 'unknown' } : { state: 'unknown', platform_sent_at: platformSentAt })
      .where('client', '=', client)
      .where('key', '=', key)
      .where('state', '=', 'pending')
      .execute();
  }

  /** Nothing was created: the key is free again. */
  async release(client: string, key: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('client', '=', client).where('key', '=', key).where('state', '!=', 'done').execute();
  }

  /** Frees a key that holds `result` (when it still does): what it stood for is over. */
  async releaseResult(client: string, key: string, result: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('client', '=', client).where('key', '=', key).where('state', '=', 'done').where('result', '=', result).execute();
  }

  /** Claims a task found by a reconcile for a key whose outcome was unknown; false when another key holds it. */
  async claim(client: string, key: string, result: string): Promise<boolean> {
    try {
      const updated = await this.db
        .updateTable('idempotency_keys')
        .set({ state: 'done', result })
        .where('client', '=', client)
        .where('key', '=', key)
        .where('state', '!=', 'done')
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** The ids among `results` that some key already holds. */
  async claimed(results: readonly string[]): Promise<Set<string>> {
    if (results.length === 0) return new Set();
    const rows = await this.db.selectFrom('idempotency_keys').select('result').where('result', 'in', results).execute();
    return new Set(rows.map((r) => r.result as string));
  }

  /**
   * Other requests (with a key or without) with the same input whose create may still have made something (sent, no
   * answer yet or ever), and that left before `before` on the platform's clock (or when that is not known): they could
   * have made a task created before then.
   */
  othersInDoubt(client: string, key: string, fingerprint: string, now: number, before: number): Promise<InDoubt[]> {
    return this.db
      .selectFrom('idempotency_keys')
      .select(['client', 'key', 'sent_at'])
      .where('fingerprint', '=', fingerprint)
      .where('state', '!=', 'done')
      .where('expires_at', '>', now)
      .where((eb) => eb.or([eb('client', '!=', client), eb('key', '!=', key)]))
      .where((eb) => eb.or([eb('platform_sent_at', 'is', null), eb('platform_sent_at', '<', before)]))
      .orderBy('sent_at')
      .execute();
  }

  async deleteExpired(now: number): Promise<number> {
    const deleted = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  // PostgreSQL's unique_violation; better-sqlite3's constraint code.
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
