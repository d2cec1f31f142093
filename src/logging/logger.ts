import { inspect } from 'node:util';
import pino, { type DestinationStream } from 'pino';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
/** Most to least severe: a level logs itself and everything before it. */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/**
 * The shape Apollo Server's `logger` option expects, so one logger serves both. Arguments are read the way pino
 * reads them, loosened for Apollo's plain strings: plain objects become fields of the line (`requestId`, `route`),
 * an Error becomes `err` (its message is also appended to the text), anything else is joined into `msg`.
 */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * Field names whose values never reach a log line, wherever a careless call might put them (a second line of
 * defence: the gateway logs no credentials, tokens or keys in the first place).
 */
export const REDACTED_FIELDS = ['secret', 'password', 'accessToken', 'refreshToken', 'authorization', 'apiKey', 'x-api-key', 'app_key'];

/**
 * One JSON object per line (pino) on stderr, or on `destination` (tests capture lines that way). stdout is kept
 * for the start-up summary. Lines carry `time` (ISO), `level` (its name), `msg`, and the fields given.
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination({ fd: 2, sync: true })): Logger {
  const base = pino(
    {
      level,
      base: { service: 'northbound-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
      redact: {
        paths: REDACTED_FIELDS.flatMap((field) => [`["${field}"]`, `*["${field}"]`, `*.*["${field}"]`]),
        censor: '[redacted]',
      },
    },
    destination,
  );
  const at =
    (name: LogLevel) =>
    (...args: unknown[]): void => {
      if (!base.isLevelEnabled(name)) return;
      const { fields, text } = toLine(args);
      base[name](fields, text);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function toLine(args: unknown[]): { fields: Record<string, unknown>; text: string } {
  const fields: Record<string, unknown> = {};
  const parts: string[] = [];
  for (const arg of args) {
    if (typeof arg === 'string') {
      parts.push(arg);
    } else if (arg instanceof Error) {
      fields.err = arg;
      parts.push(arg.message);
    } else if (isPlainObject(arg)) {
      Object.assign(fields, arg);
    } else {
      parts.push(inspect(arg, { depth: 4, breakLength: Infinity }));
    }
  }
  return { fields, text: parts.join(' ') };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * Name, message, stack and the error's own code fields, and nothing else: libraries hang request options (headers,
 * bodies, credentials) on their errors, and pino's standard serializer would copy every enumerable property.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { code, status, endpoint, kind } = error as Error & Record<string, unknown>;
  const extra = Object.fromEntries(
    Object.entries({ code, status, endpoint, kind }).filter(([, value]) => typeof value === 'string' || typeof value === 'number'),
  );
  return { type: error.name, message: error.message, ...extra, stack: error.stack };
}
