// Real store engines for tests: a fresh SQLite data dir, or a fresh PostgreSQL database on the server at
// TEST_DATABASE_URL (default: the local server), each randomly named and dropped afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreLocation } from '../../src/store/index.js';

export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestStoreLocation {
  location: StoreLocation;
  /** The gateway's environment for this store. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function testStoreLocation(engine: Engine): Promise<TestStoreLocation> {
  if (engine === 'sqlite') {
    const dataDir = await mkdtemp(join(tmpdir(), 'gw-store-'));
    return { location: { engine, dataDir }, env: { GATEWAY_DATA_DIR: dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `gw_test_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    location: { engine, url: url.toString() },
    env: { DATABASE_URL: url.toString() },
    drop: () => admin(`drop database if exists ${name} with (force)`),
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
