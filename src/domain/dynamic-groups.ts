/**
 * Dynamic groups: named, saved device filters (hawkBit's target filters, Mender's dynamic groups). Their members are
 * whatever devices the filter matches at the time asked, never a stored list; a continuous rollout that targets one
 * takes the devices that come to match later, each once.
 */
import type { DeviceFilter } from './devices.js';
import { waveSize, type WaveSpec } from './rollouts.js';

const MAX_GROUP_NAME_LENGTH = 128;

export interface DynamicGroup {
  id: string;
  name: string;
  filter: DeviceFilter;
  createdAt: number;
  updatedAt: number;
}

/** Why `name` cannot name a dynamic group, or undefined when it can (unique regardless of case: checked by the store). */
export function dynamicGroupNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'must not be empty';
  if (name !== name.trim()) return 'must not begin or end with spaces';
  if (name.length > MAX_GROUP_NAME_LENGTH) return `must have at most ${MAX_GROUP_NAME_LENGTH} characters`;
  if (/\p{Cc}/u.test(name)) return 'must not contain control characters';
  return undefined;
}

/** Two names that differ in case only are the same group's. */
export const nameKeyOf = (name: string): string => name.toLowerCase();

/** What a continuous rollout keeps beyond the rollout: its group and the wave rules each new set of devices follows. */
export interface ContinuousRollout {
  rolloutId: string;
  groupId: string;
  waves: WaveSpec[];
  /** When an operator stopped it taking new devices (it then completes as a normal rollout); null while it follows. */
  stoppedAt: number | null;
}

/**
 * The sizes of the waves that take `total` newly matching devices, by the rollout's own rules (a count is that many,
 * a percent that share of the new devices rounded up, the last wave whatever remains); waves left empty are dropped
 * (a rule written for the first thousands applies to the few that come later).
 */
export function followUpWaveSizes(total: number, waves: readonly WaveSpec[]): number[] {
  const sizes: number[] = [];
  let remaining = total;
  for (const [index, wave] of waves.entries()) {
    if (remaining === 0) break;
    const size = waveSize(total, remaining, wave, index === waves.length - 1);
    sizes.push(size);
    remaining -= size;
  }
  return sizes;
}
