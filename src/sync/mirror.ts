/**
 * The fleet mirror: keeps the store in step with the platform, so that reads need no platform call. A full sync
 * lists everything in the largest pages each endpoint serves (resumable after a restart), then reads the subtasks of
 * every task, newest first; a short poll of the newest tasks finds new ones and status changes; the platform's
 * notifications (both subscription APIs) move devices and subtasks as they change. Every change is published.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MirrorSource, PlatformApis } from '../datasources/apis.js';
import { hasEnded, statsOf, statusOf, type Operation, type Subtask } from '../domain/upgrade-tasks.js';
import type { BatchTask } from '../domain/batch-tasks.js';
import type { Device } from '../domain/devices.js';
import type { Page } from '../domain/values.js';
import type { Normalizer } from '../datasources/normalize.js';
import type { MirrorState, MirrorStatus } from '../domain/mirror.js';
import type { Logger } from '../logging/logger.js';
import type { MirrorRepositories } from '../store/index.js';
import { MANAGEMENT_TYPES, parseNotification, SERVICE_TYPES, type Change } from './notifications.js';

export interface MirrorOptions {
  repo: MirrorRepositories;
  /** The platform, as the mirror's own client (its calls are budgeted under its share). */
  apis: PlatformApis;
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
}

/** What changed, for live updates. */
export interface MirrorEvents {
  device: [Device];
  operation: [Operation];
  subtask: [Subtask];
  batchTask: [BatchTask];
}

/** The newest tasks whose subtasks must be in the mirror before it answers lists (a dashboard's worth and more). */
const READY_TASKS = 30;
const DEFAULT_POLL_SECONDS = 30;
/** How often a replica that does not sync looks at what the syncing one did (and whether it must take over). */
const FOLLOWER_LOOK_MS = 2_000;
const UNPLACED_KEPT_MS = 10 * 60_000;
/** Where the full sync stands, kept after every page so that a restart resumes there. */
interface SyncCursor {
  round: number;
  step: (typeof STEPS)[number];
  page: number;
  startedAt: number;
}
const STEPS = ['packages', 'groups', 'devices', 'operations'] as const;
const PAGE = { packages: 100, groups: 500, devices: 250, operations: 100 } as const;

export class Mirror implements MirrorSource {
  readonly events = new EventEmitter<MirrorEvents>();
  readonly repo: MirrorRepositories;
  #ready = false;
  #syncing = false;
  #closed = false;
  #lastFullSyncAt: number | undefined;
  #secret = '';
  #subscribed: string[] = [];
  #received = 0;
  #rejected = 0;
  #lastReceivedAt: number | undefined;
  #loop: Promise<void> | undefined;
  #wake: AbortController | undefined;
  #problem: string | undefined;
  readonly #pollMs: number;
  #publicUrl: string | undefined;
  #applying: Promise<void> = Promise.resolve();
  /** Subtask notices that came before the mirror held the task's subtasks (by task: when): read again after them. */
  readonly #unplaced = new Map<string, number>();
  /** Batch tasks someone watches: the platform pushes nothing about them, so one poller each, shared. */
  readonly #batchWatches = new Map<string, { watchers: number; timer: NodeJS.Timeout; last: string }>();

  constructor(private readonly options: MirrorOptions) {
    this.repo = options.repo;
    this.#pollMs = (options.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
  }

  /** Whether lists may be answered from the mirror: one full sync has completed (now or before a restart). */
  get ready(): boolean {
    return this.#ready;
  }

  get push(): boolean {
    return this.#subscribed.length > 0;
  }

  /** The path of the notification receiver (secret: the platform cannot sign what it sends). */
  get receiverPath(): string {
    return `${RECEIVER_PREFIX}${this.#secret}`;
  }

  /** Whether a receiver path's last segment is the secret (compared in constant time). */
  isReceiverSecret(presented: string): boolean {
    const a = Buffer.from(presented);
    const b = Buffer.from(this.#secret);
    return b.length > 0 && a.length === b.length && timingSafeEqual(a, b);
  }

  /** `publicUrl`: the gateway's base URL as the platform reaches it (unset: no push). */
  async start(publicUrl?: string): Promise<void> {
    this.#publicUrl = publicUrl;
    // Kept in the store: the platform's subscriptions go on pointing at the same URL after a restart, and every
    // replica behind that URL knows the secret.
    this.#secret = await this.repo.syncState.metaOrSet('receiver.secret', randomBytes(24).toString('base64url'));
    const last = await this.repo.syncState.meta('sync.lastFullAt');
    this.#lastFullSyncAt = last === undefined ? undefined : Number(last);
    this.#ready = this.#lastFullSyncAt !== undefined;
    this.#loop = this.run();
  }

  /**
   * Polls a batch task (once per poll interval, whatever the number of watchers) until it ends or nobody watches;
   * each change is published. Returns the function that stops this watcher's interest.
   */
  watchBatchTask(id: string): () => void {
    const existing = this.#batchWatches.get(id);
    if (existing) {
      existing.watchers += 1;
    } else {
      const watch = { watchers: 1, last: '', timer: setInterval(() => void this.pollBatchTask(id), this.#pollMs) };
      this.#batchWatches.set(id, watch);
      void this.pollBatchTask(id);
    }
    return () => {
      const watch = this.#batchWatches.get(id);
      if (watch && --watch.watchers === 0) this.stopBatchWatch(id);
    };
  }

  private async pollBatchTask(id: string): Promise<void> {
    const watch = this.#batchWatches.get(id);
    if (!watch || this.#closed) return;
    try {
      // One replica polls it for all: the others hear of its changes through the store.
      if (this.options.replicas && !(await this.options.replicas.claim(`batch-task:${id}`, 2 * this.#pollMs))) return;
      const task = await this.options.apis.batchTasks.find(id);
      if (!task) return this.stopBatchWatch(id);
      const { syncedAt: _learned, ...state } = task;
      const seen = JSON.stringify(state);
      if (seen !== watch.last) {
        watch.last = seen;
        this.events.emit('batchTask', task);
      }
      if (hasEnded(task)) this.stopBatchWatch(id);
    } catch (error) {
      this.options.logger.debug({ error: error instanceof Error ? error.message : String(error) }, 'batch task poll failed; the next one tries again');
    }
  }

  private stopBatchWatch(id: string): void {
    clearInterval(this.#batchWatches.get(id)?.timer);
    this.#batchWatches.delete(id);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#batchWatches.keys()]) this.stopBatchWatch(id);
    this.#wake?.abort();
    await this.#loop;
    await this.#applying;
  }

  async status(): Promise<MirrorStatus> {
    const counts = await this.repo.syncState.counts();
    const periodMs = this.options.fullSyncMinutes * 60_000;
    const stale = this.#lastFullSyncAt !== undefined && !this.push && Date.now() - this.#lastFullSyncAt > periodMs + this.#pollMs;
    const state: MirrorState = this.#ready ? (stale ? 'STALE' : 'READY') : counts.devices + counts.operations > 0 || this.#syncing ? 'SYNCING' : 'EMPTY';
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      state,
      ...counts,
      lastFullSyncAt: iso(this.#lastFullSyncAt),
      nextFullSyncAt: iso(this.#lastFullSyncAt === undefined ? undefined : this.#lastFullSyncAt + periodMs),
      budgetShare: this.options.budgetShare,
      notifications: { subscribed: [...this.#subscribed], received: this.#received, rejected: this.#rejected, lastReceivedAt: iso(this.#lastReceivedAt) },
    };
  }

  /**
   * Takes one notification: false (and counted) when it is refused. An accepted one is applied in order of arrival,
   * right after the answer: the platform sends the next one to this URL only once this one is answered.
   */
  receive(body: unknown): boolean {
    const change = parseNotification(body, this.options.normalizer, this.options.appId);
    if ('refused' in change) {
      this.refuse(change.refused);
      return false;
    }
    this.#received += 1;
    const at = Date.now();
    this.#lastReceivedAt = at;
    this.#applying = this.#applying.then(() =>
      this.apply(change, at).catch((error: unknown) => {
        // Lost for now; the platform's data comes back with the next read or full sync.
        this.options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'notification not applied');
      }),
    );
    return true;
  }

  /** Resolves once every notification taken so far is in the store. */
  applied(): Promise<void> {
    return this.#applying;
  }

  async noticed(operation: Operation): Promise<void> {
    const { syncedAt: _learned, ...fresh } = operation;
    await this.repo.upgradeTasks.putOperation(fresh, Date.now());
    this.events.emit('operation', { ...fresh, syncedAt: new Date().toISOString() });
    // Its subtasks are read at once.
    this.#wake?.abort();
  }

  /** Counts a notification that was not applied (since this process started, as `received` is). */
  refuse(reason: string): void {
    this.#rejected += 1;
    this.options.logger.debug({ reason }, 'notification refused');
  }

  private async apply(change: Change, at: number): Promise<void> {
    if (change.kind === 'deviceDeleted') {
      await this.repo.devices.deleteDevice(change.deviceId);
      return;
    }
    if (change.kind === 'device') {
      // A push carries deviceInfo only: keep what it leaves out (creation time and the like).
      const known = await this.repo.devices.device(change.device.id);
      const merged: Device = { ...known, ...definedOnly(change.device), id: change.device.id };
      delete (merged as Partial<Device>).syncedAt;
      if (await this.repo.devices.applyDevice(merged, at)) this.events.emit('device', { ...merged, syncedAt: new Date(at).toISOString() });
      return;
    }
    const { operationId, subtaskId, deviceId, status, step, detail } = change;
    const subtask = await this.repo.upgradeTasks.applySubtask({ operationId, subtaskId, deviceId, status, step, detail }, at);
    if (!subtask) {
      if (!(await this.repo.upgradeTasks.holdsSubtasks(operationId))) {
        this.#unplaced.set(operationId, at);
        this.#wake?.abort();
      }
      return;
    }
    this.events.emit('subtask', subtask);
    await this.restat(operationId, at);
  }

  /** A task's stats from its mirrored subtasks, as notifications move them (its status follows from the next poll). */
  private async restat(operationId: string, at: number): Promise<void> {
    const operation = await this.repo.upgradeTasks.operation(operationId);
    if (!operation) return;
    const counts = await this.repo.upgradeTasks.subtaskCounts(operationId);
    const n = (status: string) => counts.get(status) ?? 0;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total !== operation.stats.total) return;
    const stats = statsOf({ total, wait: n('WAIT'), processing: n('PROCESSING'), success: n('SUCCESS'), fail: n('FAILED'), stop: n('STOPPED'), timeout: n('TIMEOUT') });
    const { syncedAt: _learned, ...rest } = operation;
    const updated: Operation = { ...rest, stats, status: statusOf(stats) };
    if (updated.status === operation.status && JSON.stringify(updated.stats) === JSON.stringify(operation.stats)) return;
    await this.repo.upgradeTasks.putOperation(updated, at);
    this.events.emit('operation', { ...updated, syncedAt: new Date(at).toISOString() });
  }

  /** The loop: subscribe, full sync when due, follow tasks' subtasks, poll the newest tasks; never throws. */
  private async run(): Promise<void> {
    let lastPoll = 0;
    let leading = false;
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
        if (this.#lastFullSyncAt === undefined || Date.now() - this.#lastFullSyncAt >= this.options.fullSyncMinutes * 60_000) await this.fullSync();
        if (Date.now() - lastPoll >= this.#pollMs) {
          await this.pollNewest();
          lastPoll = Date.now();
        }
        const more = await this.followTasks();
        if (!this.#ready && this.#lastFullSyncAt !== undefined) this.#ready = true;
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
      await this.options.apis.subscriptions.subscribeManagement(type, url);
      subscribed.push(type);
    }
    for (const type of SERVICE_TYPES) {
      await this.options.apis.subscriptions.subscribe(type, url);
      subscribed.push(type);
    }
    this.#subscribed = subscribed;
    await this.repo.syncState.setMeta('receiver.subscribed', JSON.stringify(subscribed));
    this.options.logger.info({ types: subscribed.length }, 'subscribed to the platform notifications');
  }

  /** Another replica syncs: what it did is in the store. */
  private async learnFromLeader(): Promise<void> {
    const last = await this.repo.syncState.meta('sync.lastFullAt');
    this.#lastFullSyncAt = last === undefined ? undefined : Number(last);
    this.#ready ||= this.#lastFullSyncAt !== undefined;
    this.#subscribed = this.#publicUrl ? (JSON.parse((await this.repo.syncState.meta('receiver.subscribed')) ?? '[]') as string[]) : [];
  }

  /** Lists everything again, page by page; the cursor is kept after each page. */
  private async fullSync(): Promise<void> {
    this.#syncing = true;
    const saved = await this.repo.syncState.meta('sync.cursor');
    let cursor: SyncCursor = saved ? (JSON.parse(saved) as SyncCursor) : { round: Number((await this.repo.syncState.meta('sync.round')) ?? 0) + 1, step: STEPS[0], page: 0, startedAt: Date.now() };
    const { apis } = this.options;
    for (let s = STEPS.indexOf(cursor.step); s < STEPS.length; s++) {
      const step = STEPS[s] as SyncCursor['step'];
      const size = PAGE[step];
      for (let page = step === cursor.step ? cursor.page : 0; ; page++) {
        const window = { start: page * size, count: size };
        const now = Date.now();
        let total: number;
        if (step === 'packages') {
          const listed = await apis.upgradePackages.listFromPlatform({}, window);
          await this.repo.packages.putPackages(listed.items, now, cursor.round);
          total = listed.totalCount;
        } else if (step === 'groups') {
          // Groups are few (one page); their members are read with them.
          const listed = await apis.deviceGroups.listFromPlatform({ start: 0, count: size });
          for (const [position, group] of listed.items.entries()) {
            const members = await apis.deviceGroups.memberIdsFromPlatform(group.id, { start: 0, count: Math.max(1, group.deviceCount ?? 1000) });
            await this.repo.packages.putGroup(group, position, members.items, Date.now(), cursor.round);
          }
          await this.repo.packages.dropGroupsBefore(cursor.round);
          total = 0;
        } else if (step === 'devices') {
          const listed = await apis.devices.list(window);
          await this.repo.devices.putDevices(listed.items, now, cursor.round);
          total = listed.totalCount;
        } else {
          const listed = await apis.operations.listFromPlatform({}, window);
          await this.repo.upgradeTasks.putOperations(listed.items, now, cursor.round);
          total = listed.totalCount;
        }
        const done = (page + 1) * size >= total;
        cursor = done ? { ...cursor, step: STEPS[s + 1] ?? step, page: 0 } : { ...cursor, step, page: page + 1 };
        await this.repo.syncState.setMeta('sync.cursor', JSON.stringify(cursor));
        if (done) break;
        if (this.#closed) return;
      }
    }
    await this.repo.devices.dropDevicesBefore(cursor.round, cursor.startedAt);
    await this.repo.packages.dropPackagesBefore(cursor.round);
    this.#lastFullSyncAt = Date.now();
    await this.repo.syncState.setMeta('sync.round', String(cursor.round));
    await this.repo.syncState.setMeta('sync.lastFullAt', String(this.#lastFullSyncAt));
    await this.repo.syncState.deleteMeta('sync.cursor');
    this.#syncing = false;
    // The newest tasks' subtasks come next; lists are answered from the mirror once they are in.
    await this.followTasks(READY_TASKS);
    this.#ready = true;
    this.options.logger.info(await this.repo.syncState.counts(), 'mirror full sync complete');
  }

  /** The newest tasks again: new ones, and status changes (the platform does not push a task's own status). */
  private async pollNewest(): Promise<void> {
    const listed = await this.options.apis.operations.listFromPlatform({}, { start: 0, count: PAGE.operations });
    const before = new Map((await Promise.all(listed.items.map((o) => this.repo.upgradeTasks.operation(o.id)))).filter((o) => o !== undefined).map((o) => [o.id, o]));
    const round = Number((await this.repo.syncState.meta('sync.round')) ?? 0);
    const now = Date.now();
    // Notices of a task never listed, long ago: nothing will read it for them.
    for (const [id, at] of this.#unplaced) if (now - at > UNPLACED_KEPT_MS) this.#unplaced.delete(id);
    await this.repo.upgradeTasks.putOperations(listed.items, now, round);
    for (const operation of listed.items) {
      const known = before.get(operation.id);
      if (!known || known.status !== operation.status || JSON.stringify(known.stats) !== JSON.stringify(operation.stats)) {
        this.events.emit('operation', { ...operation, syncedAt: new Date(now).toISOString() });
      }
    }
  }

  /**
   * Reads the subtasks of the tasks that need it, newest first: never read, ended since they were read, or (without
   * push) still running. True when more remain.
   */
  private async followTasks(limit = 10): Promise<boolean> {
    // With push, notifications move running tasks' subtasks: they are read again only once the task has ended.
    // Without, one read per poll interval serves every subscriber of the task.
    const due = await this.repo.upgradeTasks.operationsToFollow(limit + 1, this.push ? undefined : Date.now() - this.#pollMs);
    for (const { id } of due.slice(0, limit)) {
      if (this.#closed) return false;
      const operation = await this.repo.upgradeTasks.operation(id);
      if (!operation) continue;
      const total = operation.stats.total;
      const window = { start: 0, count: Math.max(1, total) };
      const known = new Map((await this.repo.upgradeTasks.subtasks(id, undefined, window))?.items.map((s) => [s.id, s.status]) ?? []);
      let sentAt: number;
      let page: Page<Subtask>;
      do {
        sentAt = Date.now();
        page = await this.options.apis.operations.subtasksFromPlatform(id, undefined, window, total);
        await this.repo.upgradeTasks.putSubtasks(id, page.items, sentAt);
        // A notice that found no subtask to move while this read was on its way: the read may predate it.
      } while ((this.#unplaced.get(id) ?? -Infinity) >= sentAt);
      this.#unplaced.delete(id);
      const now = Date.now();
      // Notifications taken while the read was on its way are kept: the task's counts follow what is stored.
      await this.restat(id, now);
      // Subscribers hear of what moved since the last read (nothing on a task's first read).
      if (known.size > 0) {
        for (const subtask of page.items) {
          if (known.get(subtask.id) !== subtask.status) this.events.emit('subtask', { ...subtask, syncedAt: new Date(now).toISOString() });
        }
      }
    }
    return due.length > limit;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Where the notification receiver listens; the secret follows. */
export const RECEIVER_PREFIX = '/mirror/notifications/';

/** The mirror's call-budget client: its share of the budget is MIRROR_BUDGET_SHARE. */
export const MIRROR_CLIENT = 'mirror';
