/**
 * What the service layer tells the audit trail of the mutation call it serves, without every service passing it on:
 * today, that the call was an idempotent replay (exactly-once.ts answered an earlier call's result).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface AuditNote {
  replayed: boolean;
}

const notes = new AsyncLocalStorage<AuditNote>();

/** Runs one mutation call with `note` as its own. */
export function withAuditNote<T>(note: AuditNote, work: () => T): T {
  return notes.run(note, work);
}

/** The call in progress answers what an earlier one made (or, `false`, makes its own after all). */
export function noteReplayed(replayed = true): void {
  const note = notes.getStore();
  if (note) note.replayed = replayed;
}
