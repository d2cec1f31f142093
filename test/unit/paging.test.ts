import { describe, expect, it } from 'vitest';
import type { Page } from '../../src/domain/values.js';
import { fetchWindow, planPages } from '../../src/datasources/platform/paging.js';

describe('planPages', () => {
  it('asks for exactly the window when it starts on a page boundary of its own size', () => {
    expect(planPages({ start: 0, count: 20 }, 100)).toEqual({ pageSize: 20, pageNos: [0], skip: 0 });
    expect(planPages({ start: 40, count: 20 }, 100)).toEqual({ pageSize: 20, pageNos: [2], skip: 0 });
  });

  it('covers an unaligned window with one larger page rather than two', () => {
    const plan = planPages({ start: 15, count: 10 }, 100);
    expect(plan.pageNos).toHaveLength(1);
    const [pageNo] = plan.pageNos as [number];
    expect(pageNo * plan.pageSize).toBeLessThanOrEqual(15);
    expect((pageNo + 1) * plan.pageSize).toBeGreaterThanOrEqual(25);
  });

  it('uses the fewest pages when the window exceeds the largest page size', () => {
    expect(planPages({ start: 0, count: 500 }, 100).pageNos).toEqual([0, 1, 2, 3, 4]);
    expect(planPages({ start: 0, count: 500 }, 250)).toEqual({ pageSize: 250, pageNos: [0, 1], skip: 0 });
    // 90..289 with pages of at most 100: three pages is the minimum.
    expect(planPages({ start: 90, count: 200 }, 100).pageNos).toHaveLength(3);
  });

  it('asks for one item when only the total is wanted', () => {
    expect(planPages({ start: 0, count: 0 }, 100)).toEqual({ pageSize: 1, pageNos: [0], skip: 0 });
  });
});

describe('fetchWindow', () => {
  const list = Array.from({ length: 1234 }, (_, i) => i);
  const source = (calls: [number, number][]) => async (pageNo: number, pageSize: number): Promise<Page<number>> => {
    calls.push([pageNo, pageSize]);
    return { items: list.slice(pageNo * pageSize, (pageNo + 1) * pageSize), totalCount: list.length };
  };

  it('returns the window across upstream page boundaries, fetching each page once', async () => {
    const calls: [number, number][] = [];
    const page = await fetchWindow({ start: 95, count: 310 }, 100, source(calls));
    expect(page.items).toEqual(list.slice(95, 405));
    expect(page.totalCount).toBe(1234);
    // 95..404 in pages of at most 100 needs pages 0..4: five calls, none repeated.
    expect(calls).toHaveLength(5);
    expect(new Set(calls.map(([no]) => no)).size).toBe(5);
  });

  it('returns what exists when the window runs past the end', async () => {
    const page = await fetchWindow({ start: 1200, count: 100 }, 100, source([]));
    expect(page.items).toEqual(list.slice(1200));
  });

  it('clamps the window to a known total, and makes no call for a window past it', async () => {
    const calls: [number, number][] = [];
    const page = await fetchWindow({ start: 0, count: 500 }, 100, source(calls), 20);
    expect(page.items).toEqual(list.slice(0, 20));
    expect(calls).toEqual([[0, 20]]);
    expect(await fetchWindow({ start: 30, count: 10 }, 100, source(calls), 20)).toEqual({ items: [], totalCount: 20 });
    expect(calls).toHaveLength(1);
  });
});

