/**
 * The emulator's state in a file (`stateFile`): read once at start, written after changes and at close. A write goes
 * to a temporary file that is synced and then renamed over the old one, so a crash leaves the last complete state.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SNAPSHOT_FORMAT, type Snapshot } from './snapshot.js';

/** How long the state must hold still before it is written... */
const QUIET_MS = 250;
/** ...unless it has kept changing for this long. */
const MAX_UNSAVED_MS = 2_000;
/** Writes are at least this many times their own duration apart, so a large state costs at most a few percent. */
const GAP_FACTOR = 20;
const TICK_MS = 250;

/** A state file that cannot be used: its message says which file and why. */
export class EmulatorStateError extends Error {
  override readonly name = 'EmulatorStateError';
  /** True when the file is fine but this process may not read it: the fix is access, not a fresh start. */
  constructor(
    message: string,
    readonly denied = false,
  ) {
    super(message);
  }
}

/** The state kept in `file`, or undefined when there is none yet. */
export async function readState(file: string): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    throw new EmulatorStateError(`${file} cannot be read (${code ?? 'unreadable'})`, code === 'EACCES' || code === 'EPERM');
  }
  let snapshot: Partial<Snapshot>;
  try {
    snapshot = JSON.parse(text) as Partial<Snapshot>;
  } catch {
    throw new EmulatorStateError(`${file} is not JSON (damaged or cut short)`);
  }
  if (snapshot.format !== SNAPSHOT_FORMAT || typeof snapshot.identity !== 'string' || typeof snapshot.now !== 'number') {
    throw new EmulatorStateError(`${file} is not an emulator state of format ${SNAPSHOT_FORMAT}`);
  }
  return snapshot as Snapshot;
}

/** What the keeper saves: a revision that moves with every change, and the state itself. */
export interface KeptState {
  revision(): string;
  snapshot(): Snapshot;
}

/** Writes the state to its file once it has changed (debounced) and at close. */
export class StateKeeper {
  private readonly ticker: NodeJS.Timeout;
  private savedRevision: string;
  private seenRevision: string;
  private changedAt = 0;
  private unsavedSince: number | undefined;
  private lastSaveEnd = 0;
  private lastSaveMs = 0;
  private saving: Promise<void> | undefined;
  /** The first failed write is logged; later ones would repeat it. */
  private failure: string | undefined;

  constructor(
    private readonly file: string,
    private readonly state: KeptState,
  ) {
    this.savedRevision = this.seenRevision = state.revision();
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  /** Stops watching and writes the state as it is now (the clock has moved, if nothing else). */
  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.saving;
    await this.save();
  }

  private tick(): void {
    const now = Date.now();
    const revision = this.state.revision();
    if (revision !== this.seenRevision) {
      this.seenRevision = revision;
      this.changedAt = now;
      this.unsavedSince ??= now;
    }
    if (this.unsavedSince === undefined || this.saving || revision === this.savedRevision) return;
    if (now - this.lastSaveEnd < GAP_FACTOR * this.lastSaveMs) return;
    if (now - this.changedAt < QUIET_MS && now - this.unsavedSince < MAX_UNSAVED_MS) return;
    this.saving = this.save().finally(() => (this.saving = undefined));
  }

  private async save(): Promise<void> {
    const started = Date.now();
    const revision = this.state.revision();
    this.unsavedSince = undefined;
    try {
      await writeAtomically(this.file, JSON.stringify(this.state.snapshot()));
      this.savedRevision = revision;
      this.failure = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.failure) console.error(`emulator: the state could not be saved to ${this.file}: ${message}`);
      this.failure = message;
      this.unsavedSince = Date.now();
    }
    this.lastSaveEnd = Date.now();
    this.lastSaveMs = this.lastSaveEnd - started;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}
