/**
 * The store's data version: a value that changes once a write to the data answers are made of (the mirror, the
 * rollouts) has committed, so that whatever was computed from the store under an older value is known to be old.
 * It is taken from the driver itself, under every repository: a write to a data table that changed rows moves it
 * once its transaction commits (or at once, outside one). Writes of the gateway's bookkeeping (the call ledger,
 * leases, tokens, idempotency keys) leave it alone.
 *
 * Other writers: SQLite's `data_version` tells this process's connection of another process's commits on the same
 * file; on PostgreSQL each replica announces its commits (a notice), and while the notices cannot be heard the
 * version is not trusted (`current` answers undefined).
 */
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, OperationNode, QueryResult, TransactionSettings } from 'kysely';

/** Tables no answer is read from: their writes do not change the data version. */
const BOOKKEEPING = new Set(['budget_buckets', 'budget_calls', 'store_leases', 'platform_tokens', 'idempotency_keys', 'kysely_migration', 'kysely_migration_lock']);
const WRITE_KINDS = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

export class DataVersion {
  #local = 0;
  #others: () => string | undefined = () => '';
  readonly #listeners = new Set<() => void>();

  /** The version now; undefined while another writer's commits cannot be known. */
  current(): string | undefined {
    const others = this.#others();
    return others === undefined ? undefined : `${this.#local}:${others}`;
  }

  /** Another writer committed (a notice from another replica), or may have (notices that could have been missed). */
  bump(): void {
    this.#local += 1;
  }

  /** This process's own commits (to announce them to other replicas). */
  onLocalCommit(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** How this process learns of other writers' commits: a value that changes with them, undefined when unknown. */
  watchOthers(others: () => string | undefined): void {
    this.#others = others;
  }

  /** The dialect with its driver watched: every committed write to a data table moves the version. */
  watch(dialect: Dialect): Dialect {
    const committed = () => this.#commit();
    return {
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: (db) => dialect.createIntrospector(db),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createDriver: () => new WatchedDriver(dialect.createDriver(), committed),
    };
  }

  #commit(): void {
    this.#local += 1;
    for (const listener of this.#listeners) listener();
  }
}

class WatchedDriver implements Driver {
  /** Connections in a transaction, and whether it wrote data. */
  readonly #open = new WeakMap<DatabaseConnection, { wrote: boolean }>();
  /** Each connection's watched stand-in, and back. */
  readonly #watched = new WeakMap<DatabaseConnection, DatabaseConnection>();
  readonly #inner = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly driver: Driver,
    private readonly committed: () => void,
  ) {}

  init(): Promise<void> {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.driver.acquireConnection();
    let watched = this.#watched.get(connection);
    if (!watched) {
      watched = this.#watch(connection);
      this.#watched.set(connection, watched);
    }
    return watched;
  }

  #watch(connection: DatabaseConnection): DatabaseConnection {
    const watched: DatabaseConnection = {
      executeQuery: async <R>(compiled: CompiledQuery): Promise<QueryResult<R>> => {
        const result = await connection.executeQuery<R>(compiled);
        if (writesData(compiled) && (result.numAffectedRows ?? 1n) > 0n) {
          const transaction = this.#open.get(watched);
          if (transaction) transaction.wrote = true;
          else this.committed();
        }
        return result;
      },
      streamQuery: (compiled, chunkSize) => connection.streamQuery(compiled, chunkSize),
    };
    this.#inner.set(watched, connection);
    return watched;
  }

  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return this.#inner.get(connection) ?? connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.driver.beginTransaction(this.#unwrap(connection), settings);
    this.#open.set(connection, { wrote: false });
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const transaction = this.#open.get(connection);
    this.#open.delete(connection);
    await this.driver.commitTransaction(this.#unwrap(connection));
    if (transaction?.wrote) this.committed();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#open.delete(connection);
    await this.driver.rollbackTransaction(this.#unwrap(connection));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(this.#unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}

/** A statement that may change a data table: a write whose table is not bookkeeping (a raw write counts too). */
function writesData(compiled: CompiledQuery): boolean {
  const node = compiled.query as OperationNode & Record<string, unknown>;
  if (WRITE_KINDS.has(node.kind)) {
    const table = tableOf(node.kind === 'InsertQueryNode' ? node.into : node.kind === 'DeleteQueryNode' ? (node.from as { froms?: unknown[] } | undefined)?.froms?.[0] : node.table);
    return table === undefined || !BOOKKEEPING.has(table);
  }
  if (node.kind !== 'RawNode') return false;
  const text = compiled.sql.trimStart().toLowerCase();
  if (!/^(insert|update|delete|replace|with|merge)\b/.test(text)) return false;
  return ![...BOOKKEEPING].some((table) => text.includes(table)) || /mirror_|rollout/.test(text);
}

/** The table a query node names (through an alias), if it can be told. */
function tableOf(node: unknown): string | undefined {
  const n = node as { kind?: string; node?: unknown; table?: { identifier?: { name?: string } } } | undefined;
  if (n?.kind === 'AliasNode') return tableOf(n.node);
  if (n?.kind === 'TableNode') return n.table?.identifier?.name;
  return undefined;
}
