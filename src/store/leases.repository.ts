import { randomUUID } from 'node:crypto';
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

/**
 * A lease kept on a timer, apart from the work it guards: a long step (a full sync waiting for the call budget)
 * does not let it run out while its holder lives. `held` says whether this process may do the work now.
 */
export class LeaseKeeper {
  readonly #holder = randomUUID();
  #held = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly leases: LeaseRepository,
    private readonly name: string,
    private readonly ttlMs: number,
  ) {}

  get held(): boolean {
    return this.#held;
  }

  /** Tries at once, then every third of the lease's lifetime. */
  async start(): Promise<void> {
    await this.renew();
    this.#timer = setInterval(() => void this.renew(), Math.floor(this.ttlMs / 3));
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#held) await this.leases.release(this.name, this.#holder).catch(() => undefined);
    this.#held = false;
  }

  private async renew(): Promise<void> {
    // A store out of reach: another replica may take the lease once it runs out, so stop the work now.
    this.#held = await this.leases.acquire(this.name, this.#holder, Date.now(), this.ttlMs).catch(() => false);
  }
}
