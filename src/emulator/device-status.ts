/**
 * Device connectivity as a pure function of time: each device walks through segments whose state is drawn from
 * its profile by hashing (device, segment). Reads cost O(1), need no timers, and the same seed always gives the
 * same timeline, however the clock is moved. A status set through the control API pins the device there.
 */
import type { ConnectivityProfile, DeviceStatus } from './model.js';
import { hashUnit } from './random.js';

/** How far ahead `nextOnlineAt` looks before it gives up (a device that is almost never online). */
const LOOKAHEAD_SEGMENTS = 5000;

function segmentState(profile: ConnectivityProfile, segment: number): DeviceStatus {
  const roll = hashUnit(profile.key, segment);
  if (roll < profile.pOnline) return 'ONLINE';
  if (roll < profile.pOnline + profile.pAbnormal) return 'ABNORMAL';
  return 'OFFLINE';
}

export function statusAt(profile: ConnectivityProfile, time: number): DeviceStatus {
  if (profile.pinned) return profile.pinned;
  if (profile.activatedAt === null || time < profile.activatedAt) return 'INACTIVE';
  return segmentState(profile, Math.floor((time - profile.activatedAt) / profile.segmentMs));
}

/** The first moment at or after `time` when the device is ONLINE; null when that is not foreseeable. */
export function nextOnlineAt(profile: ConnectivityProfile, time: number): number | null {
  const { activatedAt, segmentMs } = profile;
  if (profile.pinned) return profile.pinned === 'ONLINE' ? time : null;
  if (activatedAt === null) return null;
  const from = Math.max(time, activatedAt);
  const first = Math.floor((from - activatedAt) / segmentMs);
  for (let segment = first; segment < first + LOOKAHEAD_SEGMENTS; segment++) {
    if (segmentState(profile, segment) === 'ONLINE') return Math.max(from, activatedAt + segment * segmentMs);
  }
  return null;
}

/** The first moment after `time` when the status differs from the status at `time`; null when not foreseeable. */
export function nextChangeAt(profile: ConnectivityProfile, time: number): number | null {
  const { activatedAt, segmentMs } = profile;
  if (profile.pinned || activatedAt === null) return null;
  if (time < activatedAt) return activatedAt;
  const first = Math.floor((time - activatedAt) / segmentMs);
  const current = segmentState(profile, first);
  for (let segment = first + 1; segment < first + LOOKAHEAD_SEGMENTS; segment++) {
    if (segmentState(profile, segment) !== current) return activatedAt + segment * segmentMs;
  }
  return null;
}
