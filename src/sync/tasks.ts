/**
 * Upgrade tasks kept in step: notifications move devices and subtasks as they change (a task's counts follow), a poll
 * of the newest tasks finds new ones and status changes (the platform pushes no task status), and the subtasks of
 * tasks that need it are read, newest first. Every change is published.
 */
import type { EventEmitter } from 'node:events';
import type { PlatformApis } from '../datasources/index.js';
import { ENDPOINTS, pageLimit } from '../datasources/platform/endpoints.js';
import type { Device } from '../domain/devices.js';
import { statsOf, statusOf, type Operation, type Subtask } from '../domain/upgrade-tasks.js';
import type { Page } from '../domain/values.js';
import type { MirrorRepositories } from '../store/index.js';
import type { MirrorEvents } from './events.js';
import type { Change } from './notifications.js';

const UNPLACED_KEPT_MS = 10 * 60_000;

export interface TaskSyncOptions {
  repo: MirrorRepositories;
  apis: PlatformApis;
  events: EventEmitter<MirrorEvents>;
  pollMs: number;
  /** Asks the sync loop to read subtasks now (a notice came for a task whose subtasks are not held). */
  wake(): void;
}

export class TaskSync {
  /** Subtask notices that came before the mirror held the task's subtasks (by task: when): read again after them. */
  readonly #unplaced = new Map<string, number>();

  constructor(private readonly options: TaskSyncOptions) {}

  /** Applies one notification's change. */
  async apply(change: Change, at: number): Promise<void> {
    const { repo, events } = this.options;
    if (change.kind === 'deviceDeleted') {
      await repo.devices.deleteDevice(change.deviceId);
      return;
    }
    if (change.kind === 'device') {
      // A push carries deviceInfo only: keep what it leaves out (creation time and the like).
      const known = await repo.devices.device(change.device.id);
      const merged: Device = { ...known, ...definedOnly(change.device), id: change.device.id };
      delete (merged as Partial<Device>).syncedAt;
      if (await repo.devices.applyDevice(merged, at)) events.emit('device', { ...merged, syncedAt: new Date(at).toISOString() });
      return;
    }
    const { operationId, subtaskId, deviceId, status, step, detail } = change;
    const subtask = await repo.upgradeTasks.applySubtask({ operationId, subtaskId, deviceId, status, step, detail }, at);
    if (!subtask) {
      if (!(await repo.upgradeTasks.holdsSubtasks(operationId))) {
        this.#unplaced.set(operationId, at);
        this.options.wake();
      }
      return;
    }
    events.emit('subtask', subtask);
    await this.restat(operationId, at);
  }

  /** The newest tasks again: new ones, and status changes. */
  async pollNewest(): Promise<void> {
    const { repo, apis, events } = this.options;
    const listed = await apis.upgradeTasks.list({}, { start: 0, count: pageLimit(ENDPOINTS.operations) });
    const before = new Map((await repo.upgradeTasks.operationsById(listed.items.map((o) => o.id))).entries());
    const round = Number((await repo.syncState.meta('sync.round')) ?? 0);
    const now = Date.now();
    // Notices of a task never listed, long ago: nothing will read it for them.
    for (const [id, at] of this.#unplaced) if (now - at > UNPLACED_KEPT_MS) this.#unplaced.delete(id);
    await repo.upgradeTasks.putOperations(listed.items, now, round);
    for (const operation of listed.items) {
      const known = before.get(operation.id);
      if (!known || known.status !== operation.status || JSON.stringify(known.stats) !== JSON.stringify(operation.stats)) {
        events.emit('operation', { ...operation, syncedAt: new Date(now).toISOString() });
      }
    }
  }

  /**
   * Reads the subtasks of the tasks that need it, newest first: never read, ended since they were read, or (without
   * push) still running. `pace`, when given, is waited for before each task's read (its pages). True when more remain.
   */
  async follow(limit: number, push: boolean, closed: () => boolean, pace?: (calls: number) => Promise<void>): Promise<boolean> {
    const { repo, apis, events, pollMs } = this.options;
    // With push, notifications move running tasks' subtasks: they are read again only once the task has ended.
    // Without, one read per poll interval serves every subscriber of the task.
    const due = await repo.upgradeTasks.operationsToFollow(limit + 1, push ? undefined : Date.now() - pollMs);
    for (const { id } of due.slice(0, limit)) {
      if (closed()) return false;
      const operation = await repo.upgradeTasks.operation(id);
      if (!operation) continue;
      const total = operation.stats.total;
      const window = { start: 0, count: Math.max(1, total) };
      await pace?.(Math.ceil(window.count / pageLimit(ENDPOINTS.subOperations)));
      if (closed()) return false;
      const known = new Map((await repo.upgradeTasks.subtasks(id, undefined, window))?.items.map((s) => [s.id, s.status]) ?? []);
      let sentAt: number;
      let page: Page<Subtask>;
      do {
        sentAt = Date.now();
        page = await apis.upgradeTasks.subtasks(id, undefined, window, total);
        await repo.upgradeTasks.putSubtasks(id, page.items, sentAt);
        // A notice that found no subtask to move while this read was on its way: the read may predate it.
      } while ((this.#unplaced.get(id) ?? -Infinity) >= sentAt);
      this.#unplaced.delete(id);
      const now = Date.now();
      // Notifications taken while the read was on its way are kept: the task's counts follow what is stored.
      await this.restat(id, now);
      // Subscribers hear of what moved since the last read (nothing on a task's first read).
      if (known.size > 0) {
        for (const subtask of page.items) {
          if (known.get(subtask.id) !== subtask.status) events.emit('subtask', { ...subtask, syncedAt: new Date(now).toISOString() });
        }
      }
    }
    return due.length > limit;
  }

  /** A task's stats from its mirrored subtasks, as notifications move them. */
  private async restat(operationId: string, at: number): Promise<void> {
    const { repo, events } = this.options;
    const operation = await repo.upgradeTasks.operation(operationId);
    if (!operation) return;
    const counts = await repo.upgradeTasks.subtaskCounts(operationId);
    const n = (status: string) => counts.get(status) ?? 0;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total !== operation.stats.total) return;
    const stats = statsOf({ total, wait: n('WAIT'), processing: n('PROCESSING'), success: n('SUCCESS'), fail: n('FAILED'), stop: n('STOPPED'), timeout: n('TIMEOUT') });
    const { syncedAt: _learned, ...rest } = operation;
    const updated: Operation = { ...rest, stats, status: statusOf(stats) };
    if (updated.status === operation.status && JSON.stringify(updated.stats) === JSON.stringify(operation.stats)) return;
    await repo.upgradeTasks.putOperation(updated, at);
    events.emit('operation', { ...updated, syncedAt: new Date(at).toISOString() });
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
