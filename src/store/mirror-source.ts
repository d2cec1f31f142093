/**
 * Which platform and application the store mirrors, recorded at its first start (in `mirror_meta`, key
 * `mirror.source`). Ids are unique within one platform only, so a store that holds another platform's objects must
 * not be used against this one: the start is refused rather than the two mixed.
 */
import type { SyncStateRepository } from './sync-state.repository.js';

export const MIRROR_SOURCE_KEY = 'mirror.source';

export interface MirrorSource {
  /** A real platform's URL (origin and path), or `emulator:<identity>` for an embedded emulator, whatever its port. */
  platform: string;
  appId: string;
}

/** `https://Host:443/x/` and `https://host/x` are the same platform. */
export function remoteSource(url: string, appId: string): MirrorSource {
  const parsed = new URL(url);
  return { platform: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`, appId };
}

export function emulatorSource(identity: string, appId: string): MirrorSource {
  return { platform: `emulator:${identity}`, appId };
}

export function describeSource({ platform, appId }: MirrorSource): string {
  const where = platform.startsWith('emulator:') ? `the embedded emulator ${platform.slice('emulator:'.length)}` : platform;
  return `${where}, app ${appId}`;
}

export type SourceClaim =
  | { outcome: 'same' }
  /** Recorded now: a new store, or (`adopted`) one from before sources were recorded that already held a mirror. */
  | { outcome: 'recorded'; adopted: boolean }
  | { outcome: 'other'; recorded: MirrorSource };

/** Records `source` unless the store names one already (replicas starting together agree on the first), and compares. */
export async function claimMirrorSource(syncState: SyncStateRepository, source: MirrorSource): Promise<SourceClaim> {
  const wanted = JSON.stringify(source);
  const before = await syncState.meta(MIRROR_SOURCE_KEY);
  if (before === undefined) {
    const { devices, operations } = await syncState.counts();
    const kept = await syncState.metaOrSet(MIRROR_SOURCE_KEY, wanted);
    if (kept === wanted) return { outcome: 'recorded', adopted: devices + operations > 0 };
    return compare(kept, source);
  }
  return compare(before, source);
}

function compare(kept: string, source: MirrorSource): SourceClaim {
  const recorded = JSON.parse(kept) as MirrorSource;
  return recorded.platform === source.platform && recorded.appId === source.appId ? { outcome: 'same' } : { outcome: 'other', recorded };
}
