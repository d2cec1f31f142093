/**
 * Requests while the store cannot be reached: reads the platform can answer go to it (the mirror's absence shows only
 * in `syncedAt`), and what only the store knows fails with STORE_UNAVAILABLE, never as an internal error.
 */
import { storeUnavailable, type UnavailableError } from '../domain/errors.js';
import { isStoreUnavailable } from '../store/availability.js';
import type { Mirror } from '../sync/mirror.js';

/**
 * What the mirror answers, or undefined when there is no mirror, it is not READY (`ready`), or the store cannot be
 * reached: the caller asks the platform then.
 */
export async function fromMirror<T>(mirror: Mirror | undefined, read: (mirror: Mirror) => Promise<T>, { ready = false } = {}): Promise<T | undefined> {
  if (!mirror || (ready && !mirror.ready)) return undefined;
  try {
    return await read(mirror);
  } catch (error) {
    if (isStoreUnavailable(error)) return undefined;
    throw error;
  }
}

/** STORE_UNAVAILABLE for a failure to reach the store; undefined for any other error. */
export function storeOutageOf(error: unknown, what = 'This request'): UnavailableError | undefined {
  return isStoreUnavailable(error) ? storeUnavailable(what) : undefined;
}
