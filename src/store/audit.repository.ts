import type { ApiRole } from '../domain/access.js';
import type { AuditFilter, AuditOutcome, AuditRecord } from '../domain/audit.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { AuditLogTable, StoreDb } from './schema.js';

/** The audit trail: written once per mutation call, read newest first, deleted by age. */
export class AuditRepository {
  constructor(private readonly db: StoreDb) {}

  async insert(record: AuditRecord): Promise<void> {
    const { id, at } = record;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('audit_log')
        .values({
          id,
          at,
          client: record.client,
          role: record.role,
          operation: record.operation,
          input_digest: record.inputDigest,
          target_ids: JSON.stringify(record.targetIds),
          outcome: record.outcome,
          error_code: record.errorCode,
          replayed: record.replayed ? 1 : 0,
          request_id: record.requestId,
        })
        .execute();
      const targets = [...new Set(record.targetIds)];
      if (targets.length > 0) await trx.insertInto('audit_targets').values(targets.map((target_id) => ({ target_id, audit_id: id, at }))).execute();
    });
  }

  /** Newest first (by time, then id). */
  async list(filter: AuditFilter, window: ListWindow): Promise<Page<AuditRecord>> {
    let base = this.db.selectFrom('audit_log');
    if (filter.operation !== undefined) base = base.where('operation', '=', filter.operation);
    if (filter.client !== undefined) base = base.where('client', '=', filter.client);
    if (filter.outcome !== undefined) base = base.where('outcome', '=', filter.outcome);
    if (filter.since !== undefined) base = base.where('at', '>=', filter.since);
    if (filter.until !== undefined) base = base.where('at', '<', filter.until);
    if (filter.targetId !== undefined) {
      base = base.where('id', 'in', this.db.selectFrom('audit_targets').select('audit_id').where('target_id', '=', filter.targetId));
    }
    const [total, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      base.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map(recordOf) };
  }

  /** Deletes every record from before `cutoff` (epoch ms): how many. */
  async deleteBefore(cutoff: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('audit_targets').where('at', '<', cutoff).execute();
      const result = await trx.deleteFrom('audit_log').where('at', '<', cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}

function recordOf(row: AuditLogTable): AuditRecord {
  return {
    id: row.id,
    at: Number(row.at),
    client: row.client,
    role: row.role as ApiRole,
    operation: row.operation,
    inputDigest: row.input_digest,
    targetIds: JSON.parse(row.target_ids) as string[],
    outcome: row.outcome as AuditOutcome,
    errorCode: row.error_code,
    replayed: row.replayed === 1,
    requestId: row.request_id,
  };
}
