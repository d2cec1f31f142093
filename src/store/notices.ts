/**
 * Notices between the replicas on one PostgreSQL database (LISTEN/NOTIFY): a replica that learned a change says
 * what changed (a kind and an id, never the object), and every other replica reads it from the store. A notice
 * missed while the listening connection is down is lost: the store still has the change, only the live update
 * is missed.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import pg from 'pg';
import type { StoreDb } from './schema.js';

const CHANNEL = 'gateway_changes';
const RECONNECT_MS = 1000;

export interface Notice {
  kind: string;
  id: string;
}

export class StoreNotices {
  /** This replica: its own notices come back to it and are left out. */
  readonly #origin = randomUUID();
  readonly #received = new EventEmitter<{ notice: [Notice]; listening: [] }>();
  #client: pg.Client | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: StoreDb,
    private readonly url: string,
  ) {}

  /** Resolves once this replica listens. */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    // A lost connection: listen again on a new one.
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      this.listenLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      try {
        const { origin, kind, id } = JSON.parse(message.payload ?? '') as Notice & { origin: string };
        if (origin !== this.#origin) this.#received.emit('notice', { kind, id });
      } catch {
        // Not one of ours.
      }
    });
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) await client.end();
    else {
      this.#client = client;
      this.#received.emit('listening');
    }
  }

  /** Whether notices are heard now (one sent while they were not is lost). */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** Each time this replica starts listening again (notices may have been missed before). */
  onListening(listener: () => void): void {
    this.#received.on('listening', listener);
  }

  async publish(notice: Notice): Promise<void> {
    await sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ origin: this.#origin, ...notice })})`.execute(this.db);
  }

  onNotice(listener: (notice: Notice) => void): void {
    this.#received.on('notice', listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#client?.end().catch(() => undefined);
  }

  private listenLater(): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => void this.start().catch(() => this.listenLater()), RECONNECT_MS);
  }
}
