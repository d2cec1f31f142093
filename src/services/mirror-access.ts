/** What services share about the mirror: the one check that it is on (or ready), and reads that try it first. */
import type { PackagesApi } from '../datasources/packages.api.js';
import { mirrorOff, UnavailableError } from '../domain/errors.js';
import type { Mirror } from '../sync/mirror.js';

/** The mirror, on: MIRROR_UNAVAILABLE when MIRROR_BUDGET_SHARE=0. */
export function mirrorOn(mirror: Mirror | undefined, what: string): Mirror {
  if (!mirror) throw mirrorOff(what);
  return mirror;
}

/** The mirror, once it is READY: a request that comes during its first sync waits for it up to `deadline`. */
export async function readyMirror(mirror: Mirror | undefined, what: string, deadline: number): Promise<Mirror> {
  const on = mirrorOn(mirror, what);
  if (!(await on.readyBy(deadline))) {
    const { state, devices } = await on.status();
    throw new UnavailableError('MIRROR_UNAVAILABLE', `The fleet mirror is still syncing (${state}, ${devices} devices so far); ask again shortly (query mirror for its state).`, { state });
  }
  return on;
}

/**
 * Objects by id, in the order of `ids`: those the mirror holds (`mirrored`, one read), the rest from `readMissing`
 * (the platform), which answers in the order it was asked; null where neither knows the id.
 */
export async function mirroredFirst<V>(
  ids: readonly string[],
  mirrored: ReadonlyMap<string, V> | undefined,
  readMissing: (missing: string[]) => Promise<(V | null)[]>,
): Promise<(V | null)[]> {
  const missing = ids.filter((id) => !mirrored?.has(id));
  const read = new Map<string, V | null>();
  if (missing.length > 0) (await readMissing(missing)).forEach((value, i) => read.set(missing[i] as string, value));
  return ids.map((id) => mirrored?.get(id) ?? read.get(id) ?? null);
}

/**
 * Makes sure the mirror holds a group's members before a question that needs them is answered from it: until the
 * backfill has read them, they are read from the platform now, within the caller's budget, and handed to the sync to
 * keep. A group the mirror does not know is left alone (it matches no device).
 */
export async function groupMembersHeld(mirror: Mirror, groupId: string, api: PackagesApi): Promise<void> {
  const held = await mirror.repo.packages.group(groupId);
  if (!held || held.membersSyncedAt !== undefined) return;
  await mirror.learnGroupMembers(groupId, () => api.allGroupMemberIds(held.group));
}
