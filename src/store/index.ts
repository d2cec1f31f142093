/**
 * The gateway's durable store: SQLite in a file under `GATEWAY_DATA_DIR` by default (`:memory:` keeps nothing),
 * PostgreSQL when `DATABASE_URL` is set (replicas share it). One schema, one set of migrations and the same
 * queries on both engines (Kysely). Knows nothing of GraphQL or HTTP.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { LRUCache } from 'lru-cache';
import { AuditRepository } from './audit.repository.js';
import { BudgetRepository } from './budget.repository.js';
import { DataVersion } from './data-version.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { LeaseRepository } from './leases.repository.js';
import { BatchTasksRepository } from './batch-tasks.repository.js';
import { DevicesRepository } from './devices.repository.js';
import { PackagesRepository } from './packages.repository.js';
import { SyncStateRepository } from './sync-state.repository.js';
import { UpgradeTasksRepository } from './upgrade-tasks.repository.js';
import { migrate } from './migrate.js';
import { StoreNotices } from './notices.js';
import { RolloutRepository } from './rollouts.repository.js';
import { ContinuousRolloutsRepository } from './continuous-rollouts.repository.js';
import { DynamicGroupsRepository } from './dynamic-groups.repository.js';
import { RolloutScheduleRepository } from './rollout-schedule.repository.js';
import { TokenRepository } from './token.repository.js';
import type { StoreDb, StoreSchema } from './schema.js';

export type StoreLocation = { engine: 'sqlite'; dataDir: string } | { engine: 'postgres'; url: string };

export interface Store {
  engine: StoreLocation['engine'];
  db: StoreDb;
  idempotency: IdempotencyRepository;
  budget: BudgetRepository;
  /** The fleet mirror: one repository per aggregate. The sync (src/sync) is their only writer. */
  mirror: MirrorRepositories;
  rollouts: RolloutRepository;
  /** Saved device filters, and the continuous rollouts that follow them (the gateway's own state). */
  dynamicGroups: DynamicGroupsRepository;
  continuousRollouts: ContinuousRolloutsRepository;
  rolloutSchedule: RolloutScheduleRepository;
  leases: LeaseRepository;
  /** Who sent which mutation, and how it ended. */
  audit: AuditRepository;
  /** Moves once a write to the mirror or the rollouts commits, here or (told) elsewhere. */
  dataVersion: DataVersion;
  /** PostgreSQL, where replicas share the store: their one platform token, and notices of changes between them. */
  shared?: { tokens: TokenRepository; notices: StoreNotices };
  close(): Promise<void>;
}

export interface MirrorRepositories {
  devices: DevicesRepository;
  upgradeTasks: UpgradeTasksRepository;
  packages: PackagesRepository;
  batchTasks: BatchTasksRepository;
  syncState: SyncStateRepository;
}

/** One statement the store ran, as an observer (tracing) sees it: the SQL with its placeholders, never their values. */
export interface StoreQuery {
  engine: StoreLocation['engine'];
  sql: string;
  durationMs: number;
  /** Why it failed: the driver's code (`SQLITE_BUSY`, PostgreSQL's SQLSTATE) or the error's name. */
  error?: string;
}

export interface StoreOptions {
  /** Told of every statement once it has run (unset: Kysely logs nothing, at no cost). */
  onQuery?: (query: StoreQuery) => void;
}

export const SQLITE_FILE = 'gateway.sqlite';

/** Opens the store and brings its schema up to date; a schema newer than this code stops here (StoreSchemaError). */
export async function openStore(location: StoreLocation, options: StoreOptions = {}): Promise<Store> {
  const dataVersion = new DataVersion();
  const dialect = location.engine === 'sqlite' ? await sqliteDialect(location.dataDir, dataVersion) : await postgresDialect(location.url);
  const { onQuery } = options;
  const log =
    onQuery &&
    ((event: LogEvent) => {
      // Kysely would fail the query with its logger: an observer's failure is its own.
      try {
        onQuery(storeQueryOf(location.engine, event));
      } catch {
        // ignored: see onQuery
      }
    });
  const db = new Kysely<StoreSchema>({ dialect: dataVersion.watch(dialect), log });
  let shared: Store['shared'];
  try {
    await migrate(db);
    if (location.engine === 'postgres') {
      shared = { tokens: new TokenRepository(db), notices: new StoreNotices(db, location.url) };
      shareDataVersion(dataVersion, shared.notices);
      await shared.notices.start();
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    engine: location.engine,
    db,
    idempotency: new IdempotencyRepository(db),
    budget: new BudgetRepository(db, location.engine),
    mirror: {
      devices: new DevicesRepository(db, location.engine),
      upgradeTasks: new UpgradeTasksRepository(db),
      packages: new PackagesRepository(db),
      batchTasks: new BatchTasksRepository(db),
      syncState: new SyncStateRepository(db),
    },
    rollouts: new RolloutRepository(db),
    dynamicGroups: new DynamicGroupsRepository(db),
    continuousRollouts: new ContinuousRolloutsRepository(db),
    rolloutSchedule: new RolloutScheduleRepository(db),
    leases: new LeaseRepository(db),
    audit: new AuditRepository(db),
    dataVersion,
    shared,
    close: async () => {
      await shared?.notices.close();
      await db.destroy();
    },
  };
}

/**
 * Replicas tell each other of their commits to the data (one notice at a time, the last one after the last commit);
 * while this one cannot hear them, its data version is not trusted, and once it hears again, it moves.
 */
function shareDataVersion(version: DataVersion, notices: StoreNotices): void {
  let sending = false;
  let again = false;
  const announce = (): void => {
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    void notices
      .publish({ kind: DATA_NOTICE, id: '' })
      .catch(() => undefined)
      .finally(() => {
        sending = false;
        if (again) {
          again = false;
          announce();
        }
      });
  };
  version.onLocalCommit(announce);
  notices.onNotice((notice) => notice.kind === DATA_NOTICE && version.bump());
  notices.onListening(() => version.bump());
  version.watchOthers(() => (notices.listening ? '' : undefined));
}

const DATA_NOTICE = 'data';

function storeQueryOf(engine: StoreLocation['engine'], event: LogEvent): StoreQuery {
  const query: StoreQuery = { engine, sql: event.query.sql, durationMs: event.queryDurationMillis };
  if (event.level === 'error') {
    const { code, name } = (typeof event.error === 'object' && event.error !== null ? event.error : {}) as { code?: unknown; name?: unknown };
    query.error = typeof code === 'string' ? code : typeof name === 'string' ? name : 'Error';
  }
  return query;
}

async function sqliteDialect(dataDir: string, version: DataVersion): Promise<SqliteDialect> {
  // Loaded only when used: a gateway on PostgreSQL never loads the native SQLite module.
  const { default: Database } = await import('better-sqlite3');
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = join(dataDir, SQLITE_FILE);
  }
  const database = new Database(file);
  // WAL: readers never wait for the writer, and a crash loses no committed write.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  // 4 MB of pages in the process (better-sqlite3's default is 16 MB): the hot reads fit, and the operating system's
  // file cache holds the rest without counting it against the gateway's memory.
  database.pragma('cache_size = -4000');
  // Another process's commits to the same file (this connection's own do not change it).
  const othersCommits = database.prepare('pragma data_version').pluck();
  version.watchOthers(() => String(othersCommits.get()));
  return new SqliteDialect({ database: withStatementCache(database) });
}

/** Prepared statements the hot reads use again and again (a dashboard's five): prepared once, not per query. */
const STATEMENT_CACHE_SIZE = 256;
/**
 * Their SQL's characters at most: a statement's memory in SQLite grows with its text, and the sync's many-row upserts
 * (a text per row count, tens of kB each) would otherwise keep about 10 MB prepared that is seldom run again.
 */
const STATEMENT_CACHE_CHARACTERS = 64_000;

function withStatementCache(database: SqliteDatabase): SqliteDatabase {
  const statements = new LRUCache<string, SqliteStatement>({ max: STATEMENT_CACHE_SIZE, maxSize: STATEMENT_CACHE_CHARACTERS, sizeCalculation: (_, sql) => sql.length });
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}

async function postgresDialect(url: string): Promise<PostgresDialect> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // A server that cannot be reached fails a query soon (the call budget then counts alone) rather than never.
    connectionTimeoutMillis: 3000,
    // bigint columns hold epoch milliseconds, well inside a JS number: read them as numbers, not strings.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as 'text')) },
  });
  // A client that loses its server must not crash the process, idle (the pool's error) or checked out between two
  // statements of a transaction (its own): the next query reports the failure.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new PostgresDialect({ pool });
}
