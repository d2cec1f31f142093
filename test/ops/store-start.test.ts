// A store the gateway cannot use stops the start with one line naming its variable (GATEWAY_DATA_DIR or DATABASE_URL)
// and the fix, like a configuration error: no stack, no password. The real entry point, as an operator starts it.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type StoreLocation } from '../../src/store/index.js';
import { freePort, refusalLines, runMain } from '../harness/gateway.js';
import { testStoreLocation, type TestStoreLocation } from '../harness/store.js';

/** Root reads and writes whatever the permissions say: the gateway runs as nobody there. */
const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const run = (env: Record<string, string>, user = {}) => runMain({ PORT: '0', EMULATOR_PORT: '0', GATEWAY_PLAYGROUND: 'off', ...env }, user);
const ACCESS_FIX = "give the gateway's user read and write access to";

let parent: string;
beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'gw-store-start-'));
  // Another user must reach the directories inside.
  await chmod(parent, 0o755);
});
afterAll(async () => {
  await chmod(parent, 0o755).catch(() => undefined);
  await rm(parent, { recursive: true, force: true });
});

async function dataDir(name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { mode: 0o755 });
  return dir;
}

/** A store migrated by this version, then marked with a migration only a newer one knows. */
async function newerStore(location: StoreLocation): Promise<void> {
  const store = await openStore(location);
  await sql`insert into kysely_migration (name, timestamp) values ('9999-from-a-newer-gateway', ${new Date().toISOString()})`.execute(store.db);
  await store.close();
}

function oneLine(result: { code: number | null; stdout: string; stderr: string }): string {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  const lines = refusalLines(result.stderr);
  expect(lines).toHaveLength(1);
  // The reason and its fix, never a stack.
  expect(JSON.parse(result.stderr).err).toBeUndefined();
  expect(lines[0]).not.toMatch(/\n\s+at /);
  return lines[0] as string;
}

describe('a GATEWAY_DATA_DIR the gateway cannot use', () => {
  it('unreadable: one line naming GATEWAY_DATA_DIR and the access it needs', async () => {
    const dir = await dataDir('unreadable');
    await chmod(dir, 0o000);
    const line = oneLine(await run({ GATEWAY_DATA_DIR: dir }, UNPRIVILEGED));
    expect(line).toBe(`GATEWAY_DATA_DIR: ${join(dir, 'emulator', 'state.json')} cannot be read (EACCES); ${ACCESS_FIX} ${dir} and its files, or set GATEWAY_DATA_DIR to a directory it may write`);
  });

  it('unreadable with a real platform (no emulator state to read first): the store says so', async () => {
    const dir = await dataDir('unreadable-remote');
    await chmod(dir, 0o000);
    const line = oneLine(await run({ GATEWAY_DATA_DIR: dir, NORTHBOUND_URL: 'https://127.0.0.1:1', NORTHBOUND_APP_ID: 'a', NORTHBOUND_SECRET: 's', GATEWAY_API_KEYS: 'a-key-of-at-least-thirty-two-characters:read' }, UNPRIVILEGED));
    expect(line).toMatch(new RegExp(`^GATEWAY_DATA_DIR: ${dir} cannot be read and written by this process \\(SQLITE_CANTOPEN: .*\\); ${ACCESS_FIX} that directory`));
  });

  it('read-only, holding a store from an earlier start: one line naming GATEWAY_DATA_DIR', { timeout: 60_000 }, async () => {
    const dir = await dataDir('read-only');
    expect((await run({ GATEWAY_DATA_DIR: dir })).code).toBe(0);
    await chmod(join(dir, 'gateway.sqlite'), 0o444);
    await chmod(dir, 0o555);
    const line = oneLine(await run({ GATEWAY_DATA_DIR: dir }, UNPRIVILEGED));
    expect(line).toMatch(new RegExp(`^GATEWAY_DATA_DIR: ${dir} cannot be read and written by this process \\(SQLITE_READONLY\\w*: attempt to write a readonly database\\); ${ACCESS_FIX} that directory and its files, or set GATEWAY_DATA_DIR to a directory it may write \\(:memory: keeps nothing\\)$`));
  });

  it('a damaged store file: one line naming it, with what restoring or moving it away means', async () => {
    const dir = await dataDir('corrupt');
    await writeFile(join(dir, 'gateway.sqlite'), Buffer.alloc(8192, 'not a database '));
    const line = oneLine(await run({ GATEWAY_DATA_DIR: dir }));
    expect(line).toBe(
      `GATEWAY_DATA_DIR: ${join(dir, 'gateway.sqlite')} is not a usable SQLite database (SQLITE_NOTADB: file is not a database); restore it from a backup, ` +
        'or move it away to start afresh (the mirror refills from the platform; idempotency keys and rollouts are lost)',
    );
  });

  it('a store a newer gateway migrated: one line naming the migration it does not know', async () => {
    const dir = await dataDir('newer');
    await newerStore({ engine: 'sqlite', dataDir: dir });
    const line = oneLine(await run({ GATEWAY_DATA_DIR: dir }));
    expect(line).toMatch(
      new RegExp(`^GATEWAY_DATA_DIR: the store ${join(dir, 'gateway.sqlite')}: the store's schema is newer than this gateway knows \\(it has migration 9999-from-a-newer-gateway; .*\\): run the newer gateway version, or restore a backup`),
    );
  });
});

describe('a DATABASE_URL the gateway cannot use', () => {
  let database: TestStoreLocation;
  beforeAll(async () => {
    database = await testStoreLocation('postgres');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('unreachable: one line naming DATABASE_URL, its server, never its password', async () => {
    const port = await freePort();
    const line = oneLine(await run({ GATEWAY_DATA_DIR: ':memory:', DATABASE_URL: `postgres://postgres:s3cret-pw@127.0.0.1:${port}/gateway` }));
    expect(line).toBe(`DATABASE_URL: PostgreSQL at 127.0.0.1:${port} cannot be reached (ECONNREFUSED); start the server, or correct the host and port in DATABASE_URL`);
  });

  it('a database that does not exist: one line naming it', async () => {
    const url = new URL(database.env.DATABASE_URL as string);
    url.pathname = '/gw_no_such_database';
    url.password = 's3cret-pw';
    const line = oneLine(await run({ GATEWAY_DATA_DIR: ':memory:', DATABASE_URL: url.toString() }));
    expect(line).toMatch(/^DATABASE_URL: PostgreSQL at [^ ]+ has no database gw_no_such_database; create it \(empty\), or correct the database in DATABASE_URL$/);
    expect(line).not.toContain('s3cret-pw');
  });

  it('a database a newer gateway migrated: one line naming DATABASE_URL and the migration', async () => {
    await newerStore(database.location);
    const line = oneLine(await run({ GATEWAY_DATA_DIR: ':memory:', ...database.env }));
    expect(line).toMatch(/^DATABASE_URL: the database gw_test_\w+ on [^ ]+: the store's schema is newer than this gateway knows \(it has migration 9999-from-a-newer-gateway; /);
    expect(line).not.toContain(database.env.DATABASE_URL);
  });
});
