import { inspect } from 'node:util';
import { LOG_LEVELS, type LogLevel } from './config.js';

/** The shape Apollo Server's `logger` option expects, so one logger serves both. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Plain lines on stderr (stdout is kept for the start-up summary): `time LEVEL message`. */
export function createLogger(level: LogLevel): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (name: LogLevel) =>
    (...args: unknown[]): void => {
      if (LOG_LEVELS.indexOf(name) > threshold) return;
      const message = args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 4, breakLength: Infinity }))).join(' ');
      process.stderr.write(`${new Date().toISOString()} ${name.toUpperCase()} ${message}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
