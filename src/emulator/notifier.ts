/**
 * Delivers every push (management and service-data notifications): JSON POSTs to callback URLs, in order per URL,
 * never blocking the platform. As the platform's FAQ says, a push the receiver refuses (non-2xx) or does not answer
 * within 15 s is kept for 10 minutes of emulated time and re-sent with a growing delay, then dropped.
 */
import { MINUTE, SECOND } from './time.js';

const DELIVERY_TIMEOUT_MS = 15 * SECOND;
const KEPT_FOR_MS = 10 * MINUTE;
const FIRST_RETRY_MS = 5 * SECOND;
const MAX_RETRY_MS = 160 * SECOND;

/** The emulated clock of the platform in force (a reset brings a new one). */
export interface PushClock {
  now(): number;
  schedule(at: number, run: () => void, changesState?: boolean): void;
}

interface Push {
  url: string;
  payload: Record<string, unknown>;
  /** Emulated time of the first attempt. */
  firstAt: number;
  attempts: number;
}

export class Notifier {
  private readonly queues = new Map<string, Promise<void>>();
  /** Bumped by reset, so failures of pushes from before it schedule nothing on the new clock. */
  private epoch = 0;
  sent = 0;
  failed = 0;
  retried = 0;
  dropped = 0;

  constructor(private readonly clock: () => PushClock) {}

  send(url: string, payload: Record<string, unknown>): void {
    this.enqueue({ url, payload, firstAt: this.clock().now(), attempts: 0 });
  }

  private enqueue(push: Push): void {
    const epoch = this.epoch;
    const previous = this.queues.get(push.url) ?? Promise.resolve();
    const next = previous.then(() => this.post(push, epoch));
    this.queues.set(push.url, next);
  }

  private async post(push: Push, epoch: number): Promise<void> {
    if (epoch !== this.epoch) return; // queued before a reset: that platform is gone
    push.attempts += 1;
    if (await this.attempt(push)) {
      this.sent += 1;
      return;
    }
    this.failed += 1;
    if (epoch !== this.epoch) return;
    const clock = this.clock();
    const retryAt = clock.now() + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (push.attempts - 1));
    if (retryAt > push.firstAt + KEPT_FOR_MS) {
      this.dropped += 1;
      return;
    }
    clock.schedule(
      retryAt,
      () => {
        if (epoch !== this.epoch) return;
        this.retried += 1;
        this.enqueue(push);
      },
      false,
    );
  }

  private async attempt(push: Push): Promise<boolean> {
    try {
      const response = await fetch(push.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(push.payload),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Waits for what is on its way (not for re-sends still scheduled on the clock). */
  async drain(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  reset(): void {
    this.epoch += 1;
    this.queues.clear();
    this.sent = 0;
    this.failed = 0;
    this.retried = 0;
    this.dropped = 0;
  }
}
