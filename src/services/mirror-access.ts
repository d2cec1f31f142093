/** What services share about the mirror: the one check that it is on (or ready), and reads that try it first. */
import { mirrorOff, UnavailableError } from '../domain/errors.js';
import type { Mirror } from '../sync/mirror.js';

/** The mirror, on: MIRROR_UNAVAILABLE when MIRROR_BUDGET_SHARE=0. */
export function mirrorOn(mirror: Mirror | undefined, what: string): Mirror {
  if (!mirror) throw mirrorOff(what);
  return mirror;
}

/** The mirror, once its first full sync is complete. */
export async function readyMirror(mirror: Mirror | undefined, what: string): Promise<Mirror> {
  const on = mirrorOn(mirror, what);
  if (!on.ready) {
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
