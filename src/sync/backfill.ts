/**
 * What the mirror reads once it is READY, in the background: each group's members, and the subtasks of every task it
 * has not read yet, newest first (so a task noticed or ended since comes before the history). One group and one task
 * a turn, at a steady pace (see {@link Pace}) well within the mirror's share of the call budget; and what a request
 * reads of a group before the backfill has.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlatformApis } from '../datasources/index.js';
import { ENDPOINTS, pageLimit } from '../datasources/platform/endpoints.js';
import { PlatformError } from '../datasources/platform/errors.js';
import type { MirrorRepositories } from '../store/index.js';
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

/** The platform's own refusals that a later call would not change (not its throttle, nor a lapsed token). */
const PASSING = new Set(['1010009', '1010005']);

export class Backfill {
  /** Groups whose members the platform refused to list (gone since it listed them, say): left to the next full sync. */
  readonly #refused = new Set<string>();
  /** Groups' members being read for a request (see learnGroupMembers). */
  readonly #requested = new Map<string, Promise<void>>();

  constructor(private readonly options: BackfillOptions) {}

  /** A full sync has listed the groups again. */
  relisted(): void {
    this.#refused.clear();
  }

  /**
   * A group's members as a request reads them from the platform, before the backfill has: kept, for every question
   * that needs them. Requests that ask at once share the first one's read.
   */
  async learnGroupMembers(groupId: string, read: () => Promise<readonly string[]>): Promise<void> {
    let reading = this.#requested.get(groupId);
    if (!reading) {
      const sentAt = Date.now();
      reading = read()
        .then(async (members) => void (await this.options.repo.packages.putGroupMembers(groupId, members, sentAt)))
        .finally(() => this.#requested.delete(groupId));
      this.#requested.set(groupId, reading);
    }
    await reading;
  }

  /** One group's members and one task's subtasks, each if any is due; true when more remain. */
  async turn(push: boolean): Promise<boolean> {
    const { tasks, pace, closed } = this.options;
    const groups = await this.groupMembers();
    const more = await tasks.follow(1, push, closed, (calls) => pace.turn(calls));
    return groups || more;
  }

  private async groupMembers(): Promise<boolean> {
    const { repo, apis, pace, closed } = this.options;
    const due = (await repo.packages.groupsDueMembers(this.#refused.size + 2)).filter((g) => !this.#refused.has(g.id));
    const group = due[0];
    if (!group) return false;
    await pace.turn(Math.ceil(Math.max(1, group.deviceCount ?? 1) / pageLimit(ENDPOINTS.deviceGroupMembers)));
    if (closed()) return false;
    const sentAt = Date.now();
    let members: string[];
    try {
      members = await apis.packages.allGroupMemberIds(group);
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'platform' && !PASSING.has(error.code)) this.#refused.add(group.id);
      throw error;
    }
    await repo.packages.putGroupMembers(group.id, members, sentAt);
    return due.length > 1;
  }
}
