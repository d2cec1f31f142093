/**
 * What every per-area API shares: one platform call (or the pages of a window) within the caller's scope, its reply
 * read as domain objects. Lookups by id answer null when the platform says the thing does not exist; every other
 * failure is a PlatformError. The APIs know the platform only: the mirror is the services' business.
 */
import pLimit from 'p-limit';
import type { ListWindow, Page } from '../domain/values.js';
import type { Cache, PlatformCaches } from './caches.js';
import type { Normalizer } from './normalize.js';
import { integer, record } from './normalize.js';
import type { CallOptions, CallScope, PlatformClient } from './platform/client.js';
import { pageLimit, type Endpoint } from './platform/endpoints.js';
import { PlatformError } from './platform/errors.js';
import { fetchWindow } from './platform/paging.js';

/** Single lookups in flight at once: enough to hide latency, few enough to leave the budget to others. */
export const LOOKUP_CONCURRENCY = 8;

/**
 * One lookup per id, a bounded number at once (the platform has no multi-id lookup), in the order of `ids`: each id
 * gets its value, null (does not exist) or its own error, as a DataLoader batch wants them.
 */
export function lookupEach<K, T>(ids: readonly K[], find: (id: K) => Promise<T | null>): Promise<(T | null | Error)[]> {
  const limit = pLimit(LOOKUP_CONCURRENCY);
  return Promise.all(ids.map((id) => limit(() => find(id)).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
}

/** Reads one list page: the array under `key` and the total (quoted on some pages, `totalSize` in some SDKs). */
export function listPage<T>(body: unknown, key: string, convert: (item: unknown) => T): Page<T> {
  const raw = record(body);
  const items = Array.isArray(raw[key]) ? (raw[key] as unknown[]).map(convert) : [];
  return { items, totalCount: integer(raw.totalCount) ?? integer(raw.totalSize) ?? items.length };
}

/** An object just read from the platform (a fresh one, of this read alone): learned now. */
export function learned<T extends object>(value: T): T & { syncedAt: string } {
  const known = value as T & { syncedAt: string };
  known.syncedAt = new Date().toISOString();
  return known;
}

export interface ListRead<T> {
  endpoint: Endpoint;
  window: ListWindow;
  options?: CallOptions;
  /** Where the items are in the reply. */
  key: string;
  convert: (item: unknown) => T;
  /** How many items the list has, when the caller knows for sure (saves reading past the end). */
  knownTotal?: number;
  /** Where pages may be kept (lists that never change again), and the key prefix for this list. */
  pageCache?: { cache: Cache<Page<T>>; key: string };
}

export abstract class Api {
  constructor(
    protected readonly client: PlatformClient,
    protected readonly normalize: Normalizer,
    protected readonly caches: PlatformCaches,
    /** The caller's deadline, priority and client, applied to every call. */
    protected readonly scope?: CallScope,
  ) {}

  protected call(endpoint: Endpoint, options?: CallOptions): Promise<unknown> {
    return this.client.call(endpoint, options, this.scope);
  }

  /** A lookup by id: null for the endpoint's "does not exist" codes. */
  protected async lookup(endpoint: Endpoint, options: CallOptions): Promise<unknown> {
    try {
      return await this.call(endpoint, options);
    } catch (error) {
      if (error instanceof PlatformError && endpoint.notFound?.includes(error.code)) return null;
      throw error;
    }
  }

  /** A window of a list endpoint, read from the pages that cover it. */
  protected readList<T>({ endpoint, window, options = {}, key, convert, knownTotal, pageCache }: ListRead<T>): Promise<Page<T>> {
    const fetchPage = async (pageNo: number, pageSize: number): Promise<Page<T>> => {
      const cacheKey = pageCache && `${pageCache.key}|${pageNo}|${pageSize}`;
      const cached = cacheKey === undefined ? undefined : pageCache?.cache.get(cacheKey);
      if (cached) return cached;
      const page = listPage(await this.call(endpoint, { ...options, searchParams: { ...options.searchParams, pageNo, pageSize } }), key, convert);
      if (cacheKey !== undefined) pageCache?.cache.set(cacheKey, page);
      return page;
    };
    return fetchWindow(window, pageLimit(endpoint), fetchPage, knownTotal);
  }
}
