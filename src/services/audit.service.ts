/** The audit trail: one record per mutation call (written by the request pipeline), its reads, its retention. */
import type { AuditFilter, AuditRecord } from '../domain/audit.js';
import { auditCutoff } from '../domain/audit.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { Logger } from '../logging/logger.js';
import type { AuditRepository } from '../store/audit.repository.js';

/** How often records past their days are deleted: an indexed range delete, cheap at any rate. */
const SWEEP_MS = 60 * 60_000;

export class AuditTrail {
  readonly #repo: AuditRepository;
  readonly #logger: Logger;
  readonly #days: number;
  #sweeper: NodeJS.Timeout | undefined;

  /** `days`: GATEWAY_AUDIT_DAYS, how long a record is kept. */
  constructor(repo: AuditRepository, logger: Logger, days: number) {
    this.#repo = repo;
    this.#logger = logger;
    this.#days = days;
  }

  /**
   * Writes one record. The call it records has happened whatever the store says: a record the store cannot take is
   * logged in full (it holds no secret) rather than failing the answer.
   */
  async record(record: AuditRecord): Promise<void> {
    try {
      await this.#repo.insert(record);
    } catch (error) {
      this.#logger.warn({ audit: record, error: error instanceof Error ? error.message : String(error) }, 'an audit record could not be stored; it is in this log line only');
    }
  }

  list(filter: AuditFilter, window: ListWindow): Promise<Page<AuditRecord>> {
    return this.#repo.list(filter, window);
  }

  /** Deletes the records older than the retention's days before `now` (by default the process's clock): how many. */
  async sweep(now: number = Date.now()): Promise<number> {
    return this.#repo.deleteBefore(auditCutoff(now, this.#days));
  }

  /** Sweeps now and every hour after (every replica: the delete is idempotent). */
  start(): void {
    const sweep = () =>
      void this.sweep().catch((error: unknown) => this.#logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'the audit retention sweep failed; it runs again within the hour'));
    sweep();
    this.#sweeper = setInterval(sweep, SWEEP_MS).unref();
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}
