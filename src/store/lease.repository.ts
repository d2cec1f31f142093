import type { StoreDb } from './schema.js';

/**
 * Leases: work that one process of many does at a time (the rollout orchestrator). A holder renews its lease while
 * it works; when it dies, the lease runs out and another process takes it over.
 */
export class LeaseRepository {
  constructor(private readonly db: StoreDb) {}

  /** Takes the lease, or renews it, for `ttlMs`: true when it is free, run out, or already this holder's. */
  async acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const expires_at = now + ttlMs;
    const result = await this.db
      .insertInto('store_leases')
      .values({ name, holder, expires_at })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ holder, expires_at })
          .where((eb) => eb.or([eb('store_leases.holder', '=', holder), eb('store_leases.expires_at', '<', now)])),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Gives the lease up at once (a clean shutdown), so another process need not wait for it to run out. */
  async release(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom('store_leases').where('name', '=', name).where('holder', '=', holder).execute();
  }
}
