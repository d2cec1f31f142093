/** The one check that the mirror can answer what the platform cannot (fleet lists, live updates, rollouts). */
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
