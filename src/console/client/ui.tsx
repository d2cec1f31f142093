import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { CombinedError } from '@urql/core';
import { errorText, type Role } from './api';
import type { StatsFragment } from './generated/graphql';

export const RoleContext = createContext<Role>('read');

/** Whether the buttons that change something are shown: never to a read key. */
export function useCanOperate(): boolean {
  return useContext(RoleContext) === 'operate';
}

/** The part after `#/`, split: `#/tasks/42` is `['tasks', '42']`. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

/** A value that settles: the live count of the rollout form asks once the user stops typing. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [JSON.stringify(value), ms]);
  return settled;
}

/** A page's heading takes the focus when the page opens, so a keyboard or screen-reader user starts there. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus({ preventScroll: true }), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function ErrorNote({ error }: { error: CombinedError | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

export function Loading() {
  return <p aria-busy="true">Loading…</p>;
}

/**
 * completed / total, with success, failure and what is under way told apart. `of`: the devices there will be (a
 * rollout's or a wave's), when the figures cover only the tasks started so far.
 */
export function Progress({ stats, label, of }: { stats: StatsFragment; label: string; of?: number }) {
  const total = Math.max(of ?? stats.total, stats.total);
  const pct = (n: number) => (total === 0 ? 0 : (100 * n) / total);
  const failed = stats.fail + stats.timeout;
  const percent = total === 0 ? 0 : Math.floor((100 * stats.completed) / total);
  const waiting = total - stats.completed - stats.processing;
  return (
    <div class="progress">
      <div
        class="bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% done: ${stats.success} succeeded, ${failed} failed, ${stats.processing} running, ${waiting} waiting of ${total}`}
      >
        <span class="ok" style={{ width: `${pct(stats.success)}%` }} />
        <span class="bad" style={{ width: `${pct(failed)}%` }} />
        <span class="other" style={{ width: `${pct(stats.stop)}%` }} />
        <span class="running" style={{ width: `${pct(stats.processing)}%` }} />
      </div>
      <span class="figures">
        {percent}% · {stats.success} ok{failed > 0 ? <strong class="bad-text"> · {failed} failed</strong> : null}
        {stats.stop > 0 ? ` · ${stats.stop} stopped` : ''}
        {stats.processing > 0 ? ` · ${stats.processing} running` : ''} · {total} in all
      </span>
    </div>
  );
}

export function Badge({ value }: { value: string | null | undefined }) {
  const v = value ?? 'UNKNOWN';
  return <span class={`badge badge-${v.toLowerCase()}`}>{v.replace(/_/g, ' ').toLowerCase()}</span>;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/**
 * Horizontal bars: each row says its figure in text too, so the chart reads without seeing it. `scale`: the value of a
 * full bar, shared by charts meant to be compared (default: this chart's largest value).
 */
export function BarChart({ title, rows, scale }: { title: string; rows: Array<{ label: string; value: number; note?: string }>; scale?: number }) {
  const max = Math.max(1, scale ?? 0, ...rows.map((r) => r.value));
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {rows.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {rows.map((row) => (
            <li key={row.label}>
              <span class="chart-label">{row.label}</span>
              <span class="chart-track" aria-hidden="true">
                <span class="chart-bar" style={{ width: `${(100 * row.value) / max}%` }} />
              </span>
              <span class="chart-value">
                {row.value}
                {row.note ? <span class="muted"> {row.note}</span> : null}
              </span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

/** Previous / next over a list of `total` items shown `size` at a time from `offset`. */
export function Pager({ offset, size, total, onChange }: { offset: number; size: number; total: number; onChange: (offset: number) => void }) {
  if (total <= size) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - size))}>
        Previous
      </button>
      <span>
        {offset + 1}–{Math.min(offset + size, total)} of {total}
      </span>
      <button type="button" disabled={offset + size >= total} onClick={() => onChange(offset + size)}>
        Next
      </button>
    </nav>
  );
}

/** A filter's drop-down: "any" (the empty value) and the choices, each a value or a [value, text] pair. */
export function AnyOf({ label, value, choices, onChange }: { label: string; value: string; choices: ReadonlyArray<string | readonly [string, string]>; onChange: (value: string) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">any</option>
        {choices.map((choice) => {
          const [v, text] = typeof choice === 'string' ? [choice, choice] : choice;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}
