/**
 * What a replica does with the call budget while the shared ledger (PostgreSQL) cannot be reached: it cannot count
 * the other replicas' calls, so it assumes the worst. It spends only
 * - its reserve: slots it leased ahead in the ledger, which every replica counted as taken before the outage (a leased
 *   slot stays counted one window past the end of its lease, so a call made in the lease is covered whenever it
 *   falls); spent evenly over what is left of the lease, so reads are answered throughout an outage;
 * - for one window after the loss, its part of the slots it saw free up since (the calls the ledger last showed,
 *   one window after they were counted): the calls it did not see are taken to fill the rest;
 * - after that window, its part of each window.
 * Back with the ledger, the calls it made alone are counted there before it takes another.
 */
import { randomUUID } from 'node:crypto';
import type { BudgetUsage, TakeResult } from '../../domain/platform-session.js';

/** Where a replica leases its reserve (the store's budget repository). */
export interface ReserveLedger {
  /**
   * In one atomic step, drops `release.count` unspent slots of the lease that ran until `release.at`, and takes up
   * to `count` more for `owner`, counted until `until` plus a window, while the window then holds at most `limit`
   * calls. Answers how many it took.
   */
  lease(app: string, windowMs: number, now: number, lease: { owner: string; release?: { at: number; count: number }; count: number; until: number; limit: number }): Promise<number>;
}

/** The ledger's client name of a replica's reserve: not a client of the gateway, so it has no share of its own. */
export const RESERVE_CLIENT_PREFIX = '~reserve:';

/** The share of the budget the replicas keep leased for outages, all together: held from everyone else meanwhile. */
const RESERVE_SHARE = 0.15;

/** Each replica's reserve: its part of the reserved share, at least one slot. */
export function outageReserveOf(calls: number, replicas: number): number {
  return Math.max(1, Math.floor((calls * RESERVE_SHARE) / replicas));
}

export interface OutageAccountOptions {
  key: string;
  ledger: ReserveLedger;
  calls: number;
  /** This replica's part of the budget (calls ÷ replicas). */
  part: number;
  windowMs: number;
  /** Slots this replica keeps leased for an outage (0: none). */
  reserve: number;
  /** The most calls the window may hold once the reserve is leased: the budget less the newcomers' headroom. */
  leaseLimit: number;
}

interface Lease {
  /** Slots not spent yet. */
  held: number;
  until: number;
}

export class OutageAccount {
  private readonly owner = `${RESERVE_CLIENT_PREFIX}${randomUUID()}`;
  /** This process's own calls of the window. */
  private readonly own: { at: number; client: string }[] = [];
  /** When each call of the window was counted, as the ledger last showed it. */
  private seen: readonly number[] = [];
  /** Since when the ledger cannot be reached, the window as it was last seen then, and the reserve held then. */
  private lost: { at: number; known: readonly number[]; reserve: number } | undefined;
  /** Calls made without the ledger, to be counted in it once it is back. */
  private readonly unrecorded: { at: number; client: string }[] = [];
  private lease: Lease = { held: 0, until: 0 };
  /** Reserve slots spent in this outage. */
  private spent = 0;

  constructor(private readonly options: OutageAccountOptions) {}

  /** The ledger showed the window: when each of its calls was counted. */
  saw(times: readonly number[]): void {
    this.seen = times;
    this.lost = undefined;
  }

  /** A call was granted (from the ledger, or here alone with the id `takeLocally` gave). */
  granted(now: number, id: string, client: string): void {
    this.forgetBefore(now);
    this.own.push({ at: now, client });
    this.seen = [...this.seen, now];
    // A reserve slot is already in the ledger; a slot taken alone is not.
    if (id.startsWith('local:')) this.unrecorded.push({ at: now, client });
  }

  /** The calls made alone that are still in the window, taken out to be recorded; give them back if that fails. */
  takeUnrecorded(now: number): { at: number; client: string }[] {
    return this.unrecorded.splice(0).filter((call) => call.at > now - this.options.windowMs);
  }

  giveBackUnrecorded(calls: readonly { at: number; client: string }[]): void {
    this.unrecorded.unshift(...calls);
  }

  /**
   * Renews the reserve once less than half its lease is left (or it is short), dropping the unspent slots. A window
   * too full to lease in is tried again at the next look (every 5 s).
   */
  async renew(now: number): Promise<void> {
    const { reserve, windowMs, ledger, key, leaseLimit } = this.options;
    if (reserve === 0 || (this.lease.held >= reserve && this.lease.until - now > windowMs / 2)) return;
    const until = now + windowMs;
    const release = { at: this.lease.until, count: this.lease.held };
    const held = await ledger.lease(key, windowMs, now, { owner: this.owner, release, count: reserve, until, limit: leaseLimit });
    this.lease = { held, until };
  }

  /** The window as this process alone knows it: see the module's comment. */
  takeLocally(now: number, choose: (usage: BudgetUsage) => string | undefined): TakeResult {
    const { calls, part, windowMs } = this.options;
    if (!this.lost) {
      this.lost = { at: now, known: this.seen.filter((at) => at > now - windowMs), reserve: this.lease.held };
      this.spent = 0;
    }
    const lost = this.lost;
    this.forgetBefore(now);
    const firstWindowEnds = lost.at + windowMs;
    let free: number;
    let nextFreeAt: number | undefined;
    if (now < firstWindowEnds) {
      const freed = lost.known.filter((at) => at + windowMs <= now).length;
      const alone = this.own.filter((call) => call.at >= lost.at).length - this.spent;
      free = Math.floor((freed * part) / calls) - alone;
      nextFreeAt = Math.min(firstWindowEnds, ...lost.known.map((at) => at + windowMs).filter((at) => at > now));
    } else {
      free = part - this.own.length;
      nextFreeAt = this.own[0] && this.own[0].at + windowMs;
    }
    const reserveAt = this.nextReserveAt();
    const fromReserve = free <= 0 && reserveAt !== undefined && reserveAt <= now;
    if (free <= 0 && reserveAt !== undefined && reserveAt > now) nextFreeAt = Math.min(nextFreeAt ?? reserveAt, reserveAt);
    const byClient = new Map<string, number>();
    for (const call of this.own) byClient.set(call.client, (byClient.get(call.client) ?? 0) + 1);
    const usage: BudgetUsage = {
      total: calls - Math.max(fromReserve ? 1 : 0, free),
      byClient,
      oldestAt: nextFreeAt === undefined ? undefined : nextFreeAt - windowMs,
    };
    const client = choose(usage);
    if (client === undefined) return { refused: usage };
    if (!fromReserve) return { granted: { id: `local:${now}`, client } };
    this.spent += 1;
    this.lease.held -= 1;
    return { granted: { id: `reserve:${this.spent}`, client } };
  }

  /** When the next reserve slot may go: the reserve held at the loss is spread evenly over what was left of its lease. */
  private nextReserveAt(): number | undefined {
    const lost = this.lost as { at: number; reserve: number };
    if (this.lease.held === 0) return undefined;
    const pace = Math.max(0, this.lease.until - lost.at) / Math.max(1, lost.reserve);
    const at = lost.at + this.spent * pace;
    return at <= this.lease.until ? at : undefined;
  }

  private forgetBefore(now: number): void {
    while (this.own[0] && this.own[0].at <= now - this.options.windowMs) this.own.shift();
  }
}
