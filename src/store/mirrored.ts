/**
 * What the mirror's repositories share: an object as the mirror holds it (the domain object and when the gateway
 * learned its state), kept as JSON beside the columns that queries filter and sort on.
 */

/** An object as the mirror holds it: the domain object and when the gateway learned its state. */
export type Mirrored<T> = T & { syncedAt: string };

/** Epoch milliseconds of an ISO time, for sortable columns. */
export const time = (iso: string | undefined): number | null => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
};

/** Rows learned together share their time: a page of them formats it once. */
let lastTime = { ms: NaN, iso: '' };
export const iso = (ms: number): string => {
  if (ms !== lastTime.ms) lastTime = { ms, iso: new Date(ms).toISOString() };
  return lastTime.iso;
};

export function revive<T>(row: { data: string; synced_at: number }): Mirrored<T> {
  const object = JSON.parse(row.data) as Mirrored<T>;
  object.syncedAt = iso(row.synced_at);
  return object;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
