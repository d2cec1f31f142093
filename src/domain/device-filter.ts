/** The fleet's filter language: its limits, how versions compare, and what a wildcard pattern means. */
import type { DeviceConditions, DeviceFilter, TimeCondition, VersionCondition } from './devices.js';
import type { Violation } from './errors.js';

/** Nested and/or/not at most this deep: a filter stays one a person wrote, and its SQL stays small. */
export const MAX_FILTER_DEPTH = 5;
/** Operators, flat fields and combinators in one filter, in all. */
export const MAX_FILTER_TERMS = 100;
/** Items in one `in` or `notIn` list. */
const MAX_FILTER_LIST = 1000;
/** Characters of one value or pattern (the mirror's text columns hold 256). */
const MAX_FILTER_TEXT = 256;

const VERSION_FIELDS = new Set(['fwVersion', 'swVersion', 'hwVersion']);
const VERSION = /^[A-Za-z]*(\d{1,9}(?:\.\d{1,9}){0,7})$/;

/**
 * A version's sort key, compared as text: each numeric part as 9 digits, trailing zero parts dropped, so V1.2.10 >
 * V1.2.9 and 2 = 2.0 = V2.0.0. A leading run of letters is ignored (V1.2 and 1.2 compare alike). Null for a version
 * of another form (1.2-rc1, beta): it matches no range.
 */
export function versionKey(version: string): string | null {
  const match = VERSION.exec(version);
  if (!match) return null;
  const parts = (match[1] as string).split('.').map(Number);
  while (parts.length > 1 && parts.at(-1) === 0) parts.pop();
  return parts.map((part) => String(part).padStart(9, '0')).join('');
}

/** A wildcard pattern's pieces: `*` any run of characters, `?` one, the rest literal. */
type PatternPiece = { any: 'run' | 'one' } | { text: string };

export function patternPieces(pattern: string): PatternPiece[] {
  return pattern.split(/([*?])/).flatMap((part): PatternPiece[] => (part === '*' ? [{ any: 'run' }] : part === '?' ? [{ any: 'one' }] : part === '' ? [] : [{ text: part }]));
}

/** The device groups a filter names anywhere (their members must be held before it runs). */
export function groupIdsOf(filter: DeviceFilter): string[] {
  const nested = [...(filter.and ?? []), ...(filter.or ?? []), ...(filter.not ? [filter.not] : [])];
  return [...new Set([...(filter.groupId !== undefined ? [filter.groupId] : []), ...nested.flatMap(groupIdsOf)])];
}

/** Every problem with a filter, by its path under `path` (`filter.or.1.where.fwVersion.gte`). */
export function filterProblems(filter: DeviceFilter, path: string): Violation[] {
  const problems: Violation[] = [];
  let terms = 0;
  const visit = (f: DeviceFilter, at: string, depth: number): void => {
    if (depth > MAX_FILTER_DEPTH) {
      problems.push({ path: at, rule: 'maxDepth', message: `and, or and not nest at most ${MAX_FILTER_DEPTH} deep` });
      return;
    }
    for (const [key, value] of Object.entries(f)) {
      if (value === undefined || value === null) continue;
      if (key === 'and' || key === 'or') {
        const list = value as DeviceFilter[];
        terms++;
        if (list.length === 0) problems.push({ path: `${at}.${key}`, rule: 'notEmpty', message: `${key} takes at least one filter` });
        list.forEach((item, i) => visit(item, `${at}.${key}.${i}`, depth + 1));
      } else if (key === 'not') {
        terms++;
        visit(value as DeviceFilter, `${at}.not`, depth + 1);
      } else if (key === 'where') {
        conditions(value as DeviceConditions, `${at}.where`);
      } else {
        terms++;
        text(value, `${at}.${key}`);
      }
    }
  };
  const text = (value: unknown, at: string): void => {
    const values = Array.isArray(value) ? value : [value];
    if (values.length > MAX_FILTER_LIST) problems.push({ path: at, rule: 'maxItems', message: `at most ${MAX_FILTER_LIST} values` });
    if (values.some((v) => typeof v === 'string' && v.length > MAX_FILTER_TEXT)) problems.push({ path: at, rule: 'maxText', message: `at most ${MAX_FILTER_TEXT} characters` });
  };
  const conditions = (where: DeviceConditions, at: string): void => {
    for (const [field, condition] of Object.entries(where)) {
      if (condition === undefined || condition === null) continue;
      for (const [op, value] of Object.entries(condition as VersionCondition & TimeCondition)) {
        if (value === undefined || value === null) continue;
        terms++;
        const opPath = `${at}.${field}.${op}`;
        if (value instanceof Date) continue;
        text(value, opPath);
        // A time's bound read back from a saved filter is its ISO text: only versions compare part by part.
        if (VERSION_FIELDS.has(field) && ['gt', 'gte', 'lt', 'lte'].includes(op) && typeof value === 'string' && versionKey(value) === null) {
          problems.push({ path: opPath, rule: 'comparableVersion', message: `"${value}" is not a version compared part by part (digits and dots, after an optional prefix of letters, e.g. V1.2.10)` });
        }
      }
    }
  };
  visit(filter, path, 0);
  if (terms > MAX_FILTER_TERMS) problems.push({ path, rule: 'maxTerms', message: `a filter has at most ${MAX_FILTER_TERMS} conditions and combinators (this one has ${terms})` });
  return problems;
}
