/** The platform's flow control: at most N accepted calls per application in any sliding 60 s window. */
import { errors } from './errors.js';

const WINDOW_MS = 60_000;

export class Throttle {
  private readonly accepted = new Map<string, number[]>();

  /** Records the call, or throws 1010009 when the app's window is full. */
  take(appId: string, now: number, limit: number): void {
    const times = (this.accepted.get(appId) ?? []).filter((t) => t > now - WINDOW_MS);
    this.accepted.set(appId, times);
    if (times.length >= limit) throw errors.throttled();
    times.push(now);
  }

  clear(): void {
    this.accepted.clear();
  }
}
