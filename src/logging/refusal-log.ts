/**
 * Refusals a client brings on itself (RATE_LIMITED above all) come in floods: a client hammering an exhausted budget
 * gets hundreds a second, and a warn line each would bury everything else. So they are logged per client and code:
 * the first of an interval at once, the rest as one line with their count when the interval ends.
 */
import type { Logger } from './logger.js';

const DEFAULT_INTERVAL_MS = 10_000;

interface Interval {
  client: string;
  code: string;
  /** Refusals after the first (which was logged at once). */
  more: number;
  timer: NodeJS.Timeout;
}

export class RefusalLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #open = new Map<string, Interval>();

  constructor(logger: Logger, intervalMs = DEFAULT_INTERVAL_MS) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  /** One refused request of `client`; `fields` and `message` describe it, for the line written at once. */
  record(client: string, code: string, fields: Record<string, unknown>, message: string): void {
    const key = `${client}\u0000${code}`;
    const open = this.#open.get(key);
    if (open) {
      open.more += 1;
      return;
    }
    this.#logger.warn({ ...fields, client, code, count: 1, intervalSeconds: this.#intervalMs / 1000 }, message);
    // Unref'd: a pending summary never keeps the process alive; close() writes it.
    const timer = setTimeout(() => this.#end(key), this.#intervalMs).unref();
    this.#open.set(key, { client, code, more: 0, timer });
  }

  /** Writes the pending counts now (at shutdown). */
  close(): void {
    for (const key of [...this.#open.keys()]) this.#end(key);
  }

  #end(key: string): void {
    const interval = this.#open.get(key);
    if (!interval) return;
    clearTimeout(interval.timer);
    this.#open.delete(key);
    const { client, code, more } = interval;
    if (more === 0) return;
    const seconds = this.#intervalMs / 1000;
    this.#logger.warn({ client, code, count: more, intervalSeconds: seconds }, `${more} more requests of client ${client} refused with ${code} in ${seconds} s`);
  }
}
