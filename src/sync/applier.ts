/**
 * Applies the journal's notifications to the store, one at a time and in the order they were taken (what a restart
 * found in the journal first). A notification the store cannot take stays first in line and is tried again shortly,
 * for as long as the store is away; only one that keeps failing while the store answers (a notification the code
 * cannot apply) is set aside after a while, so that it does not hold back every later one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging/logger.js';
import { NotificationJournal, type JournalOptions } from './journal.js';

export interface ApplierOptions {
  /** Applies one notification as the receiver took it (`at`: when). */
  apply(body: unknown, at: number): Promise<void>;
  /** Whether the store answers now. */
  storeAnswers(): Promise<boolean>;
  logger: Logger;
  /** How long a notification may fail while the store answers before it is set aside. */
  giveUpAfterMs?: number;
  journal?: JournalOptions;
}

/** The first retry comes this soon, the later ones at most this far apart: back within a second of the store. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 1_000;
const GIVE_UP_AFTER_MS = 60_000;

export class NotificationApplier {
  readonly #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  /** Notifications set aside: they failed for `giveUpAfterMs` while the store answered. */
  discarded = 0;

  private constructor(
    readonly journal: NotificationJournal,
    private readonly options: ApplierOptions,
  ) {}

  /** Opens the journal in `dir` (unset: in memory) and applies what it holds, then what is taken from now on. */
  static async start(dir: string | undefined, options: ApplierOptions): Promise<NotificationApplier> {
    const journal = await NotificationJournal.open(dir, options.journal);
    if (journal.pending > 0 || journal.damaged > 0) {
      options.logger.info({ pending: journal.pending, damaged: journal.damaged }, 'notification journal: applying what it still holds');
    }
    const applier = new NotificationApplier(journal, options);
    applier.#loop = applier.#run();
    return applier;
  }

  /** Stops after the notification being applied and closes the journal: what is left stays in it. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.journal.close();
  }

  async #run(): Promise<void> {
    const { journal } = this;
    const { logger } = this.options;
    const signal = this.#stop.signal;
    let retryMs = FIRST_RETRY_MS;
    let problem: string | undefined;
    /** Since when the first notification has failed while the store answered. */
    let failingSince: number | undefined;
    while (!signal.aborted) {
      const entry = journal.next();
      if (!entry) {
        await journal.entryTaken(signal);
        continue;
      }
      try {
        await this.options.apply(entry.body, entry.at);
        journal.applied(entry.seq);
        if (problem !== undefined) logger.info({ pending: journal.pending }, 'notifications are applied again');
        [retryMs, problem, failingSince] = [FIRST_RETRY_MS, undefined, undefined];
        continue;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== problem) logger.warn({ error: message, pending: journal.pending }, 'notification not applied yet: kept in the journal, tried again shortly');
        problem = message;
      }
      if (await this.options.storeAnswers()) {
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= (this.options.giveUpAfterMs ?? GIVE_UP_AFTER_MS)) {
          logger.error({ error: problem, seq: entry.seq, notification: summary(entry.body) }, 'notification set aside: it fails while the store answers');
          journal.applied(entry.seq);
          this.discarded += 1;
          failingSince = undefined;
          continue;
        }
      } else {
        failingSince = undefined;
      }
      await sleep(retryMs, undefined, { signal }).catch(() => undefined);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  }
}

/** What identifies a notification in a log line, without its payload. */
function summary(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null) return {};
  const { notifyType, deviceId, operationId, subOperationId } = body as Record<string, unknown>;
  return { notifyType, deviceId, operationId, subOperationId };
}
