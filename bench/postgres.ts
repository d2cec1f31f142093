/**
 * PostgreSQL for the benches: a throwaway database on the server at BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres, a user allowed to create and drop databases), and the CPU its
 * server spends on one database's connections (read from /proc: the bench must run on the server's machine as a
 * user that may read the backends' /proc/<pid>/stat, root for instance).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { cpuSeconds } from './proc.js';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** New backends are found this often while a run lasts; one that ends between two looks loses that last stretch. */
const LOOK_EVERY_MS = 250;

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function throwawayDatabase(): Promise<ThrowawayDatabase> {
  const name = `gw_bench_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/**
 * Starts counting the CPU seconds (utime + stime) of the server's backends connected to `database`: those there now
 * from now on, those that connect later from their start. `stop()` ends the count and returns it.
 */
export async function serverCpu(database: string): Promise<{ stop(): Promise<number> }> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const look = async (atStart: boolean) => {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
    for (const { pid } of rows) {
      let seconds: number;
      try {
        seconds = cpuSeconds(pid);
      } catch {
        continue; // ended since the server listed it
      }
      if (!first.has(pid)) first.set(pid, atStart ? seconds : 0);
      last.set(pid, seconds);
    }
  };
  await look(true);
  let counting = true;
  const looking = (async () => {
    while (counting) {
      await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
      await look(false);
    }
  })();
  return {
    async stop() {
      counting = false;
      await looking;
      await look(false);
      await client.end();
      return [...last].reduce((sum, [pid, seconds]) => sum + seconds - (first.get(pid) ?? 0), 0);
    },
  };
}
