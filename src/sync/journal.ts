/**
 * The notification journal: what the receiver took and the mirror has not applied yet. The platform does not send
 * again what it got a 2xx for, so a notification is answered only once it is here, written and fsync'd: neither the
 * store being away nor a restart loses it. Appends that arrive together share one write and one fsync (group
 * commit). The applier takes entries in order and marks them applied; a checkpoint says how far, and segments whose
 * entries are all applied are deleted.
 *
 * In its directory: `owner.pid` (one process at a time), `checkpoint` (the last applied sequence number), and
 * `segment-<first seq>.jsonl`, one JSON line per entry `{"seq","at","body"}`. A line cut short by a crash (no
 * newline) is ignored. Without a directory (`GATEWAY_DATA_DIR=:memory:`) the journal lives in memory only.
 */
import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalEntry {
  seq: number;
  /** When the receiver took it (epoch ms). */
  at: number;
  body: unknown;
}

export interface JournalOptions {
  /** A segment is closed (and a new one started) once it holds this many bytes. */
  segmentBytes?: number;
  /** Beyond this many entries waiting, appends are refused (the receiver answers 503; the platform sends again). */
  maxPending?: number;
  /** How often, at most, the checkpoint is written while entries are being applied. */
  checkpointEveryMs?: number;
}

/** The entry could not be taken: not written, or the journal is full or closed. */
export class JournalUnavailableError extends Error {}

const SEGMENT_BYTES = 1 << 20;
const MAX_PENDING = 100_000;
const CHECKPOINT_EVERY_MS = 1_000;
const SEGMENT = /^segment-(\d{16})\.jsonl$/;
const OWNER = 'owner.pid';
const CHECKPOINT = 'checkpoint';

/** An entry taken and not applied: its line as written, parsed again when the applier reaches it. */
interface Held {
  seq: number;
  at: number;
  line: string;
}
interface Waiting {
  body: unknown;
  at: number;
  resolve(): void;
  reject(error: Error): void;
}
interface Segment {
  path: string;
  /** The last entry written to it (0: none). */
  lastSeq: number;
}
interface OpenSegment extends Segment {
  handle: FileHandle;
  size: number;
}

export class NotificationJournal {
  readonly #dir: string | undefined;
  readonly #segmentBytes: number;
  readonly #maxPending: number;
  readonly #checkpointEveryMs: number;
  /** Taken, not applied, oldest first (from #head on). */
  #held: Held[] = [];
  #head = 0;
  #waiting: Waiting[] = [];
  #flushing: Promise<void> | undefined;
  #lastSeq = 0;
  #appliedSeq = 0;
  #checkpointedSeq = 0;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #checkpointing: Promise<void> = Promise.resolve();
  /** Closed segments that still hold entries not applied (or not yet deleted), oldest first. */
  #segments: Segment[] = [];
  #current: OpenSegment | undefined;
  #listeners: (() => void)[] = [];
  #drains: { target: number; resolve(): void; reject(error: Error): void }[] = [];
  #closed = false;
  #flushes = 0;
  #damaged = 0;

  private constructor(dir: string | undefined, options: JournalOptions) {
    this.#dir = dir;
    this.#segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    this.#maxPending = options.maxPending ?? MAX_PENDING;
    this.#checkpointEveryMs = options.checkpointEveryMs ?? CHECKPOINT_EVERY_MS;
  }

  /** The journal in `dir` (created if need be) with what it still holds; undefined `dir`: in memory. */
  static async open(dir: string | undefined, options: JournalOptions = {}): Promise<NotificationJournal> {
    const journal = new NotificationJournal(dir, options);
    if (dir !== undefined) await journal.#load(dir);
    return journal;
  }

  /** Writes made (each one fsync'd): fewer than appends when appends arrive together. */
  get flushes(): number {
    return this.#flushes;
  }

  /** Complete lines that could not be read back at open (skipped). */
  get damaged(): number {
    return this.#damaged;
  }

  /** Entries taken and not applied yet. */
  get pending(): number {
    return this.#held.length - this.#head;
  }

  /** When the oldest entry not applied yet was taken. */
  get oldestAt(): number | undefined {
    return this.#held[this.#head]?.at;
  }

  /** Resolves once the entry is written and fsync'd; rejects (JournalUnavailableError) when it could not be. */
  append(body: unknown, at: number): Promise<void> {
    if (this.#closed) return Promise.reject(new JournalUnavailableError('the notification journal is closed'));
    if (this.pending + this.#waiting.length >= this.#maxPending) {
      return Promise.reject(new JournalUnavailableError(`the notification journal holds ${this.#maxPending} entries not applied yet`));
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ body, at, resolve, reject });
      // The appends of this turn of the event loop (and those arriving while a write is under way) share a write.
      this.#flushing ??= new Promise<void>((next) => setImmediate(next)).then(() => this.#flush());
    });
  }

  /** The oldest entry not applied yet. */
  next(): JournalEntry | undefined {
    const held = this.#held[this.#head];
    if (!held) return undefined;
    const { body } = JSON.parse(held.line) as { body: unknown };
    return { seq: held.seq, at: held.at, body };
  }

  /** Resolves when an entry is taken (or at once if one waits), or when `signal` aborts. */
  entryTaken(signal: AbortSignal): Promise<void> {
    if (this.pending > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#listeners.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** The oldest entry (`next()`) is applied: it leaves the journal. */
  applied(seq: number): void {
    const held = this.#held[this.#head];
    if (held?.seq !== seq) throw new Error(`journal entry ${seq} applied out of order (next is ${held?.seq ?? 'none'})`);
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#held.length) {
      this.#held = this.#held.slice(this.#head);
      this.#head = 0;
    }
    this.#appliedSeq = seq;
    this.#settleDrains();
    if (this.#dir === undefined || this.#checkpointTimer) return;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      this.#checkpointing = this.#checkpointing.then(() => this.#checkpoint());
    }, this.#checkpointEveryMs);
    this.#checkpointTimer.unref();
  }

  /** Resolves once every entry taken so far (appends under way included) is applied; rejects if closed first. */
  async drained(): Promise<void> {
    await this.#flushing;
    const target = this.#lastSeq;
    await new Promise<void>((resolve, reject) => {
      this.#drains.push({ target, resolve, reject });
      this.#settleDrains();
    });
  }

  /** Refuses new appends, finishes those under way, writes the checkpoint and lets the directory go. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flushing;
    clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    await this.#checkpointing;
    for (const drain of this.#drains.splice(0)) drain.reject(new JournalUnavailableError('the notification journal closed before everything was applied'));
    if (this.#dir === undefined) return;
    await this.#checkpoint();
    await this.#current?.handle.close();
    this.#current = undefined;
    const owner = join(this.#dir, OWNER);
    if ((await readFile(owner, 'utf8').catch(() => '')) === String(process.pid)) await rm(owner, { force: true });
  }

  async #flush(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0);
      // Numbers are never given twice, even to a batch that failed (part of it may be on disk).
      const held = batch.map(({ body, at }) => {
        const seq = ++this.#lastSeq;
        return { seq, at, line: JSON.stringify({ seq, at, body }) };
      });
      try {
        if (this.#dir !== undefined) await this.#write(held);
      } catch (error) {
        const reason = new JournalUnavailableError(`the notification journal cannot be written: ${error instanceof Error ? error.message : String(error)}`);
        for (const waiting of batch) waiting.reject(reason);
        continue;
      }
      for (const entry of held) this.#held.push(entry);
      for (const waiting of batch) waiting.resolve();
      for (const listener of this.#listeners.splice(0)) listener();
    }
    this.#flushing = undefined;
  }

  async #write(held: Held[]): Promise<void> {
    const data = Buffer.from(held.map((h) => `${h.line}\n`).join(''));
    const segment = await this.#segmentFor((held[0] as Held).seq);
    try {
      for (let written = 0; written < data.length; ) {
        written += (await segment.handle.write(data, written, data.length - written, segment.size + written)).bytesWritten;
      }
      await segment.handle.datasync();
      this.#flushes += 1;
    } catch (error) {
      // What part of the batch reached the disk is unknown: the next batch goes to a new segment.
      await segment.handle.truncate(segment.size).catch(() => undefined);
      await this.#closeCurrent();
      throw error;
    }
    segment.size += data.length;
    segment.lastSeq = (held[held.length - 1] as Held).seq;
  }

  /** The segment to append to: the current one, or a new one (its directory entry fsync'd) once it is full. */
  async #segmentFor(firstSeq: number): Promise<OpenSegment> {
    if (this.#current && this.#current.size < this.#segmentBytes) return this.#current;
    await this.#closeCurrent();
    const dir = this.#dir as string;
    const path = join(dir, `segment-${String(firstSeq).padStart(16, '0')}.jsonl`);
    const handle = await open(path, 'wx');
    try {
      await syncDirectory(dir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#current = { path, lastSeq: 0, handle, size: 0 };
    return this.#current;
  }

  async #closeCurrent(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    this.#current = undefined;
    this.#segments.push({ path: current.path, lastSeq: current.lastSeq });
    await current.handle.close().catch(() => undefined);
  }

  /** Writes how far entries are applied (atomically: a new file renamed over the old), then deletes what it covers. */
  async #checkpoint(): Promise<void> {
    const dir = this.#dir as string;
    const seq = this.#appliedSeq;
    if (seq === this.#checkpointedSeq) return;
    try {
      const temporary = join(dir, `${CHECKPOINT}.tmp`);
      await writeFile(temporary, `${seq}\n`);
      await rename(temporary, join(dir, CHECKPOINT));
      this.#checkpointedSeq = seq;
      // A segment's entries all applied: not needed any more (a lost checkpoint only means applying some again).
      const done = this.#segments.filter((s) => s.lastSeq <= seq);
      this.#segments = this.#segments.filter((s) => s.lastSeq > seq);
      for (const segment of done) await rm(segment.path, { force: true });
    } catch {
      // Tried again at the next one: until then more entries are applied again after a restart.
    }
  }

  async #load(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true }).catch((error: unknown) => unwritable(dir, error));
    await claim(dir);
    const checkpoint = Number((await readFile(join(dir, CHECKPOINT), 'utf8').catch(() => '0')).trim());
    this.#appliedSeq = this.#checkpointedSeq = Number.isSafeInteger(checkpoint) && checkpoint > 0 ? checkpoint : 0;
    let lastSeq = this.#appliedSeq;
    for (const name of (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort()) {
      const path = join(dir, name);
      const { entries, damaged } = readSegment(await readFile(path));
      this.#damaged += damaged;
      let segmentLast = 0;
      for (const entry of entries) {
        segmentLast = Math.max(segmentLast, entry.seq);
        if (entry.seq <= lastSeq) continue;
        this.#held.push(entry);
        lastSeq = entry.seq;
      }
      if (segmentLast > this.#appliedSeq) this.#segments.push({ path, lastSeq: segmentLast });
      else await rm(path, { force: true });
    }
    this.#lastSeq = lastSeq;
  }

  #settleDrains(): void {
    const next = this.#held[this.#head]?.seq ?? Infinity;
    this.#drains = this.#drains.filter((drain) => {
      if (next <= drain.target) return true;
      drain.resolve();
      return false;
    });
  }
}

/** The entries of a segment file: whole lines only; a line that is not an entry is counted and skipped. */
function readSegment(data: Buffer): { entries: Held[]; damaged: number } {
  const text = data.toString('utf8');
  // After the last newline: a write a crash cut short, never answered.
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  const entries: Held[] = [];
  let damaged = 0;
  for (const line of whole.split('\n')) {
    if (line === '') continue;
    try {
      const { seq, at } = JSON.parse(line) as { seq: unknown; at: unknown };
      if (!Number.isSafeInteger(seq) || typeof at !== 'number') throw new Error('not an entry');
      entries.push({ seq: seq as number, at, line });
    } catch {
      damaged += 1;
    }
  }
  return { entries, damaged };
}

/** Takes the directory for this process: two processes appending to one journal would mix their entries. */
async function claim(dir: string): Promise<void> {
  const owner = join(dir, OWNER);
  const holder = Number((await readFile(owner, 'utf8').catch(() => '')).trim());
  if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && running(holder)) {
    throw new Error(`${dir} holds the notification journal of another running gateway (pid ${holder}): give each gateway process its own GATEWAY_DATA_DIR`);
  }
  await writeFile(owner, String(process.pid)).catch((error: unknown) => unwritable(dir, error));
}

function unwritable(dir: string, error: unknown): never {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  throw new Error(`the notification journal cannot be kept in ${dir} (${reason}): GATEWAY_DATA_DIR must be a directory this process may write`);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes a new file's directory entry durable (Linux: fsync on the directory). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
