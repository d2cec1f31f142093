/**
 * Maps a window of a list (items [start, start + count)) onto the platform's zero-based pageNo/pageSize paging,
 * whose largest page size differs per endpoint (100, 250, 500, 1000).
 */
import type { ListWindow, Page } from '../../domain/values.js';

export interface PagePlan {
  pageSize: number;
  /** Consecutive page numbers, fetched in parallel. */
  pageNos: number[];
  /** Where the window starts inside the first page. */
  skip: number;
}

/** The fewest pages that cover the window, then the smallest transfer among those. */
export function planPages(window: ListWindow, maxPageSize: number): PagePlan {
  const { start } = window;
  // A window of 0 items still needs one call for the list's total.
  const count = Math.max(1, window.count);
  let best: PagePlan | undefined;
  let bestItems = Infinity;
  for (let pageSize = Math.min(count, maxPageSize); pageSize <= maxPageSize; pageSize++) {
    const first = Math.floor(start / pageSize);
    const last = Math.floor((start + count - 1) / pageSize);
    const pages = last - first + 1;
    const items = pages * pageSize;
    if (!best || pages < best.pageNos.length || (pages === best.pageNos.length && items < bestItems)) {
      best = { pageSize, pageNos: Array.from({ length: pages }, (_, i) => first + i), skip: start - first * pageSize };
      bestItems = items;
    }
  }
  return best as PagePlan;
}

/**
 * Fetches the pages that cover the window, in parallel, and cuts the window out of them. A `knownTotal` (a count
 * the caller is sure of) clamps the window first, so no page past the end of the list is asked for.
 */
export async function fetchWindow<T>(
  window: ListWindow,
  maxPageSize: number,
  fetchPage: (pageNo: number, pageSize: number) => Promise<Page<T>>,
  knownTotal?: number,
): Promise<Page<T>> {
  const clamped = knownTotal === undefined ? window : { start: window.start, count: Math.min(window.count, Math.max(0, knownTotal - window.start)) };
  if (knownTotal !== undefined && clamped.count === 0) return { items: [], totalCount: knownTotal };
  const plan = planPages(clamped, maxPageSize);
  const pages = await Promise.all(plan.pageNos.map((pageNo) => fetchPage(pageNo, plan.pageSize)));
  const items = pages.flatMap((p) => p.items).slice(plan.skip, plan.skip + clamped.count);
  // The last page read knows the freshest total.
  return { items, totalCount: pages[pages.length - 1]?.totalCount ?? 0 };
}
