/**
 * Batch tasks someone watches. The platform pushes nothing about them, so each is polled once per interval, whatever
 * the number of watchers, until it ends or nobody watches; what a poll reads is stored, then published if it changed.
 */
import type { PlatformApis } from '../datasources/index.js';
import type { BatchTask } from '../domain/batch-tasks.js';
import { hasEnded } from '../domain/upgrade-tasks.js';
import type { Logger } from '../logging/logger.js';

export interface BatchWatchOptions {
  apis: PlatformApis;
  pollMs: number;
  logger: Logger;
  /** Stores what a poll read (before it is published: another replica relays it by reading the store). */
  learned(task: BatchTask): Promise<void>;
  publish(task: BatchTask): void;
  /** Replicas: one polls a task for all (a lease per task); the others hear of its changes through the store. */
  claim?(name: string, ttlMs: number): Promise<boolean>;
}

interface Watch {
  watchers: number;
  timer: NodeJS.Timeout;
  /** The state last published (without its read time). */
  last: string;
}

export class BatchWatches {
  readonly #watches = new Map<string, Watch>();
  #closed = false;

  constructor(private readonly options: BatchWatchOptions) {}

  /** Starts (or joins) the poll of one task; returns the function that ends this watcher's interest. */
  watch(id: string): () => void {
    const existing = this.#watches.get(id);
    if (existing) {
      existing.watchers += 1;
    } else {
      this.#watches.set(id, { watchers: 1, last: '', timer: setInterval(() => void this.poll(id), this.options.pollMs) });
      void this.poll(id);
    }
    return () => {
      const watch = this.#watches.get(id);
      if (watch && --watch.watchers === 0) this.stop(id);
    };
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#watches.keys()]) this.stop(id);
  }

  private async poll(id: string): Promise<void> {
    const watch = this.#watches.get(id);
    if (!watch || this.#closed) return;
    try {
      if (this.options.claim && !(await this.options.claim(`batch-task:${id}`, 2 * this.options.pollMs))) return;
      const task = await this.options.apis.batchTasks.find(id);
      if (!task) return this.stop(id);
      await this.options.learned(task);
      const { syncedAt: _learned, ...state } = task;
      const seen = JSON.stringify(state);
      if (seen !== watch.last) {
        watch.last = seen;
        this.options.publish(task);
      }
      if (hasEnded(task)) this.stop(id);
    } catch (error) {
      this.options.logger.debug({ error: error instanceof Error ? error.message : String(error) }, 'batch task poll failed; the next one tries again');
    }
  }

  private stop(id: string): void {
    clearInterval(this.#watches.get(id)?.timer);
    this.#watches.delete(id);
  }
}
