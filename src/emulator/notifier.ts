/** Delivers management notifications: JSON POSTs to callback URLs, in order per URL, never blocking the platform. */

const DELIVERY_TIMEOUT_MS = 5000;

export class Notifier {
  private readonly queues = new Map<string, Promise<void>>();
  sent = 0;
  failed = 0;

  send(url: string, payload: Record<string, unknown>): void {
    const previous = this.queues.get(url) ?? Promise.resolve();
    const next = previous.then(() => this.post(url, payload));
    this.queues.set(url, next);
  }

  private async post(url: string, payload: Record<string, unknown>): Promise<void> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      if (response.ok) this.sent += 1;
      else this.failed += 1;
    } catch {
      this.failed += 1;
    }
  }

  /** Waits for what is on its way. */
  async drain(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  reset(): void {
    this.queues.clear();
    this.sent = 0;
    this.failed = 0;
  }
}
