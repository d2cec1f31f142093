/**
 * Why a store could not be opened, in one line for the operator: the variable to look at (GATEWAY_DATA_DIR or
 * DATABASE_URL), what is wrong and the fix. Never the URL itself: it may carry a password.
 */
import { join } from 'node:path';
import { StoreSchemaError } from './migrate.js';
import { SQLITE_FILE, type StoreLocation } from './index.js';

/** Node's and SQLite's codes for a file or directory the process may not write or read. */
const ACCESS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_PERM', 'SQLITE_IOERR_ACCESS']);
const PATH_CODES = new Set(['ENOTDIR', 'EEXIST']);
const DAMAGED_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);
/** The network's codes for a server that cannot be reached (and pg's own timeout, which has none). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);
/** PostgreSQL's SQLSTATEs for a login that is refused, and for a database that does not exist. */
const LOGIN_REFUSED = new Set(['28000', '28P01']);
const NO_DATABASE = '3D000';

/** The one line that explains `error` (thrown by openStore) to whoever starts the gateway. */
export function describeOpenFailure(error: unknown, location: StoreLocation): string {
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return location.engine === 'sqlite' ? sqliteFailure(location.dataDir, code, message, error) : postgresFailure(location.url, code, message, error);
}

function sqliteFailure(dataDir: string, code: string | undefined, message: string, error: unknown): string {
  const file = join(dataDir, SQLITE_FILE);
  const elsewhere = 'or set GATEWAY_DATA_DIR to a directory it may write (:memory: keeps nothing)';
  if (error instanceof StoreSchemaError) return `GATEWAY_DATA_DIR: the store ${file}: ${message}`;
  if (code !== undefined && ACCESS_CODES.has(code)) {
    return `GATEWAY_DATA_DIR: ${dataDir} cannot be read and written by this process (${code}: ${message}); give the gateway's user read and write access to that directory and its files, ${elsewhere}`;
  }
  if (code !== undefined && PATH_CODES.has(code)) return `GATEWAY_DATA_DIR: ${dataDir} is not a directory (${code}); remove what is there, ${elsewhere}`;
  if (code !== undefined && (DAMAGED_CODES.has(code) || code.startsWith('SQLITE_CORRUPT'))) {
    return `GATEWAY_DATA_DIR: ${file} is not a usable SQLite database (${code}: ${message}); restore it from a backup, or move it away to start afresh (the mirror refills from the platform; idempotency keys and rollouts are lost)`;
  }
  return `GATEWAY_DATA_DIR: the store ${file} cannot be opened (${code ?? 'error'}: ${message}); check the directory and its files, ${elsewhere}`;
}

function postgresFailure(url: string, code: string | undefined, message: string, error: unknown): string {
  const where = serverOf(url);
  const said = redacted(message, url);
  if (error instanceof StoreSchemaError) return `DATABASE_URL: the database ${where.database} on ${where.server}: ${said}`;
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || /timeout|terminated/i.test(message)) {
    return `DATABASE_URL: PostgreSQL at ${where.server} cannot be reached (${code ?? said}); start the server, or correct the host and port in DATABASE_URL`;
  }
  if (code !== undefined && LOGIN_REFUSED.has(code)) return `DATABASE_URL: PostgreSQL at ${where.server} refused the login (${said}); correct the user and password in DATABASE_URL`;
  if (code === NO_DATABASE) return `DATABASE_URL: PostgreSQL at ${where.server} has no database ${where.database}; create it (empty), or correct the database in DATABASE_URL`;
  return `DATABASE_URL: the database ${where.database} on ${where.server} cannot be used (${code ?? 'error'}: ${said}); check DATABASE_URL and the user's rights on that database`;
}

/** Host, port and database of a URL, for a message: never its user's password. */
function serverOf(url: string): { server: string; database: string } {
  try {
    const parsed = new URL(url);
    return { server: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`, database: decodeURIComponent(parsed.pathname.slice(1)) || '(the default)' };
  } catch {
    return { server: 'the configured server', database: '(as configured)' };
  }
}

/** A driver's message with the URL's password taken out, should it quote it. */
function redacted(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // An unparsable URL: nothing to take out but the URL itself.
  }
  let said = message.split(url).join('DATABASE_URL');
  if (password) said = said.split(password).join('***');
  return said;
}
