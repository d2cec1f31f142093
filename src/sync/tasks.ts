/**
 * Upgrade tasks kept in step: notifications move devices and subtasks as they change (a task's counts follow), a poll
 * of the newest tasks finds new ones and status changes (the platform pushes no task status), and the subtasks of
 * tasks that need it are read, newest first. Every change is published.
 */
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { PlatformApis } from '../datasources/index.js';
import { ENDPOINTS, pageLimit } from '../datasources/platform/endpoints.js';
import type { Device } from '../domain/devices.js';
import { statsOf, statusOf, type Operation, type OperationType } from '../domain/upgrade-tasks.js';
import type { Logger } from '../logging/logger.js';
import type { MirrorRepositories } from '../store/index.js';
import type { MirrorEvents } from './events.js';
import type { Change } from './notifications.js';

export interface TaskSyncOptions {
  repo: MirrorRepositories;
  apis: PlatformApis;
  events: EventEmitter<MirrorEvents>;
  logger: Logger;
  pollMs: number;
}

export class TaskSync {
  /** Devices whose pushed state must be read again (a push that may be a replay of an older one). */
  readonly #repairs = new Set<string>();
  #repairing: Promise<void> | undefined;

  constructor(private readonly options: TaskSyncOptions) {}

  /** Applies one notification's change, from its own content: nothing needs to be read first. */
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
      const outcome = await repo.devices.applyPush(merged, digestOf(change.device), at);
      if (outcome === 'applied') events.emit('device', { ...merged, syncedAt: new Date(at).toISOString() });
      // The same state again after another: a re-send of an older push, or the device went back. The platform knows.
      if (outcome === 'replayed') this.repairDevice(change.device.id);
      return;
    }
    const { kind: _kind, version, ...subtaskChange } = change;
    const applied = await repo.upgradeTasks.applySubtask(subtaskChange, at);
    if (!applied) return;
    // The device's new version first: a subscriber's `device { fwVersion }` on SUCCESS reads the new one.
    if (applied.subtask.status === 'SUCCESS' && version !== undefined) await this.upgraded(change.deviceId, change.type, version, at);
    events.emit('subtask', applied.subtask);
    if (applied.added && !(await repo.upgradeTasks.holdIfComplete(change.operationId, at))) return;
    await this.restat(change.operationId, at);
  }

  /** A task the gateway created: in the mirror at once, with a waiting subtask per target device. */
  async created(operation: Operation, at: number): Promise<void> {
    const { upgradeTasks } = this.options.repo;
    if (operation.targets.deviceIds.length > 0) await upgradeTasks.putCreated(operation, at);
    else await upgradeTasks.putOperation(operation, at);
    this.options.events.emit('operation', { ...operation, syncedAt: new Date(at).toISOString() });
  }

  /** The newest tasks again: new ones, and status changes. */
  async pollNewest(): Promise<void> {
    const { repo, apis, events } = this.options;
    const listed = await apis.upgradeTasks.list({}, { start: 0, count: pageLimit(ENDPOINTS.operations) });
    const before = new Map((await repo.upgradeTasks.operationsById(listed.items.map((o) => o.id))).entries());
    const round = Number((await repo.syncState.meta('sync.round')) ?? 0);
    const now = Date.now();
    await repo.upgradeTasks.putOperations(listed.items, now, round);
    for (const operation of listed.items) {
      const known = before.get(operation.id);
      // A new task whose notices brought every subtask before the task itself was listed.
      if (!known) await repo.upgradeTasks.holdIfComplete(operation.id, now);
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
      const sentAt = Date.now();
      const page = await apis.upgradeTasks.subtasks(id, undefined, window, total);
      // Notices taken while the read was on its way are kept where they are further along.
      await repo.upgradeTasks.putSubtasks(id, page.items, sentAt);
      const now = Date.now();
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

  /** A successful upgrade's device, at the version its result notice reports. */
  private async upgraded(deviceId: string, type: OperationType, version: string, at: number): Promise<void> {
    const { repo, events } = this.options;
    const known = await repo.devices.device(deviceId);
    if (!known) return;
    const { syncedAt: _learned, ...device } = known;
    const upgraded: Device = type === 'FIRMWARE_UPGRADE' ? { ...device, fwVersion: version } : { ...device, swVersion: version };
    if (upgraded.fwVersion === device.fwVersion && upgraded.swVersion === device.swVersion) return;
    if (await repo.devices.applyDevice(upgraded, at)) events.emit('device', { ...upgraded, syncedAt: new Date(at).toISOString() });
  }

  /** Reads a device again soon (within the mirror's share of the budget), one at a time. */
  private repairDevice(id: string): void {
    this.#repairs.add(id);
    if (this.#repairing) return;
    this.#repairing = this.repairDevices().finally(() => {
      this.#repairing = undefined;
    });
  }

  private async repairDevices(): Promise<void> {
    const { repo, apis, events, logger } = this.options;
    for (const id of this.#repairs) {
      this.#repairs.delete(id);
      const sentAt = Date.now();
      try {
        const device = await apis.devices.readAgain(id);
        if (device && (await repo.devices.applyDevice(device, sentAt))) events.emit('device', { ...device, syncedAt: new Date(sentAt).toISOString() });
      } catch (error) {
        // The next full sync repairs it.
        logger.debug({ deviceId: id, error: error instanceof Error ? error.message : String(error) }, 'device not read again');
      }
    }
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

/** Names a pushed state: the same content pushed twice has the same digest. */
function digestOf(device: Device): string {
  return createHash('sha256').update(JSON.stringify(device)).digest('base64url').slice(0, 22);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
