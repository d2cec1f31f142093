/**
 * One pass over everything the platform lists (packages, groups, devices, tasks), in the largest pages each endpoint
 * serves. The cursor is kept after every page, so a restart resumes where the pass stood; what the platform no longer
 * lists is dropped once the pass is complete. Groups' members are read apart, after the mirror is READY (backfill.ts).
 */
import type { PlatformApis } from '../datasources/index.js';
import { ENDPOINTS, pageLimit } from '../datasources/platform/endpoints.js';
import type { MirrorRepositories } from '../store/index.js';

const STEPS = ['packages', 'groups', 'devices', 'operations'] as const;
const PAGE = {
  packages: pageLimit(ENDPOINTS.packages),
  groups: pageLimit(ENDPOINTS.deviceGroups),
  devices: pageLimit(ENDPOINTS.devices),
  operations: pageLimit(ENDPOINTS.operations),
} as const;

/** Where the full sync stands. */
interface SyncCursor {
  round: number;
  step: (typeof STEPS)[number];
  page: number;
  startedAt: number;
}

/**
 * Runs (or resumes) the pass; returns when it completed, or undefined when `closed` stopped it part-way. `pace`, when
 * given, is waited for before each page (a re-sync keeps the mirror's steady pace).
 */
export async function fullSync(repo: MirrorRepositories, apis: PlatformApis, closed: () => boolean, pace?: () => Promise<void>): Promise<number | undefined> {
  const { syncState } = repo;
  const saved = await syncState.meta('sync.cursor');
  let cursor: SyncCursor = saved ? (JSON.parse(saved) as SyncCursor) : { round: Number((await syncState.meta('sync.round')) ?? 0) + 1, step: STEPS[0], page: 0, startedAt: Date.now() };
  for (let s = STEPS.indexOf(cursor.step); s < STEPS.length; s++) {
    const step = STEPS[s] as SyncCursor['step'];
    const size = PAGE[step];
    for (let page = step === cursor.step ? cursor.page : 0; ; page++) {
      await pace?.();
      if (closed()) return undefined;
      const total = await syncPage(repo, apis, step, { start: page * size, count: size }, cursor.round);
      const done = (page + 1) * size >= total;
      cursor = done ? { ...cursor, step: STEPS[s + 1] ?? step, page: 0 } : { ...cursor, step, page: page + 1 };
      await syncState.setMeta('sync.cursor', JSON.stringify(cursor));
      if (done) break;
    }
  }
  await repo.devices.dropDevicesBefore(cursor.round, cursor.startedAt);
  await repo.upgradeTasks.dropOperationsBefore(cursor.round, cursor.startedAt);
  await repo.packages.dropPackagesBefore(cursor.round);
  const completedAt = Date.now();
  await syncState.setMeta('sync.round', String(cursor.round));
  await syncState.setMeta('sync.lastFullAt', String(completedAt));
  await syncState.deleteMeta('sync.cursor');
  return completedAt;
}

/** Reads and stores one page of a step; returns the list's total (0 for groups: they are read whole). */
async function syncPage(repo: MirrorRepositories, apis: PlatformApis, step: SyncCursor['step'], window: { start: number; count: number }, round: number): Promise<number> {
  const now = Date.now();
  if (step === 'packages') {
    const listed = await apis.packages.list({}, window);
    await repo.packages.putPackages(listed.items, now, round);
    return listed.totalCount;
  }
  if (step === 'groups') {
    // Groups are few (one page); their members are read after READY, or on demand.
    const listed = await apis.packages.groups({ start: 0, count: PAGE.groups });
    await repo.packages.putGroups(listed.items, now, round);
    await repo.packages.dropGroupsBefore(round);
    return 0;
  }
  if (step === 'devices') {
    const listed = await apis.devices.list(window);
    await repo.devices.putDevices(listed.items, now, round);
    return listed.totalCount;
  }
  const listed = await apis.upgradeTasks.list({}, window);
  await repo.upgradeTasks.putOperations(listed.items, now, round);
  return listed.totalCount;
}
