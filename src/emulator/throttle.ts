/**
 * The platform's flow control: at most N accepted calls per application in any sliding 60 s window. Each app keeps
 * its accepted calls' times in arrival order (the emulated clock never goes back), so expired ones leave from the
 * front: O(1) amortised per call, however long the log has grown.
 */
import { errors } from './errors.js';

const WINDOW_MS = 60_000;
/** Expired entries are cut off the array once this many have piled up at its front. */
const COMPACT_AFTER = 4096;

class Window {
  private times: number[] = [];
  private head = 0;

  /** Calls accepted after `since`. */
  countAfter(since: number): number {
    const { times } = this;
    while (this.head < times.length && (times[this.head] as number) <= since) this.head += 1;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= times.length) {
      this.times = times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  push(time: number): void {
    this.times.push(time);
  }
}

export class Throttle {
  private readonly windows = new Map<string, Window>();

  /** Records the call, or throws 1010009 when the app's window is full; `limit` null: no limit, still recorded. */
  take(appId: string, now: number, limit: number | null): void {
    let window = this.windows.get(appId);
    if (!window) this.windows.set(appId, (window = new Window()));
    const used = window.countAfter(now - WINDOW_MS);
    if (limit !== null && used >= limit) throw errors.throttled();
    window.push(now);
  }

  clear(): void {
    this.windows.clear();
  }
}
