/**
 * The fleet mirror: keeps the store in step with the platform, so that reads need no platform call. The first full
 * sync lists everything in the largest pages each endpoint serves (resumable after a restart) and reads the newest
 * tasks' subtasks: then it is READY, having asked first for what a dashboard needs. The rest (groups' members, the
 * other tasks' subtasks) is backfilled at a steady pace; a short poll of the newest tasks finds new ones and status
 * changes; the platform's notifications (both subscription APIs) move devices and subtasks as they change. Every
 * change is published. Until READY the mirror may use its whole share of the call budget (a hard cap of every
 * window); after, it keeps below a part of it, so a window its first sync filled is left alone until those calls
 * leave it.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlatformApis } from '../datasources/index.js';
import type { Normalizer } from '../datasources/normalize.js';
import type { MirrorCounts, MirrorState, MirrorStatus, NotificationCounts } from '../domain/health.js';
import type { Logger } from '../logging/logger.js';
import type { MirrorRepositories } from '../store/index.js';
import { Backfill, Pace } from './backfill.js';
import { BatchWatches } from './batch-watches.js';
import type { MirrorEvents } from './events.js';
import type { BatchTask } from '../domain/batch-tasks.js';
import type { Operation } from '../domain/upgrade-tasks.js';
import { fullSync } from './full-sync.js';
import { Inbox, type Reception } from './inbox.js';
import { MANAGEMENT_TYPES, SERVICE_TYPES } from './notifications.js';
import { TaskSync } from './tasks.js';

export interface MirrorOptions {
  repo: MirrorRepositories;
  /** Listeners one change event may have (a live subscription each, and the gateway's own): more would be a leak. */
  maxListeners: number;
  /**
   * The platform as the mirror's own client (its calls are budgeted under its share, a hard cap), each call going
   * only while the mirror holds less than `share` of the budget's window.
   */
  platform(share: number): PlatformApis;
  /** The call budget that `budgetShare` is a share of. */
  budget: { calls: number; windowSeconds: number };
  normalizer: Normalizer;
  logger: Logger;
  appId: string;
  budgetShare: number;
  fullSyncMinutes: number;
  /** How often the newest tasks are listed again (and, without push, running tasks' subtasks read again). */
  pollSeconds?: number;
  /**
   * Replicas on one store: only the holder of `sync` subscribes, syncs and polls (every replica applies the pushes it
   * receives); `claim` takes a lease on a poll one replica makes for all (a watched batch task). Unset: this process
   * does it all.
   */
  replicas?: { sync: { readonly held: boolean }; claim(name: string, ttlMs: number): Promise<boolean> };
  /** Where the notification journal is kept (this process's own); unset: in memory. */
  journalDir?: string;
}



/** The newest tasks whose subtasks must be in the mirror before it answers lists: what a dashboard shows. */
const READY_TASKS = 20;
/**
 * After READY, the part of its share the mirror keeps below (polls, repairs, re-syncs, backfill alike): its first
 * sync's calls leave the window before anything else is read, and a burst of repairs stays within the share.
 */
const STEADY_PART = 0.8;
/** The backfill's and re-syncs' pace, as a part of the mirror's share a window: the rest is left to polls and repairs. */
const BACKFILL_PART = 0.6;
/** When the mirror first got READY (kept in the store). */
const READY_AT = 'sync.readyAt';
const DEFAULT_POLL_SECONDS = 30;
/** How often a replica that does not sync looks at what the syncing one did (and whether it must take over). */
const FOLLOWER_LOOK_MS = 2_000;

export class Mirror {
  readonly events = new EventEmitter<MirrorEvents>();
  readonly repo: MirrorRepositories;
  #ready = false;
  #markReady: () => void = () => undefined;
  readonly #becameReady = new Promise<void>((resolve) => (this.#markReady = resolve));
  #syncing = false;
  #closed = false;
  #lastFullSyncAt: number | undefined;
  #subscribed: string[] = [];
  #loop: Promise<void> | undefined;
  #wake: AbortController | undefined;
  #problem: string | undefined;
  readonly #pollMs: number;
  #publicUrl: string | undefined;
  #counts: MirrorCounts | undefined;
  readonly #tasks: TaskSync;
  readonly #inbox: Inbox;
  readonly #batchWatches: BatchWatches;
  /** The platform at the mirror's whole share (until READY), and at its steady part of it (after). */
  readonly #firstSyncApis: PlatformApis;
  readonly #steadyApis: PlatformApis;
  readonly #pace: Pace;
  readonly #backfill: Backfill;
  readonly #stopped = new AbortController();

  constructor(private readonly options: MirrorOptions) {
    this.events.setMaxListeners(options.maxListeners);
    this.repo = options.repo;
    this.#pollMs = (options.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
    const { logger, replicas, budgetShare, budget } = options;
    this.#firstSyncApis = options.platform(budgetShare);
    this.#steadyApis = options.platform(budgetShare * STEADY_PART);
    const backfillCalls = Math.max(1, Math.floor(budgetShare * budget.calls * BACKFILL_PART));
    this.#pace = new Pace((budget.windowSeconds * 1000) / backfillCalls, this.#stopped.signal);
    const current = () => this.#apis;
    this.#tasks = new TaskSync({
      repo: this.repo,
      get apis() {
        return current();
      },
      events: this.events,
      logger,
      pollMs: this.#pollMs,
    });
    this.#inbox = new Inbox({ syncState: this.repo.syncState, normalizer: options.normalizer, appId: options.appId, logger, journalDir: options.journalDir, apply: (change, at) => this.#tasks.apply(change, at) });
    this.#backfill = new Backfill({ repo: this.repo, apis: this.#steadyApis, tasks: this.#tasks, pace: this.#pace, closed: () => this.#closed });
    this.#batchWatches = new BatchWatches({
      get apis() {
        return current();
      },
      logger,
      pollMs: this.#pollMs,
      learned: (task) => this.learnedBatchTask(task),
      publish: (task) => this.events.emit('batchTask', task),
      claim: replicas && ((name, ttlMs) => replicas.claim(name, ttlMs)),
    });
  }

  /**
   * Whether lists may be answered from the mirror: one full sync and the newest tasks' subtasks are in (now or
   * before a restart).
   */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves true once the mirror is READY, false when it is not by `deadline`. */
  async readyBy(deadline: number): Promise<boolean> {
    if (this.#ready) return true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))));
    try {
      return await Promise.race([this.#becameReady.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The platform as the mirror's client: its whole share until READY, its steady part of it after. */
  get #apis(): PlatformApis {
    return this.#ready ? this.#steadyApis : this.#firstSyncApis;
  }

  #setReady(): void {
    this.#ready = true;
    this.#markReady();
  }

  get push(): boolean {
    return this.#subscribed.length > 0;
  }

  /** The path of the notification receiver (secret: the platform cannot sign what it sends). */
  get receiverPath(): string {
    return this.#inbox.receiverPath;
  }

  /** Whether a receiver path's last segment is the secret (compared in constant time). */
  isReceiverSecret(presented: string): boolean {
    return this.#inbox.isSecret(presented);
  }

  /** `publicUrl`: the gateway's base URL as the platform reaches it (unset: no push). */
  async start(publicUrl?: string): Promise<void> {
    this.#publicUrl = publicUrl;
    await this.#inbox.start(publicUrl !== undefined);
    const last = await this.repo.syncState.meta('sync.lastFullAt');
    this.#lastFullSyncAt = last === undefined ? undefined : Number(last);
    if ((await this.repo.syncState.meta(READY_AT)) !== undefined) this.#setReady();
    this.#loop = this.run();
  }

  /**
   * Polls a batch task (once per poll interval, whatever the number of watchers) until it ends or nobody watches;
   * each change is published. Returns the function that stops this watcher's interest.
   */
  watchBatchTask(id: string): () => void {
    return this.#batchWatches.watch(id);
  }

  /** A group's members as a request reads them from the platform, before the backfill has: kept (see Backfill). */
  learnGroupMembers(groupId: string, read: () => Promise<readonly string[]>): Promise<void> {
    return this.#backfill.learnGroupMembers(groupId, read);
  }

  /** A batch task as just read from the platform (which cannot list them): kept for `batchTasks`. */
  async learnedBatchTask(task: BatchTask): Promise<void> {
    await this.repo.batchTasks.putBatchTask(task, task.syncedAt === undefined ? Date.now() : Date.parse(task.syncedAt));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#batchWatches.close();
    this.#wake?.abort();
    this.#stopped.abort();
    await this.#loop;
    await this.#inbox.close();
  }

  async status(): Promise<MirrorStatus> {
    // While the store is away the backlog matters most: the counts are then the last ones read.
    const counts = await this.repo.syncState.counts().then(
      (read) => (this.#counts = read),
      (error: unknown) => {
        if (this.#counts === undefined) throw error;
        return this.#counts;
      },
    );
    const periodMs = this.options.fullSyncMinutes * 60_000;
    const stale = this.#lastFullSyncAt !== undefined && !this.push && Date.now() - this.#lastFullSyncAt > periodMs + this.#pollMs;
    const state: MirrorState = this.#ready ? (stale ? 'STALE' : 'READY') : counts.devices + counts.operations > 0 || this.#syncing ? 'SYNCING' : 'EMPTY';
    const inbox = this.#inbox.counts;
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      state,
      ...counts,
      lastFullSyncAt: iso(this.#lastFullSyncAt),
      nextFullSyncAt: iso(this.#lastFullSyncAt === undefined ? undefined : this.#lastFullSyncAt + periodMs),
      budgetShare: this.options.budgetShare,
      notifications: {
        subscribed: [...this.#subscribed],
        received: inbox.received,
        rejected: inbox.rejected,
        lastReceivedAt: iso(inbox.lastReceivedAt),
        pending: inbox.pending,
        oldestPendingAt: iso(inbox.oldestPendingAt),
      },
    };
  }

  /** The receiver's counters, read without the store. */
  get notificationCounts(): NotificationCounts {
    return this.#inbox.counts;
  }

  /** Takes one notification (see Inbox.receive); the applier applies it in order, whenever the store can take it. */
  receive(body: unknown): Promise<Reception> {
    return this.#inbox.receive(body);
  }

  /** Resolves once every notification taken so far is in the store. */
  applied(): Promise<void> {
    return this.#inbox.applied();
  }

  /**
   * A task the gateway has just created (as the create asked for it): the mirror holds it at once, with a waiting
   * subtask per target device, so its notifications apply from the first one; the next poll brings the platform's view.
   */
  async created(operation: Operation): Promise<void> {
    // The task exists whatever the store says: a create must not fail for it. The next poll brings it.
    await this.#tasks.created(operation, Date.now()).catch((error: unknown) => {
      this.options.logger.warn({ operationId: operation.id, error: error instanceof Error ? error.message : String(error) }, 'created task not held at once');
    });
  }

  /** Counts a notification that was not applied (since this process started, as `received` is). */
  refuse(reason: string): void {
    this.#inbox.refuse(reason);
  }

  /**
   * The loop: subscribe, the first full sync and the newest tasks' subtasks (READY), then the poll of the newest tasks
   * when due, a turn of the backfill, and a full sync again when due; never throws.
   */
  private async run(): Promise<void> {
    let lastPoll = 0;
    let leading = false;
    let backfilling = true;
    while (!this.#closed) {
      try {
        if (this.options.replicas && !this.options.replicas.sync.held) {
          leading = false;
          await this.learnFromLeader();
          await this.pause(Math.min(this.#pollMs, FOLLOWER_LOOK_MS));
          continue;
        }
        // Taking the sync over subscribes again, as a start does: the platform may have lost the subscriptions.
        if (this.#publicUrl && (!this.push || !leading)) await this.subscribe();
        leading = true;
        if (this.#lastFullSyncAt === undefined || Date.now() - this.#lastFullSyncAt >= this.options.fullSyncMinutes * 60_000) {
          // It lists the newest tasks too.
          if (await this.syncAll()) {
            lastPoll = Date.now();
            backfilling = true;
            this.#backfill.relisted();
          }
        }
        if (!this.#ready && this.#lastFullSyncAt !== undefined) await this.becomeReady();
        if (Date.now() - lastPoll >= this.#pollMs) {
          await this.#tasks.pollNewest();
          lastPoll = Date.now();
        }
        const more = await this.#backfill.turn(this.push);
        if (backfilling && !more) this.options.logger.info(await this.repo.syncState.counts(), 'mirror backfill complete');
        // Once a sync round: reads of tasks that end later are no backfill.
        backfilling &&= more;
        this.#problem = undefined;
        if (!more) await this.pause(this.#pollMs - (Date.now() - lastPoll));
      } catch (error) {
        // Closing: the budget refuses what waits, which is no news.
        if (this.#closed) break;
        const message = error instanceof Error ? error.message : String(error);
        if (message !== this.#problem) this.options.logger.warn({ error: message }, 'mirror sync interrupted; it goes on where it stood');
        this.#problem = message;
        await this.pause(5_000);
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    if (this.#closed || ms <= 0) return;
    this.#wake = new AbortController();
    await sleep(ms, undefined, { signal: this.#wake.signal }).catch(() => undefined);
  }

  private async subscribe(): Promise<void> {
    const url = `${this.#publicUrl?.replace(/\/$/, '')}${this.receiverPath}`;
    const subscribed: string[] = [];
    for (const type of MANAGEMENT_TYPES) {
      await this.#apis.subscriptions.subscribeManagement(type, url);
      subscribed.push(type);
    }
    for (const type of SERVICE_TYPES) {
      await this.#apis.subscriptions.subscribe(type, url);
      subscribed.push(type);
    }
    this.#subscribed = subscribed;
    await this.repo.syncState.setMeta('receiver.subscribed', JSON.stringify(subscribed));
    this.options.logger.info({ types: subscribed.length }, 'subscribed to the platform notifications');
  }

  /** A full sync: the first at the mirror's whole share, later ones at the steady pace. True once it completed. */
  private async syncAll(): Promise<boolean> {
    const pace = this.#ready ? () => this.#pace.turn() : undefined;
    this.#syncing = true;
    const completedAt = await fullSync(this.repo, this.#apis, () => this.#closed, pace);
    if (completedAt === undefined) return false;
    this.#lastFullSyncAt = completedAt;
    this.#syncing = false;
    this.options.logger.info(await this.repo.syncState.counts(), 'mirror full sync complete');
    return true;
  }

  /** The newest tasks' subtasks, what a dashboard shows: lists are answered from the mirror once they are in. */
  private async becomeReady(): Promise<void> {
    await this.#tasks.follow(READY_TASKS, this.push, () => this.#closed);
    if (this.#closed) return;
    // Kept: a restart, or another replica, is READY as this one is.
    await this.repo.syncState.setMeta(READY_AT, String(Date.now()));
    this.#setReady();
    this.options.logger.info(await this.repo.syncState.counts(), 'mirror READY; the backfill goes on in the background');
  }

  /** Another replica syncs: what it did is in the store. */
  private async learnFromLeader(): Promise<void> {
    const last = await this.repo.syncState.meta('sync.lastFullAt');
    this.#lastFullSyncAt = last === undefined ? undefined : Number(last);
    if (!this.#ready && (await this.repo.syncState.meta(READY_AT)) !== undefined) this.#setReady();
    this.#subscribed = this.#publicUrl ? (JSON.parse((await this.repo.syncState.meta('receiver.subscribed')) ?? '[]') as string[]) : [];
  }
}

/** The mirror's call-budget client: its share of the budget is MIRROR_BUDGET_SHARE. */
export const MIRROR_CLIENT = 'mirror';
