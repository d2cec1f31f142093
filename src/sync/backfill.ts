/**
 * What the mirror reads once it is READY, in the background: each group's members, and the subtasks of every task it
 * has not read yet, newest first (so a task noticed or ended since comes before the history). One group and one task
 * a turn, at a steady pace (see {@link Pace}) well within the mirror's share of the call budget.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlatformApis } from '../datasources/index.js';
import { ENDPOINTS, pageLimit } from '../datasources/platform/endpoints.js';
import type { MirrorRepositories } from '../store/index.js';
import { readGroupMembers } from './full-sync.js';
import type { TaskSync } from './tasks.js';

/** Spaces calls evenly, one every `intervalMs` on average (a task's pages go together, then wait their turns). */
export class Pace {
  #nextAt = 0;

  constructor(
    readonly intervalMs: number,
    private readonly stopped: AbortSignal,
  ) {}

  /** Waits for the turn of the `calls` calls about to be made. */
  async turn(calls = 1): Promise<void> {
    const wait = this.#nextAt - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.stopped }).catch(() => undefined);
    this.#nextAt = Math.max(Date.now(), this.#nextAt) + calls * this.intervalMs;
  }
}

export interface BackfillOptions {
  repo: MirrorRepositories;
  /** The platform at the mirror's steady share. */
  apis: PlatformApis;
  tasks: TaskSync;
  pace: Pace;
  closed: () => boolean;
}

export class Backfill {
  constructor(private readonly options: BackfillOptions) {}

  /** One group's members and one task's subtasks, each if any is due; true when more remain. */
  async turn(push: boolean): Promise<boolean> {
    const { tasks, pace, closed } = this.options;
    const groups = await this.groupMembers();
    const more = await tasks.follow(1, push, closed, (calls) => pace.turn(calls));
    return groups || more;
  }

  private async groupMembers(): Promise<boolean> {
    const { repo, apis, pace, closed } = this.options;
    const due = await repo.packages.groupsDueMembers(2);
    const group = due[0];
    if (!group) return false;
    await pace.turn(Math.ceil(Math.max(1, group.deviceCount ?? 1) / pageLimit(ENDPOINTS.deviceGroupMembers)));
    if (closed()) return false;
    const sentAt = Date.now();
    await repo.packages.putGroupMembers(group.id, await readGroupMembers(apis.packages, group), sentAt);
    return due.length > 1;
  }
}
