/**
 * The emulated clock and its event queue. Everything that happens over time (a subtask starting, a batch task
 * timing out) is an event; moving the clock runs the events that fall due, in time order, so a manual clock
 * advanced by an hour gives the same history as an hour of real time.
 */

export type ClockMode = 'realtime' | 'manual';

interface ScheduledEvent {
  at: number;
  seq: number;
  run: () => void;
  changesState: boolean;
}

export class Clock {
  private current: number;
  private readonly realStart = Date.now();
  private advancedMs = 0;
  private seq = 0;
  private readonly heap: ScheduledEvent[] = [];
  /** Events run so far that changed the platform's state: a saved state is out of date once this moves. */
  changes = 0;

  /** `from` lies before the start when history is replayed up to it. */
  constructor(
    private readonly startMs: number,
    readonly mode: ClockMode,
    from = startMs,
  ) {
    this.current = from;
  }

  /** The emulated time of the events processed so far. */
  now(): number {
    return this.current;
  }

  /** Where the clock should be: start + advances (+ wall time elapsed when realtime). */
  target(): number {
    const wall = this.mode === 'realtime' ? Date.now() - this.realStart : 0;
    return this.startMs + wall + this.advancedMs;
  }

  /** Runs every event due by the target time. */
  sync(): void {
    this.runUntil(this.target());
  }

  advance(seconds: number): void {
    this.advancedMs += seconds * 1000;
    this.sync();
  }

  /** Runs events up to `until` without moving the target (used to replay generated history). */
  runUntil(until: number): void {
    for (let next = this.heap[0]; next && next.at <= until; next = this.heap[0]) {
      this.pop();
      if (next.at > this.current) this.current = next.at;
      if (next.changesState) this.changes += 1;
      next.run();
    }
    if (until > this.current) this.current = until;
  }

  /** `changesState: false` for an event that only sends something (a notification), so no save is due for it. */
  schedule(at: number, run: () => void, changesState = true): void {
    this.push({ at: Math.max(at, this.current), seq: this.seq++, run, changesState });
  }

  pending(): number {
    return this.heap.length;
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent] as ScheduledEvent)) break;
      heap[i] = heap[parent] as ScheduledEvent;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as ScheduledEvent;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent) ? right : left;
      if (!before(heap[child] as ScheduledEvent, last)) break;
      heap[i] = heap[child] as ScheduledEvent;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
