/** ISO-8601 UTC time, e.g. 2015-12-12T12:12:12Z. */
export type IsoTime = string;
export type JsonObject = Record<string, unknown>;

/** One window of a list: the items and the list's total. */
export interface Page<T> {
  items: T[];
  totalCount: number;
}

/** Items [start, start + count) of a list. */
export interface ListWindow {
  start: number;
  count: number;
}

/** The values of a const enum object, as a type. */
export type ValueOf<T> = T[keyof T];

/** A const object whose keys are its values: GraphQL registers it as an enum, TypeScript reads it as a union. */
export function enumOf<const V extends string>(values: readonly V[]): { readonly [K in V]: K } {
  return Object.freeze(Object.fromEntries(values.map((v) => [v, v]))) as { readonly [K in V]: K };
}

/** A share as a fraction 0..1 rounded to 4 places (0.8509, not 0.8508771929824561): the same for every task's stats. */
export function fraction(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
