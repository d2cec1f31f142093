/** The audit trail: who sent which mutation, when, on what, and how it ended (DESIGN.md §2b, Audit trail). */
import type { ApiRole } from './access.js';
import { enumOf, type ValueOf } from './values.js';

export const AuditOutcome = enumOf(['OK', 'ERROR']);
export type AuditOutcome = ValueOf<typeof AuditOutcome>;

export const DAY_MS = 24 * 60 * 60_000;

/** One mutation call, as recorded once it is answered. */
export interface AuditRecord {
  id: string;
  /** When the call came (epoch ms, this process's clock). */
  at: number;
  /** The API key's name (`key-` and 8 hex digits of its SHA-256, or `anonymous`), never the key. */
  client: string;
  role: ApiRole;
  /** The mutation field called, e.g. `pauseRollout`. */
  operation: string;
  /** SHA-256 of the call's arguments as canonical JSON (keys sorted): equal inputs, equal digests. */
  inputDigest: string;
  /** What it named or made: rollout, upgrade task (operationId), batch task ids. */
  targetIds: string[];
  outcome: AuditOutcome;
  /** `extensions.code` of the error, when the outcome is ERROR. */
  errorCode: string | null;
  /** An idempotent replay: the answer of an earlier call with the same key and input, nothing done again. */
  replayed: boolean;
  /** The request's id, as the request log line names it; null for the rollout orchestrator's own state changes. */
  requestId: string | null;
}

export interface AuditFilter {
  operation?: string;
  client?: string;
  outcome?: AuditOutcome;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  targetId?: string;
}

/** Records older than this are deleted: `days` whole days before `now`. */
export function auditCutoff(now: number, days: number): number {
  return now - days * DAY_MS;
}

/** The rollout orchestrator's own state changes, recorded as operations of its client (no mutation is named so). */
export const ORCHESTRATOR_OPERATIONS = Object.freeze({ HALTED: 'rolloutHalted', COMPLETED: 'rolloutCompleted' } as const);

/**
 * What an entry of a rollout's history is: an operator's command (its audit record), the orchestrator halting or
 * completing it (its record too), or one of its waves moving.
 */
export const RolloutEvent = enumOf(['COMMAND', 'HALTED', 'COMPLETED', 'WAVE_STARTED', 'WAVE_FINISHED']);
export type RolloutEvent = ValueOf<typeof RolloutEvent>;
