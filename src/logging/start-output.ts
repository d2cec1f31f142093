/**
 * What the process prints besides its log: the start-up summary (stdout) and the lines of a refused start (stderr).
 * A person at a terminal reads text. Anything else (a pipe, a file, journald, a container's log) gets one JSON object
 * per line in the log's own shape, so that every line the process writes there parses as JSON.
 */
import pino from 'pino';
import { createLogger } from './logger.js';

/** The summary as text on a terminal; otherwise one `info` line "gateway started" with `fields`, whatever LOG_LEVEL. */
export function printStarted(fields: Record<string, unknown>, text: readonly string[]): void {
  if (process.stdout.isTTY) {
    for (const line of text) process.stdout.write(`${line}\n`);
    return;
  }
  jsonLines(1, 'info').info(fields, 'gateway started');
}

/** Why the start was refused, one line each: text on a terminal, otherwise `error` lines. */
export function printRefused(lines: readonly string[]): void {
  if (process.stderr.isTTY) {
    for (const line of lines) process.stderr.write(`${line}\n`);
    return;
  }
  const logger = jsonLines(2, 'error');
  for (const line of lines) logger.error(line);
}

/** Synchronous writes: a refused start exits right after it prints. */
function jsonLines(fd: 1 | 2, level: 'info' | 'error') {
  return createLogger(level, pino.destination({ fd, sync: true }));
}
