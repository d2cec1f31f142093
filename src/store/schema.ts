/** The store's tables, as Kysely sees them. Times are epoch milliseconds, so both engines compare them alike. */
import type { Kysely } from 'kysely';

export interface IdempotencyKeyTable {
  /** Who sent the key: keys are scoped per client, as payment APIs scope them per account. */
  client: string;
  key: string;
  /** SHA-256 of the canonical input: the same key with another input is refused. */
  fingerprint: string;
  state: 'pending' | 'done' | 'unknown';
  /** The id the create returned (or that a reconcile claimed); unique, so no two keys claim one task. */
  result: string | null;
  /** When the create was sent; a reconcile looks only at what the platform made after it. */
  sent_at: number;
  /** Until when the process that sent it may still be waiting for the answer; past it, the outcome is unknown. */
  lease_until: number;
  expires_at: number;
}

export interface BudgetCallTable {
  /** A UUID made by the gateway: no engine-specific sequence. */
  id: string;
  /** The platform application whose budget the call spent. */
  app: string;
  client: string;
  /** When the platform may have counted the call: set when the slot is granted, moved on when the answer came. */
  at: number;
}

export interface StoreSchema {
  idempotency_keys: IdempotencyKeyTable;
  budget_calls: BudgetCallTable;
}

export type StoreDb = Kysely<StoreSchema>;
