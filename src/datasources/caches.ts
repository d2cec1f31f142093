/**
 * Caches shared by all requests, so no platform call is spent twice: devices, packages and group members for a
 * short time (they change slowly); upgrade tasks that have ended, and their subtask pages, until evicted (they never
 * change again). Tasks still running are not kept beyond their request (the per-request DataLoaders do that).
 * Only answers are cached, never errors or "does not exist".
 */
import { LRUCache } from 'lru-cache';
import { hasEnded, type Operation, type Subtask } from '../domain/upgrade-tasks.js';
import type { Device } from '../domain/devices.js';
import type { Page } from '../domain/values.js';
import type { UpgradePackage } from '../domain/packages.js';

export interface CacheOptions {
  /** Lifetime of devices, packages and groups; 0 turns these caches off. */
  ttlSeconds: number;
  /** Entries per cache at most; the least recently used go first. */
  maxEntries: number;
}

export class Cache<V extends object> {
  private readonly lru: LRUCache<string, V> | undefined;
  hits = 0;
  misses = 0;

  constructor(
    readonly name: string,
    maxEntries: number,
    ttlMs?: number,
  ) {
    this.lru = maxEntries > 0 && ttlMs !== 0 ? new LRUCache<string, V>({ max: maxEntries, ...(ttlMs ? { ttl: ttlMs } : {}) }) : undefined;
  }

  get(key: string): V | undefined {
    const value = this.lru?.get(key);
    if (value === undefined) this.misses += 1;
    else this.hits += 1;
    return value;
  }

  set(key: string, value: V): void {
    this.lru?.set(key, value);
  }

  delete(key: string): void {
    this.lru?.delete(key);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}

export class PlatformCaches {
  readonly devices: Cache<Device>;
  readonly packages: Cache<UpgradePackage>;
  /** Pages of a group's member ids, by group, page number and size. */
  readonly groups: Cache<Page<string>>;
  /** Ended tasks only. */
  readonly operations: Cache<Operation>;
  /** Pages of ended tasks' subtasks, by task, status filter, page number and size. */
  readonly subtaskPages: Cache<Page<Subtask>>;

  constructor({ ttlSeconds, maxEntries }: CacheOptions) {
    const ttlMs = ttlSeconds * 1000;
    this.devices = new Cache('devices', maxEntries, ttlMs);
    this.packages = new Cache('packages', maxEntries, ttlMs);
    this.groups = new Cache('groups', maxEntries, ttlMs);
    this.operations = new Cache('operations', maxEntries);
    this.subtaskPages = new Cache('subtaskPages', maxEntries);
  }

  /**
   * These caches, but group members never kept: for the mirror's sync, which reads every group whole and keeps what
   * it reads (at 100,000 devices, about 14 MB of member ids held a second time). Its other reads still fill the
   * shared caches, which answer requests while the store is away.
   */
  withoutGroupMembers(): PlatformCaches {
    const caches = Object.create(this) as PlatformCaches;
    Object.defineProperty(caches, 'groups', { value: new Cache<Page<string>>('groups', 0) });
    return caches;
  }

  /** For metrics: each cache's name and counters. */
  all(): Pick<Cache<object>, 'name' | 'hits' | 'misses' | 'size'>[] {
    return [this.devices, this.packages, this.groups, this.operations, this.subtaskPages];
  }

  /** Keeps what the platform said about a task if it will never change again. */
  rememberOperation(operation: Operation): void {
    if (hasEnded(operation)) this.operations.set(operation.id, operation);
  }
}
