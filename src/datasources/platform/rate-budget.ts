/**
 * One call budget per platform application: at most N calls in any sliding window of W seconds, so the gateway
 * never provokes the platform's throttle (1010009). The window is kept in the store's call ledger, so a restarted
 * gateway, and every replica on one PostgreSQL database, counts the calls already spent. This module is the queue in
 * front of it: every client that asked within the last window (the mirror's sync included) has a part of the window
 * reserved for it, min(its share, ⌊calls ÷ active clients⌋), which no other client may take; beyond its reservation a
 * client uses only what nobody has reserved, never the last tenth of the window (a newcomer's first calls); mutations
 * are served before queries; a background client (the mirror's sync) never holds more than its share of any window;
 * a call that cannot get a slot before its request's deadline fails at once with RATE_LIMITED.
 */
import type { BudgetStatus } from '../../domain/health.js';
import type { BudgetUsage, TakeResult } from '../../domain/platform-session.js';
import { OutageAccount, RESERVE_CLIENT_PREFIX, type ReserveLedger } from './outage-account.js';

export type Priority = 'mutation' | 'query';

/** Where the calls of the window are counted (the store's budget repository). */
export interface CallLedger extends ReserveLedger {
  /** `times`: the usage shows when each call of the window was counted. */
  take(app: string, windowMs: number, now: number, choose: (usage: BudgetUsage) => string | undefined, options?: { times?: boolean }): Promise<TakeResult>;
  touch(app: string, windowMs: number, id: string, at: number): Promise<void>;
  /** Counts calls made while the ledger could not be reached, at the times they were made. */
  record(app: string, windowMs: number, calls: readonly { client: string; at: number }[]): Promise<void>;
}

export interface RateBudgetOptions {
  calls: number;
  windowSeconds: number;
  /** The application: the budget's key in the ledger. */
  key: string;
  ledger: CallLedger;
  /** The most of the budget reserved for one client while it asks, and one request may spend (0 < share ≤ 1). */
  clientShare: number;
  /** Other shares for named clients (the mirror's background sync). */
  sharesOf?: Readonly<Record<string, number>>;
  /** Clients whose share is a hard cap of every window, whether or not anyone else waits: background work. */
  background?: readonly string[];
  /** Waiting calls at most; more fail at once. */
  maxQueue?: number;
  /**
   * While the ledger cannot be reached (PostgreSQL down), this process counts its own calls and spends at most this
   * many a window: its part of a budget shared with other replicas (see OutageAccount). Unset:
   * calls fail while the ledger is away.
   */
  fallbackCalls?: number;
  /** With fallbackCalls: slots this replica keeps leased in the ledger, to spend while it cannot be reached. */
  outageReserve?: number;
}

/** A granted call: tell it when the platform answered, which is when it has counted the call at the latest. */
export interface BudgetSlot {
  answered(): void;
}

/** The platform counts a call when it arrives, a little after the gateway sent it: keep slots this much longer. */
const ARRIVAL_MARGIN_MS = 1000;
const DEFAULT_MAX_QUEUE = 1000;
/**
 * How often a replica looks at the shared window while it takes no call: if the ledger goes, the calls it saw are
 * the slots it knows will free (see OutageAccount); a replica that saw nothing waits a whole window.
 */
const VIEW_REFRESH_MS = 5_000;
/** The share of the window a client beyond its reservation may never take: a newcomer finds a slot at once. */
const HEADROOM_SHARE = 0.1;

export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';

  constructor(readonly retryAfterSeconds: number) {
    super(`the platform's call budget has no free slot before this request's deadline; retry in ${retryAfterSeconds} s`);
  }
}

interface Waiter {
  client: string;
  /** The most calls its client may hold in the window for this call to go. */
  cap: number;
  /** Its cap is hard: a background client's, or one the call asked for. */
  hard: boolean;
  deadline: number;
  resolve: (slot: BudgetSlot) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  queuedAt: number;
}

export class RateBudget {
  private readonly queues: Record<Priority, Waiter[]> = { mutation: [], query: [] };
  private readonly windowMs: number;
  private readonly maxQueue: number;
  /** The most calls one client may have reserved, and may spend on one request. */
  readonly clientCap: number;
  private readonly headroom: number;
  /** Set while the window is full: when the next slot frees. */
  private nextSlotAt = 0;
  private wakeUp: NodeJS.Timeout | undefined;
  private pumping = false;
  private closed = false;
  /** What this replica spends while the ledger cannot be reached (with fallbackCalls only). */
  private readonly outage: OutageAccount | undefined;
  private readonly viewer: NodeJS.Timeout | undefined;
  /** When each client last asked for a slot here: it keeps its reservation for a window after. */
  private readonly askedAt = new Map<string, number>();
  /** Calls that had to wait, and for how long in total (for metrics). */
  readonly stats = { granted: 0, waited: 0, waitedMs: 0, rejected: 0 };

  constructor(private readonly options: RateBudgetOptions) {
    this.windowMs = options.windowSeconds * 1000 + ARRIVAL_MARGIN_MS;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.clientCap = Math.max(1, Math.floor(options.clientShare * options.calls));
    this.headroom = Math.min(options.calls - 1, Math.ceil(options.calls * HEADROOM_SHARE));
    if (options.fallbackCalls !== undefined) {
      this.outage = new OutageAccount({
        key: options.key,
        ledger: options.ledger,
        calls: options.calls,
        part: options.fallbackCalls,
        windowMs: this.windowMs,
        reserve: options.outageReserve ?? 0,
        leaseLimit: options.calls - this.headroom,
      });
      this.viewer = setInterval(() => void this.view().catch(() => undefined), VIEW_REFRESH_MS).unref();
      void this.view().catch(() => undefined);
    }
  }

  get limit(): number {
    return this.options.calls;
  }

  get queueDepth(): number {
    return this.queues.mutation.length + this.queues.query.length;
  }

  /**
   * Resolves when the call may go out; rejects with RateLimitedError when it cannot before `deadline`. `share`: this
   * call goes only while its client holds less than that share of the window (background work keeping below its own
   * share), a hard cap like a background client's.
   */
  acquire(priority: Priority, deadline: number, client: string, share?: number): Promise<BudgetSlot> {
    const now = Date.now();
    if (this.closed || this.queueDepth >= this.maxQueue || (this.nextSlotAt > now && this.nextSlotAt > deadline)) {
      return Promise.reject(this.limited(now));
    }
    this.askedAt.set(client, now);
    return new Promise<BudgetSlot>((resolve, reject) => {
      const own = this.capOf(client);
      const waiter: Waiter = {
        client,
        cap: share === undefined ? own : Math.min(own, this.sharedCalls(share)),
        hard: share !== undefined || (this.options.background?.includes(client) ?? false),
        deadline,
        queuedAt: now,
        resolve,
        reject,
        timer: setTimeout(() => this.expire(priority, waiter), Math.max(0, deadline - now)),
      };
      this.queues[priority].push(waiter);
      // Even while the pump sleeps: a window held back for fairness may have a slot for this client.
      void this.pump();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.wakeUp);
    clearInterval(this.viewer);
    for (const queue of Object.values(this.queues)) for (const waiter of [...queue]) this.fail(waiter, Date.now());
  }

  /** Hands out slots in priority order until the window is full, then sleeps until the next slot frees. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.head() && !this.closed) {
        const now = Date.now();
        let chosen: Waiter | undefined;
        const result = await this.take(now, (usage) => {
          chosen = this.choose(usage);
          return chosen?.client;
        });
        if ('granted' in result && chosen) {
          this.grant(chosen, result.granted.id);
          continue;
        }
        if (!('refused' in result)) continue;
        // Nobody waiting may have a slot before the oldest call leaves the window (another replica may take that
        // slot first; then the next round finds the window full again and sleeps again).
        const nextSlotAt = (result.refused.oldestAt ?? now) + this.windowMs;
        // Only a full window holds newcomers back; one held back for fairness may still serve another client.
        this.nextSlotAt = result.refused.total >= this.options.calls ? nextSlotAt : 0;
        for (const queue of Object.values(this.queues)) for (const w of [...queue]) if (w.deadline < nextSlotAt) this.fail(w, now, nextSlotAt);
        clearTimeout(this.wakeUp);
        if (this.head()) {
          this.wakeUp = setTimeout(() => {
            this.wakeUp = undefined;
            void this.pump();
          }, Math.max(1, nextSlotAt - now));
        }
        return;
      }
    } catch (error) {
      // The ledger is unreachable: nobody can be told a slot is free. Fail those waiting now; the next call tries again.
      for (const queue of Object.values(this.queues)) {
        for (const w of [...queue]) {
          this.remove(w);
          w.reject(error as Error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async take(now: number, choose: (usage: BudgetUsage) => string | undefined): Promise<TakeResult> {
    const { ledger, key } = this.options;
    const outage = this.outage;
    try {
      // Back from an outage: the other replicas are told of this one's calls before it takes another.
      if (outage) {
        const alone = outage.takeUnrecorded(now);
        await ledger.record(key, this.windowMs, alone).catch((error: unknown) => {
          outage.giveBackUnrecorded(alone);
          throw error;
        });
      }
      // Only a replica (one that can go on without the ledger) needs to know when each call of the window was counted.
      return await ledger.take(
        key,
        this.windowMs,
        now,
        (usage) => {
          outage?.saw(usage.times ?? []);
          return choose(usage);
        },
        { times: outage !== undefined },
      );
    } catch (error) {
      if (!outage) throw error;
      return outage.takeLocally(now, choose);
    }
  }

  /**
   * The window as it stands, every client's calls, read through the same take that grants slots (choosing nobody, so
   * nothing is spent); while the ledger cannot be reached, what this replica counts alone.
   */
  async status(): Promise<BudgetStatus> {
    const now = Date.now();
    const result = await this.take(now, () => undefined);
    const usage = 'refused' in result ? result.refused : { total: 0, byClient: new Map<string, number>(), oldestAt: undefined };
    const freesAt = usage.oldestAt === undefined ? now : Math.min(usage.oldestAt, now) + this.windowMs;
    return {
      used: usage.total,
      limit: this.options.calls,
      windowSeconds: this.options.windowSeconds,
      resetsInSeconds: Math.max(0, Math.ceil((freesAt - now) / 1000)),
      byClient: [...usage.byClient].map(([client, used]) => ({ client, used })).sort((a, b) => b.used - a.used || a.client.localeCompare(b.client)),
    };
  }

  /** A replica's look at the shared window while it takes no call, and the renewal of its outage reserve. */
  private async view(): Promise<void> {
    const now = Date.now();
    await this.take(now, () => undefined);
    await this.outage?.renew(now);
  }

  /**
   * Who gets the next slot, given what the window holds: first a call whose client is under its reservation
   * (mutations before queries), then one beyond it that fits in what nobody has reserved, short of the headroom;
   * never a call at its hard cap.
   */
  private choose(usage: BudgetUsage): Waiter | undefined {
    const free = this.options.calls - usage.total;
    if (free <= 0) return undefined;
    const used = (client: string) => usage.byClient.get(client) ?? 0;
    const reserved = this.reservations(usage);
    const reserveOf = (client: string) => reserved.get(client) ?? 0;
    // A call held at its hard cap waits for its client's own calls to leave the window: it holds nobody back meanwhile.
    const mayGo = (w: Waiter) => !w.hard || used(w.client) < w.cap;
    const waiting = [...this.queues.mutation, ...this.queues.query].filter(mayGo);
    const underReserve = waiting.find((w) => used(w.client) < reserveOf(w.client));
    if (underReserve) return underReserve;
    /** What the others' reservations still hold free for them. */
    const heldForOthers = (client: string) => {
      let held = 0;
      for (const [other, reserve] of reserved) if (other !== client) held += Math.max(0, reserve - used(other));
      return held;
    };
    return waiting.find((w) => free - 1 >= heldForOthers(w.client) + this.headroom);
  }

  /**
   * Each active client's reservation: min(its share, ⌊calls ÷ N⌋) for the N clients that hold calls in the window
   * (on any replica) or asked here within it.
   */
  private reservations(usage: BudgetUsage): Map<string, number> {
    const since = Date.now() - this.windowMs;
    for (const [client, at] of this.askedAt) if (at <= since) this.askedAt.delete(client);
    const active = new Set([...usage.byClient.keys(), ...this.askedAt.keys()].filter((client) => !client.startsWith(RESERVE_CLIENT_PREFIX)));
    const fair = Math.floor(this.options.calls / Math.max(1, active.size));
    return new Map([...active].map((client) => [client, Math.min(this.capOf(client), fair)]));
  }

  /** The most calls `client` may have reserved (and hold at all, for a background client). */
  capOf(client: string): number {
    const share = this.options.sharesOf?.[client];
    return share === undefined ? this.clientCap : this.sharedCalls(share);
  }

  private sharedCalls(share: number): number {
    return Math.max(1, Math.floor(share * this.options.calls));
  }

  private grant(waiter: Waiter, id: string): void {
    this.remove(waiter);
    this.outage?.granted(Date.now(), id, waiter.client);
    this.nextSlotAt = 0;
    const waitedMs = Date.now() - waiter.queuedAt;
    this.stats.granted += 1;
    if (waitedMs > 0) {
      this.stats.waited += 1;
      this.stats.waitedMs += waitedMs;
    }
    const ledger = this.options.ledger;
    const grantedAt = Date.now();
    waiter.resolve({
      answered: () => {
        const now = Date.now();
        // Answered within the arrival margin: the window already counts the call long enough. Best effort: a failed
        // update only leaves the call counted from when it was granted.
        if (now - grantedAt < ARRIVAL_MARGIN_MS || /^(local|reserve):/.test(id)) return;
        ledger.touch(this.options.key, this.windowMs, id, now).catch(() => undefined);
      },
    });
  }

  private head(): Waiter | undefined {
    return this.queues.mutation[0] ?? this.queues.query[0];
  }

  private remove(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    for (const queue of Object.values(this.queues)) {
      const index = queue.indexOf(waiter);
      if (index !== -1) queue.splice(index, 1);
    }
  }

  private fail(waiter: Waiter, now: number, freeAt?: number): void {
    this.remove(waiter);
    waiter.reject(this.limited(now, freeAt));
  }

  private expire(priority: Priority, waiter: Waiter): void {
    if (this.queues[priority].includes(waiter)) this.fail(waiter, Date.now());
  }

  private limited(now: number, freeAt = this.nextSlotAt): RateLimitedError {
    this.stats.rejected += 1;
    const wait = freeAt > now ? freeAt - now : this.windowMs;
    return new RateLimitedError(Math.max(1, Math.ceil(wait / 1000)));
  }
}
