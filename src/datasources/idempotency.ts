/**
 * Idempotency keys for creates: the same key with the same input within 24 h gives the first result and creates
 * nothing; concurrent submissions share one platform call. When a create's outcome is unknown (it was sent and no
 * answer came), the key stays reserved: a retry first looks for the task on the platform (`reconcile`) and, if it
 * cannot find it, refuses rather than risk a second task.
 */
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { PlatformError } from './platform-error.js';

const KEY_LIFETIME_MS = 24 * 60 * 60_000;
/** Keys kept at most; the oldest finished ones go first. */
const MAX_KEYS = 100_000;

type Entry<T> =
  | { state: 'pending'; fingerprint: string; expiresAt: number; result: Promise<T> }
  | { state: 'done'; fingerprint: string; expiresAt: number; value: T }
  | { state: 'unknown'; fingerprint: string; expiresAt: number; sentAt: number };

/** A failure after which the platform may or may not have created the thing. */
export function outcomeUnknown(error: unknown): boolean {
  if (!(error instanceof PlatformError)) return false;
  return error.kind === 'timeout' || (error.kind === 'network' && ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes(error.code));
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

export class IdempotencyStore<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Runs `create` at most once per key and input. `reconcile(sentAt)` looks for what an unanswered create may
   * have made; it returns undefined when it finds nothing.
   */
  async run(key: string | undefined, input: unknown, create: () => Promise<T>, reconcile: (sentAt: number) => Promise<T | undefined>): Promise<T> {
    if (key === undefined) return create();
    this.expire();
    const fingerprint = fingerprintOf(input);
    const existing = this.entries.get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new GraphQLError('idempotencyKey was already used with a different input; use a new key for a new request', {
          extensions: { code: 'BAD_USER_INPUT', argument: 'input.idempotencyKey' },
        });
      }
      if (existing.state === 'done') return existing.value;
      if (existing.state === 'pending') return existing.result;
      return this.settleUnknown(key, existing, reconcile);
    }
    const expiresAt = this.now() + KEY_LIFETIME_MS;
    const sentAt = this.now();
    // Every submission waiting on this key gets the same answer, the translated unknown outcome included.
    const result = (async () => {
      try {
        const value = await create();
        this.entries.set(key, { state: 'done', fingerprint, expiresAt, value });
        return value;
      } catch (error) {
        if (!outcomeUnknown(error)) {
          // The platform said no, or the request never left: nothing was created, the key is free again.
          this.entries.delete(key);
          throw error;
        }
        this.entries.set(key, { state: 'unknown', fingerprint, expiresAt, sentAt });
        throw unknownOutcome(error);
      }
    })();
    this.entries.set(key, { state: 'pending', fingerprint, expiresAt, result });
    return result;
  }

  private async settleUnknown(key: string, entry: Extract<Entry<T>, { state: 'unknown' }>, reconcile: (sentAt: number) => Promise<T | undefined>): Promise<T> {
    const found = await reconcile(entry.sentAt);
    if (found === undefined) throw unknownOutcome();
    this.entries.set(key, { state: 'done', fingerprint: entry.fingerprint, expiresAt: entry.expiresAt, value: found });
    return found;
  }

  private expire(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now && entry.state !== 'pending') this.entries.delete(key);
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= MAX_KEYS) break;
      if (entry.state === 'done') this.entries.delete(key);
    }
  }
}

function unknownOutcome(cause?: unknown): GraphQLError {
  const upstream = cause instanceof PlatformError ? { code: cause.code, description: cause.description, endpoint: cause.endpoint } : undefined;
  return new GraphQLError(
    'The platform did not answer in time: the task may or may not have been created. Retry with the same idempotencyKey to find out; ' +
      'the gateway will not create a second task under that key.',
    { extensions: { code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN', ...(upstream ? { upstream } : {}) } },
  );
}
