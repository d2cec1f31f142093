/**
 * One call budget per platform application: at most N calls in any sliding window of W seconds, so the gateway
 * never provokes the platform's throttle (1010009). The window itself is kept by `sliding-window-rate-limiter`
 * (in memory here; its Redis backend shares one budget across gateway replicas without other changes). This
 * module adds the queue in front of it: mutations are served before queries, and a call that cannot get a slot
 * before its request's deadline fails at once with RATE_LIMITED instead of waiting in vain.
 */
import { SlidingWindowRateLimiter, type SlidingWindowRateLimiterBackend } from 'sliding-window-rate-limiter';

export type Priority = 'mutation' | 'query';

export interface RateBudgetOptions {
  calls: number;
  windowSeconds: number;
  /** The application: the budget's key (shared by replicas through Redis). */
  key: string;
  /** Redis URL for a budget shared by several gateways; in memory when unset. */
  redisUrl?: string;
  /** Waiting calls at most; more fail at once. */
  maxQueue?: number;
}

/** The platform counts a call when it arrives, a little after the gateway sent it: keep slots this much longer. */
const ARRIVAL_MARGIN_MS = 1000;
const DEFAULT_MAX_QUEUE = 1000;

export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';

  constructor(readonly retryAfterSeconds: number) {
    super(`the platform's call budget has no free slot before this request's deadline; retry in ${retryAfterSeconds} s`);
  }
}

interface Waiter {
  deadline: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class RateBudget {
  private readonly limiter: SlidingWindowRateLimiterBackend;
  private readonly queues: Record<Priority, Waiter[]> = { mutation: [], query: [] };
  private readonly windowMs: number;
  private readonly maxQueue: number;
  /** Set while the window is full: when the next slot frees. */
  private nextSlotAt = 0;
  private wakeUp: NodeJS.Timeout | undefined;
  private pumping = false;
  /** Calls that had to wait, and for how long in total (for metrics). */
  readonly stats = { granted: 0, waited: 0, waitedMs: 0, rejected: 0 };

  constructor(private readonly options: RateBudgetOptions) {
    this.windowMs = options.windowSeconds * 1000 + ARRIVAL_MARGIN_MS;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.limiter = options.redisUrl
      ? SlidingWindowRateLimiter.createLimiter({ interval: this.windowMs, redis: options.redisUrl })
      : SlidingWindowRateLimiter.createLimiter({ interval: this.windowMs });
  }

  get queueDepth(): number {
    return this.queues.mutation.length + this.queues.query.length;
  }

  /** Resolves when the call may go out; rejects with RateLimitedError when it cannot before `deadline`. */
  acquire(priority: Priority, deadline: number): Promise<void> {
    const now = Date.now();
    if (this.queueDepth >= this.maxQueue || (this.nextSlotAt > now && this.nextSlotAt > deadline)) {
      return Promise.reject(this.limited(now));
    }
    const queued = Date.now();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        deadline,
        resolve: () => {
          const waitedMs = Date.now() - queued;
          this.stats.granted += 1;
          if (waitedMs > 0) {
            this.stats.waited += 1;
            this.stats.waitedMs += waitedMs;
          }
          resolve();
        },
        reject,
        timer: setTimeout(() => this.expire(priority, waiter), Math.max(0, deadline - now)),
      };
      this.queues[priority].push(waiter);
      if (!this.wakeUp) void this.pump();
    });
  }

  close(): void {
    clearTimeout(this.wakeUp);
    this.limiter.destroy();
  }

  /** Hands out slots in priority order until the window is full, then sleeps until the next slot frees. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let waiter = this.head(); waiter; waiter = this.head()) {
        const reservation = await this.limiter.reserve(this.options.key, this.options.calls);
        if (reservation.token !== undefined) {
          this.nextSlotAt = 0;
          this.remove(waiter);
          waiter.resolve();
          continue;
        }
        const now = Date.now();
        const wait = Math.max(1, reservation.reset ?? 100);
        this.nextSlotAt = now + wait;
        // Whoever's deadline comes before the next slot cannot be served: tell them now.
        for (const queue of Object.values(this.queues)) {
          for (const w of [...queue]) if (w.deadline < this.nextSlotAt) this.fail(w, now);
        }
        if (this.head()) {
          this.wakeUp = setTimeout(() => {
            this.wakeUp = undefined;
            void this.pump();
          }, wait);
        }
        return;
      }
    } finally {
      this.pumping = false;
    }
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

  private fail(waiter: Waiter, now: number): void {
    this.remove(waiter);
    waiter.reject(this.limited(now));
  }

  private expire(priority: Priority, waiter: Waiter): void {
    if (this.queues[priority].includes(waiter)) this.fail(waiter, Date.now());
  }

  private limited(now: number): RateLimitedError {
    this.stats.rejected += 1;
    const wait = this.nextSlotAt > now ? this.nextSlotAt - now : this.windowMs;
    return new RateLimitedError(Math.max(1, Math.ceil(wait / 1000)));
  }
}
