/**
 * Creates that happen exactly once. With an idempotency key, the same key and input within 24 h give the first
 * result and create nothing, in this process, after a restart, or on another gateway sharing the store: exactly one
 * submission, ever, reserves the key in the store and sends the create; the others wait for its outcome. A create
 * without a key is recorded too, under a key of its own, so that every replica knows it while it is in doubt. When a
 * create's outcome is unknown (sent, no answer), a retry looks for the task on the platform and claims it only when
 * it was not created before the send (by the platform's clock), no other request with the same input is in doubt,
 * and it is the one exact match that no other request holds; otherwise the outcome stays unknown, with the
 * candidates named, and nothing is sent again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInputError, UnavailableError, UnknownOutcomeError } from '../domain/errors.js';
import { isStoreUnavailable } from '../store/availability.js';
import { noteReplayed } from './audit-notes.js';
import type { IdempotencyRepository, InDoubt, KeyRecord } from '../store/idempotency.repository.js';
import { PlatformError } from '../datasources/platform/errors.js';
import type { PlatformClock } from '../datasources/platform/platform-clock.js';
import type { CreatedTask } from '../datasources/upgrade-tasks.api.js';

const KEY_LIFETIME_MS = 24 * 60 * 60_000;
/** How often a submission waiting on another's create reads the key again. */
const POLL_MS = 100;
/** How often keys past their lifetime are deleted. */
const SWEEP_MS = 10 * 60_000;
/** How often an answered create's record is tried again while the store cannot take it. */
const RECORD_RETRY_MS = 1_000;
/** Keys of creates sent without one; no client can send a key this long with this prefix by chance. */
const KEYLESS = 'keyless:';
/** Whose keys `exclusive` keeps: no client's, so that every client meets the same one. */
const SHARED_CLIENT = '*';
/** The precision of the platform's createTime. */
const SECOND = 1000;

/** A failure after which the platform may or may not have created the thing. */
export function outcomeUnknown(error: unknown): boolean {
  if (!(error instanceof PlatformError)) return false;
  return error.kind === 'timeout' || (error.kind === 'network' && ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes(error.code));
}

/** A set of ids in one order: the same devices in another order are the same input under an idempotency key. */
export function idSet(ids: readonly string[] | undefined): string[] | undefined {
  return ids && [...ids].sort();
}

export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex');
}

function stableJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface CreateRequest {
  /** Keys are scoped per client. */
  client: string;
  key: string | undefined;
  /** The canonical input: equal inputs must be equal values (sets sorted). */
  input: unknown;
  /** How long a submission may wait for another's create of the same key. */
  deadline: number;
}

export interface CreateSteps {
  /** `onSend` is told this process's time as the create leaves for the platform (after any wait for the budget). */
  create(onSend: (at: number) => void): Promise<string>;
  /** Every task on the platform that is exactly this input and was not created before `sentAfter` (the platform's clock). */
  findCreated(sentAfter: number): Promise<CreatedTask[]>;
}

export class Idempotency {
  private readonly inFlight = new Map<string, { fingerprint: string; result: Promise<string> }>();
  private readonly sweeper: NodeJS.Timeout;
  /** Records of answered creates that the store could not take then, oldest first: written once it is back. */
  private readonly unrecorded: (() => Promise<void>)[] = [];
  private retrying: NodeJS.Timeout | undefined;

  /**
   * `leaseMs`: how long a sent create may take to be answered, waiting for the call budget included. `clock`: the
   * platform's, as its answers tell it.
   */
  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly leaseMs: number,
    private readonly clock: Pick<PlatformClock, 'earliestAt'>,
  ) {
    this.sweeper = setInterval(() => void this.keys.deleteExpired(Date.now()).catch(() => undefined), SWEEP_MS).unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    clearTimeout(this.retrying);
  }

  /** Creates answered whose record waits for the store. */
  get unrecordedCount(): number {
    return this.unrecorded.length;
  }

  /**
   * The platform answered: the client gets its task whatever the store says. A record it cannot take now is kept and
   * written when it can (until then, a retry under the key finds the task by reconciling, as after a lost answer).
   */
  private async record(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch {
      this.unrecorded.push(write);
      this.retrySoon();
    }
  }

  private retrySoon(): void {
    this.retrying ??= setTimeout(() => {
      this.retrying = undefined;
      void this.writeUnrecorded();
    }, RECORD_RETRY_MS).unref();
  }

  private async writeUnrecorded(): Promise<void> {
    for (let write = this.unrecorded[0]; write; write = this.unrecorded[0]) {
      try {
        await write();
      } catch {
        this.retrySoon();
        return;
      }
      this.unrecorded.shift();
    }
  }

  async run(request: CreateRequest, steps: CreateSteps): Promise<string> {
    const fingerprint = fingerprintOf(request.input);
    if (request.key === undefined) return this.keyless(request.client, fingerprint, steps);
    const local = `${request.client}\u0000${request.key}`;
    const pending = this.inFlight.get(local);
    if (pending) {
      if (pending.fingerprint !== fingerprint) throw differentInput();
      noteReplayed();
      return pending.result;
    }
    const result = this.keyed({ ...request, key: request.key }, fingerprint, steps).finally(() => this.inFlight.delete(local));
    this.inFlight.set(local, { fingerprint, result });
    return result;
  }

  /** Recorded under a key the client never sees: while unanswered, or if never answered, it is in doubt for every reconcile. */
  private async keyless(client: string, fingerprint: string, steps: CreateSteps): Promise<string> {
    const key = `${KEYLESS}${randomUUID()}`;
    await this.reserve(client, key, fingerprint);
    return this.send(
      client,
      key,
      steps,
      'The platform did not answer in time: the task may or may not have been created. Look for it before you send this again, ' +
        'and send an idempotencyKey with creates: a retry under the same key finds the task instead of creating a second one.',
    );
  }

  private reserve(client: string, key: string, fingerprint: string): Promise<boolean> {
    const now = Date.now();
    // Sent later than this, on any clock: a lower bound until the send itself is known.
    const platformSentAt = this.clock.earliestAt(now) ?? null;
    return this.keys.reserve({ client, key, fingerprint, sent_at: now, platform_sent_at: platformSentAt, lease_until: now + this.leaseMs, expires_at: now + KEY_LIFETIME_MS }).catch((error: unknown) => {
      throw isStoreUnavailable(error) ? notRecorded() : error;
    });
  }

  /**
   * One result per `key` among all clients and replicas while `holds(result)`: the first caller makes it and every
   * other caller gets it (the store decides); once it no longer holds, the next caller makes a new one.
   */
  async exclusive(key: string, deadline: number, make: () => Promise<string>, holds: (result: string) => Promise<boolean>): Promise<string> {
    for (;;) {
      let made = false;
      const steps = {
        create: () => {
          made = true;
          return make();
        },
        findCreated: async () => [],
      };
      const result = await this.run({ client: SHARED_CLIENT, key, input: key, deadline }, steps);
      if (made || (await holds(result))) return result;
      // Made afresh on the next turn: not a replay after all.
      noteReplayed(false);
      await this.keys.releaseResult(SHARED_CLIENT, key, result);
    }
  }

  private async keyed(request: CreateRequest & { key: string }, fingerprint: string, steps: CreateSteps): Promise<string> {
    const { client, key } = request;
    for (;;) {
      if (await this.reserve(client, key, fingerprint)) {
        const unknown =
          'The platform did not answer in time: the task may or may not have been created. Retry with the same idempotencyKey to find out; ' +
          'the gateway will not create a second task under that key.';
        return this.send(client, key, steps, unknown);
      }
      const record = await this.keys.find(client, key);
      // Gone between the two reads (it had just expired): reserve again.
      if (record === undefined) continue;
      if (record.fingerprint !== fingerprint) throw differentInput();
      if (record.state === 'done' && record.result !== null) {
        noteReplayed();
        return record.result;
      }
      if (record.state === 'pending' && record.lease_until > Date.now()) {
        if (Date.now() + POLL_MS > request.deadline) {
          throw unknownOutcome('Another request with this idempotencyKey is still creating the task. Retry with the same key to get its result.');
        }
        await sleep(POLL_MS);
        continue;
      }
      // Sent, and never answered (or its sender is gone): look for what it made.
      return this.settle(record, fingerprint, steps);
    }
  }

  private async send(client: string, key: string, steps: CreateSteps, unknownMessage: string): Promise<string> {
    let id: string;
    let sentAt: number | undefined;
    try {
      id = await steps.create((at) => (sentAt = at));
    } catch (error) {
      if (!outcomeUnknown(error)) {
        // The platform said no, or the request never left: nothing was created, the key is free again.
        await this.record(() => this.keys.release(client, key));
        throw error;
      }
      await this.record(() => this.keys.markUnknown(client, key, sentAt === undefined ? undefined : this.clock.earliestAt(sentAt)));
      throw unknownOutcome(unknownMessage, error);
    }
    await this.record(() => this.keys.complete(client, key, id));
    return id;
  }

  private async settle(record: KeyRecord, fingerprint: string, steps: CreateSteps): Promise<string> {
    const sentAfter = record.platform_sent_at;
    if (sentAfter === null) {
      throw unknownOutcome(
        "The outcome of the create sent under this idempotencyKey is still unknown: when it was sent is not known on the platform's clock, " +
          "so no task can be told to be its. Check the platform's task list for these devices before creating again; the gateway will not " +
          'send a second create under this key.',
        undefined,
        { sentAt: new Date(record.sent_at).toISOString(), candidates: [], heldByOtherRequests: [], requestsInDoubt: [] },
      );
    }
    const candidates = await steps.findCreated(sentAfter);
    const claimed = await this.keys.claimed(candidates.map((c) => c.id));
    const free = candidates.filter((c) => !claimed.has(c.id));
    // Another request in doubt matters if it left before one of the free candidates can have been made.
    const latest = Math.max(...free.map((c) => c.createdAt + SECOND));
    const inDoubt = free.length === 0 ? [] : await this.keys.othersInDoubt(record.client, record.key, fingerprint, Date.now(), latest);
    const [only] = free;
    if (free.length === 1 && only !== undefined && inDoubt.length === 0 && (await this.keys.claim(record.client, record.key, only.id))) return only.id;
    const since = new Date(sentAfter).toISOString();
    const why =
      free.length === 0
        ? `no task on the platform matches this input exactly since ${since}${claimed.size > 0 ? ` (${claimed.size} that match belong to other requests)` : ''}`
        : inDoubt.length > 0
          ? `${free.length} matching task(s) since ${since} (${free.map((c) => c.id).join(', ')}), and ${inDoubt.length} other unanswered request(s) ` +
            'with the same input could have made them'
          : `${free.length} tasks match this input exactly since ${since}: ${free.map((c) => c.id).join(', ')}`;
    throw unknownOutcome(
      `The outcome of the create sent under this idempotencyKey is still unknown: ${why}. Check the platform's task list for these ` +
        'devices (extensions.reconcile names the candidates) before creating again; the gateway will not send a second create under this key.',
      undefined,
      {
        sentAt: since,
        candidates: free.map((c) => ({ operationId: c.id, createdAt: new Date(c.createdAt).toISOString() })),
        heldByOtherRequests: [...claimed],
        requestsInDoubt: inDoubt.map((other) => described(other, record.client)),
      },
    );
  }
}

/** A create is recorded before it is sent, so that it is sent once: without the store it is not sent at all. */
function notRecorded(): UnavailableError {
  return new UnavailableError(
    'STORE_UNAVAILABLE',
    "Nothing was sent: a create is recorded before it goes to the platform (so that it is sent once, and every gateway knows it is in doubt), and the gateway's store cannot be reached. Retry shortly (with the same idempotencyKey, if it had one).",
  );
}

/** Another request in doubt, as this client may see it: its own keys by name, others' only by when they were sent. */
function described(other: InDoubt, client: string): Record<string, unknown> {
  const keyless = other.key.startsWith(KEYLESS);
  return { sentAt: new Date(other.sent_at).toISOString(), withKey: !keyless, ...(other.client === client && !keyless ? { idempotencyKey: other.key } : {}) };
}

function differentInput(): InvalidInputError {
  return InvalidInputError.argument('idempotencyKey was already used with a different input; use a new key for a new request', 'input.idempotencyKey');
}

/** `reconcile`: what a retry found, so the client knows what to look at. */
function unknownOutcome(message: string, cause?: unknown, reconcile?: Record<string, unknown>): UnknownOutcomeError {
  const upstream = cause instanceof PlatformError ? { code: cause.code, description: cause.description, endpoint: cause.endpoint } : undefined;
  return new UnknownOutcomeError(message, { ...(upstream ? { upstream } : {}), ...(reconcile ? { reconcile } : {}) });
}
