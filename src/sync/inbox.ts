/**
 * The mirror's side of the notification receiver: the secret in the receiver's path, and what becomes of each
 * notification (refused and counted; taken into the journal, written and fsync'd, before it is answered; or not
 * taken, so the platform sends it again), then applied in order by the applier, whenever the store can take it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Normalizer } from '../datasources/normalize.js';
import type { NotificationCounts } from '../domain/health.js';
import type { Logger } from '../logging/logger.js';
import type { SyncStateRepository } from '../store/sync-state.repository.js';
import { NotificationApplier } from './applier.js';
import { parseNotification, type Change } from './notifications.js';

/** What became of a notification the receiver was given: the answer it gets (200, 400, 503). */
export type Reception = 'taken' | 'refused' | 'unavailable';

/** Where the notification receiver listens; the secret follows. */
export const RECEIVER_PREFIX = '/mirror/notifications/';

export interface InboxOptions {
  syncState: SyncStateRepository;
  normalizer: Normalizer;
  appId: string;
  logger: Logger;
  /** Where the journal is kept (this process's own); unset: in memory. */
  journalDir?: string;
  /** Applies one change to the mirror (throws when the store cannot take it: it is tried again). */
  apply(change: Change, at: number): Promise<void>;
}

export class Inbox {
  #secret = '';
  #received = 0;
  #rejected = 0;
  #deferred = 0;
  #lastReceivedAt: number | undefined;
  #applier: NotificationApplier | undefined;

  constructor(private readonly options: InboxOptions) {}

  /**
   * Reads the secret (made once, kept in the store: the platform's subscriptions go on pointing at the same URL after
   * a restart, and every replica behind that URL knows it). With push, what a previous run took and did not apply
   * goes first.
   */
  async start(push: boolean): Promise<void> {
    const { syncState, logger } = this.options;
    if (push) {
      this.#applier = await NotificationApplier.start(this.options.journalDir, {
        logger,
        apply: (body, at) => this.applyNotification(body, at),
        storeAnswers: () => syncState.meta('receiver.secret').then(() => true, () => false),
      });
    }
    this.#secret = await syncState.metaOrSet('receiver.secret', randomBytes(24).toString('base64url'));
  }

  async close(): Promise<void> {
    await this.#applier?.close();
  }

  /** The path of the notification receiver (secret: the platform cannot sign what it sends). */
  get receiverPath(): string {
    return `${RECEIVER_PREFIX}${this.#secret}`;
  }

  /** Whether a receiver path's last segment is the secret (compared in constant time). */
  isSecret(presented: string): boolean {
    const a = Buffer.from(presented);
    const b = Buffer.from(this.#secret);
    return b.length > 0 && a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Takes one notification: 'taken' once it is in the journal (written and fsync'd: the platform does not send again
   * what it got a 200 for), 'refused' (and counted) when it is not one of ours, 'unavailable' when it could not be
   * kept (the platform sends it again).
   */
  async receive(body: unknown): Promise<Reception> {
    const change = parseNotification(body, this.options.normalizer, this.options.appId);
    if ('refused' in change) {
      this.refuse(change.refused);
      return 'refused';
    }
    const at = Date.now();
    try {
      if (!this.#applier) throw new Error('no notification journal: push is off');
      await this.#applier.journal.append(body, at);
    } catch (error) {
      this.#deferred += 1;
      this.options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'notification not taken: answered 503, the platform sends it again');
      return 'unavailable';
    }
    this.#received += 1;
    this.#lastReceivedAt = Math.max(this.#lastReceivedAt ?? 0, at);
    return 'taken';
  }

  /** Counts a notification that was not applied (since this process started, as `received` is). */
  refuse(reason: string): void {
    this.#rejected += 1;
    this.options.logger.debug({ reason }, 'notification refused');
  }

  /** Resolves once every notification taken so far is in the store. */
  async applied(): Promise<void> {
    await this.#applier?.journal.drained();
  }

  /** The receiver's counters, read without the store. */
  get counts(): NotificationCounts & { lastReceivedAt: number | undefined } {
    const journal = this.#applier?.journal;
    return {
      received: this.#received,
      rejected: this.#rejected,
      deferred: this.#deferred,
      discarded: this.#applier?.discarded ?? 0,
      pending: journal?.pending ?? 0,
      oldestPendingAt: journal?.oldestAt,
      lastReceivedAt: this.#lastReceivedAt,
    };
  }

  /** A journaled notification, read again as the receiver did (a newer gateway may read an older one differently). */
  private async applyNotification(body: unknown, at: number): Promise<void> {
    const change = parseNotification(body, this.options.normalizer, this.options.appId);
    if ('refused' in change) this.options.logger.warn({ reason: change.refused }, 'journaled notification no longer accepted: skipped');
    else await this.options.apply(change, at);
  }
}
