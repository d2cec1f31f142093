import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001-idempotency-keys-and-budget.js';
import * as m0002 from './migrations/0002-fleet-mirror.js';
import * as m0003 from './migrations/0003-rollouts.js';
import * as m0004 from './migrations/0004-platform-token.js';
import * as m0005 from './migrations/0005-device-pushes.js';
import * as m0006 from './migrations/0006-group-members-synced.js';
import * as m0007 from './migrations/0007-platform-sent-at.js';
import * as m0008 from './migrations/0008-budget-buckets.js';
import * as m0009 from './migrations/0009-fleet-query.js';
import * as m0010 from './migrations/0010-device-groups.js';
import * as m0011 from './migrations/0011-rollout-schedule.js';
import * as m0012 from './migrations/0012-audit-log.js';

/** Every migration this code knows, in order; one file per step, never edited once released. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-idempotency-keys-and-budget': m0001,
  '0002-fleet-mirror': m0002,
  '0003-rollouts': m0003,
  '0004-platform-token': m0004,
  '0005-device-pushes': m0005,
  '0006-group-members-synced': m0006,
  '0007-platform-sent-at': m0007,
  '0008-budget-buckets': m0008,
  '0009-fleet-query': m0009,
  '0010-device-groups': m0010,
  '0011-rollout-schedule': m0011,
  '0012-audit-log': m0012,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** The store was written by a newer gateway: running on it could misread or damage what that version wrote. */
export class StoreSchemaError extends Error {
  override readonly name = 'StoreSchemaError';
}

/** Brings the schema to the latest version; idempotent, and safe when several gateways start at once. */
export async function migrate<Schema>(store: Kysely<Schema>): Promise<void> {
  const db = store as unknown as Kysely<unknown>;
  const known = new Set(Object.keys(MIGRATIONS));
  const unknown = await appliedUnknown(db, known);
  if (unknown.length > 0) {
    throw new StoreSchemaError(
      `the store's schema is newer than this gateway knows (it has migration ${unknown.join(', ')}; this version knows up to ` +
        `${[...known].at(-1)}): run the newer gateway version, or restore a backup made before the upgrade`,
    );
  }
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
}

async function appliedUnknown(db: Kysely<unknown>, known: ReadonlySet<string>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration')) return [];
  const rows = await (db as Kysely<{ kysely_migration: { name: string } }>).selectFrom('kysely_migration').select('name').execute();
  return rows.map((r) => r.name).filter((name) => !known.has(name));
}
