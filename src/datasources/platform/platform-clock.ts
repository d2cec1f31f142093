/**
 * The platform's clock, as its answers tell it. A reconcile compares a send with the platform's `createTime`, which
 * is on the platform's clock (whole seconds), so the send must be read on that clock too, not on this process's.
 * Every answer's `Date` header (whole seconds, read by the platform somewhere between the send and the answer)
 * bounds the offset between the two clocks; the newest answers that agree narrow it.
 */

/** Answers kept: enough at different sub-second phases to narrow the offset to a few milliseconds. */
const SAMPLES = 32;
const SECOND = 1000;

interface OffsetBounds {
  low: number;
  high: number;
}

export class PlatformClock {
  readonly #samples: OffsetBounds[] = [];

  /** One answer: its `Date` header, and when (on this process's clock) its request left and its answer came. */
  observe(date: string | undefined, sentAt: number, answeredAt: number): void {
    const read = Date.parse(date ?? '');
    if (Number.isNaN(read)) return;
    this.#samples.push({ low: read - answeredAt, high: read + SECOND - sentAt });
    if (this.#samples.length > SAMPLES) this.#samples.shift();
  }

  /**
   * The earliest the platform's clock can have read at `local` (this process's clock); undefined until an answer
   * carried a `Date`. Narrowed by the newest answers as long as they agree: a clock that was set since starts afresh.
   */
  earliestAt(local: number): number | undefined {
    let low = -Infinity;
    let high = Infinity;
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      const sample = this.#samples[i] as OffsetBounds;
      if (Math.max(low, sample.low) >= Math.min(high, sample.high)) break;
      low = Math.max(low, sample.low);
      high = Math.min(high, sample.high);
    }
    return Number.isFinite(low) ? local + low : undefined;
  }
}
