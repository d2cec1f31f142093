// The notification journal on a real directory: an append resolves once its line is in the file (and fsync'd), in
// order; appends of one tick share one write; applied entries leave (checkpoint, segments deleted); what is left is
// read back after a reopen, a line cut short by a crash ignored; a write that fails is refused, never half-taken.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalUnavailableError, NotificationJournal, type JournalOptions } from '../../src/sync/journal.js';

const opened: NotificationJournal[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((journal) => journal.close()));
});

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'gw-journal-')), 'notifications');
async function open(dir: string | undefined, options?: JournalOptions): Promise<NotificationJournal> {
  const journal = await NotificationJournal.open(dir, options);
  opened.push(journal);
  return journal;
}
async function reopen(journal: NotificationJournal, dir: string, options?: JournalOptions): Promise<NotificationJournal> {
  await journal.close();
  return open(dir, options);
}
const segments = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('segment-')).sort();
const lines = (dir: string) => segments(dir).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line !== ''));
const notification = (i: number) => ({ notifyType: 'deviceInfoChanged', deviceId: `d${i}`, deviceInfo: { name: `name ${i}` } });
/** Applies (marks applied) the next `count` entries; returns their bodies. */
function applyNext(journal: NotificationJournal, count: number): unknown[] {
  const bodies: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const entry = journal.next();
    if (!entry) throw new Error('nothing left to apply');
    bodies.push(entry.body);
    journal.applied(entry.seq);
  }
  return bodies;
}

describe('the notification journal', () => {
  it('resolves an append once its line is in the file, keeps the order, and reads it all back after a reopen', async () => {
    const dir = freshDir();
    let journal = await open(dir);
    await Promise.all([0, 1, 2].map((i) => journal.append(notification(i), 1000 + i)));
    // Answered: on disk already (the segment file is read by another handle).
    expect(lines(dir).map((line) => JSON.parse(line))).toEqual([0, 1, 2].map((i) => ({ seq: i + 1, at: 1000 + i, body: notification(i) })));
    await journal.append(notification(3), 1003);
    expect(lines(dir)).toHaveLength(4);
    expect(journal.pending).toBe(4);
    expect(journal.oldestAt).toBe(1000);

    journal = await reopen(journal, dir);
    expect(journal.pending).toBe(4);
    expect(journal.next()).toEqual({ seq: 1, at: 1000, body: notification(0) });
    expect(applyNext(journal, 4)).toEqual([0, 1, 2, 3].map(notification));
    expect(journal.next()).toBeUndefined();
  });

  it('gives appends of one tick one write and one fsync, and takes 1,000 a second with room to spare', async () => {
    const journal = await open(freshDir());
    await Promise.all(Array.from({ length: 1000 }, (_, i) => journal.append(notification(i), i)));
    expect(journal.flushes).toBe(1);
    expect(journal.pending).toBe(1000);

    // 1,000 a second for 2 s, arriving 10 every 10 ms: each answered only once written.
    const latencies: number[] = [];
    const appends: Promise<void>[] = [];
    const started = performance.now();
    const flushesBefore = journal.flushes;
    for (let tick = 0; tick < 200; tick++) {
      for (let i = 0; i < 10; i++) {
        const sent = performance.now();
        appends.push(journal.append(notification(i), Date.now()).then(() => void latencies.push(performance.now() - sent)));
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(appends);
    const elapsed = performance.now() - started;
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] as number;
    console.info(`journal: 2,000 appends at 1,000/s in ${elapsed.toFixed(0)} ms, ${journal.flushes - flushesBefore} fsyncs, p99 ${p99.toFixed(1)} ms`);
    expect(latencies).toHaveLength(2000);
    expect(journal.flushes - flushesBefore).toBeLessThanOrEqual(200);
    expect(elapsed).toBeLessThan(4_000);
    expect(p99).toBeLessThan(500);
  });

  it('lets applied entries go: the checkpoint says how far, and segments wholly applied are deleted', async () => {
    const dir = freshDir();
    // Small segments: a new one every few entries.
    const options = { segmentBytes: 300, checkpointEveryMs: 10 };
    let journal = await open(dir, options);
    for (let i = 0; i < 50; i++) await journal.append(notification(i), i);
    const written = segments(dir).length;
    expect(written).toBeGreaterThan(5);

    applyNext(journal, 30);
    // The checkpoint and the deletion happen in the background (every 10 ms here): waited for, not slept on, so a
    // busy machine only makes it slower.
    await expect.poll(() => readFileSync(join(dir, 'checkpoint'), 'utf8').trim(), { timeout: 5_000, interval: 20 }).toBe('30');
    const appliedLeft = () => lines(dir).filter((line) => (JSON.parse(line).seq as number) <= 30).length;
    await expect.poll(appliedLeft, { timeout: 5_000, interval: 20 }).toBeLessThan(10);
    // What is left on disk holds entries not applied, and every one of them.
    const left = lines(dir).map((line) => JSON.parse(line).seq as number);
    expect(segments(dir).length).toBeLessThan(written);
    expect(left.filter((seq) => seq > 30)).toEqual(Array.from({ length: 20 }, (_, i) => 31 + i));

    journal = await reopen(journal, dir, options);
    expect(journal.pending).toBe(20);
    expect(journal.next()?.seq).toBe(31);
    applyNext(journal, 20);
    journal = await reopen(journal, dir, options);
    expect(journal.pending).toBe(0);
    expect(segments(dir)).toEqual([]);
    // Numbers go on from the checkpoint, never given twice.
    await journal.append(notification(50), 50);
    expect(journal.next()?.seq).toBe(51);
  });

  it('ignores a last line cut short by a crash, skips a damaged one, and appends after them as usual', async () => {
    const dir = freshDir();
    let journal = await open(dir);
    for (let i = 0; i < 3; i++) await journal.append(notification(i), i);
    await journal.close();
    const last = join(dir, segments(dir).at(-1) as string);
    appendFileSync(last, '{"seq":4,"at":3,"body":{"notifyType":"deviceInf');

    journal = await open(dir);
    expect(journal.pending).toBe(3);
    expect(journal.damaged).toBe(0);
    await journal.append(notification(3), 3);
    journal = await reopen(journal, dir);
    expect(applyNext(journal, 4)).toEqual([0, 1, 2, 3].map(notification));

    // A whole line that is not an entry (a disk's damage): counted and skipped, the rest kept.
    const other = freshDir();
    journal = await open(other);
    for (let i = 0; i < 2; i++) await journal.append(notification(i), i);
    await journal.close();
    const file = join(other, segments(other)[0] as string);
    const [first, second] = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, `${first}\nnot json at all\n${second}\n`);
    journal = await open(other);
    expect(journal.damaged).toBe(1);
    expect(applyNext(journal, 2)).toEqual([0, 1].map(notification));
  });

  it('refuses a batch it could not write (the receiver answers 503), and writes the next one', async () => {
    const dir = freshDir();
    // A segment a batch: the next batch's file is where a directory is in the way.
    const journal = await open(dir, { segmentBytes: 1 });
    await journal.append(notification(0), 0);
    mkdirSync(join(dir, `segment-${'2'.padStart(16, '0')}.jsonl`));
    await expect(journal.append(notification(1), 1)).rejects.toBeInstanceOf(JournalUnavailableError);
    await journal.append(notification(2), 2);
    expect(journal.pending).toBe(2);
    expect(applyNext(journal, 2)).toEqual([0, 2].map(notification));
  });

  it('refuses appends beyond its limit and once closed', async () => {
    const journal = await open(undefined, { maxPending: 2 });
    await journal.append(notification(0), 0);
    await journal.append(notification(1), 1);
    await expect(journal.append(notification(2), 2)).rejects.toThrow(/holds 2 entries/);
    applyNext(journal, 1);
    await journal.append(notification(2), 2);
    await journal.close();
    await expect(journal.append(notification(3), 3)).rejects.toThrow(/closed/);
  });

  it('says when everything taken so far is applied (in memory as on disk)', async () => {
    for (const dir of [undefined, freshDir()]) {
      const journal = await open(dir);
      await journal.drained();
      await Promise.all([0, 1, 2].map((i) => journal.append(notification(i), i)));
      let drained = false;
      const waiting = journal.drained().then(() => (drained = true));
      await journal.append(notification(3), 3);
      applyNext(journal, 2);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(drained).toBe(false);
      applyNext(journal, 1);
      await waiting;
      // The one taken after the question is not waited for.
      expect(journal.pending).toBe(1);
      const unfinished = expect(journal.drained()).rejects.toThrow(/closed before/);
      await journal.close();
      await unfinished;
    }
  });

  it('belongs to one process: another running one is refused, a dead one’s is taken over', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'owner.pid'), String(process.ppid));
    await expect(open(dir)).rejects.toThrow(/another running gateway \(pid \d+\): give each gateway process its own GATEWAY_DATA_DIR/);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, 'owner.pid'), gone);
    const journal = await open(dir);
    expect(readFileSync(join(dir, 'owner.pid'), 'utf8')).toBe(String(process.pid));
    await journal.close();
    expect(readdirSync(dir)).not.toContain('owner.pid');
  });

  it('says in one line when its directory cannot be written', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gw-journal-')), 'a-file');
    writeFileSync(file, '');
    await expect(open(join(file, 'notifications'))).rejects.toThrow(/cannot be kept in .*a-file\/notifications \(ENOTDIR\): GATEWAY_DATA_DIR must be a directory this process may write/);
  });
});
