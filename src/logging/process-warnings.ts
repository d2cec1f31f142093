/**
 * Node's own warnings (MaxListenersExceededWarning, deprecations) as log lines. Node prints them as plain text on
 * stderr through a listener of its own; that listener is replaced, so they join the JSON log instead.
 *
 * Imported first by main.ts: a module's warning at import time then already has somewhere to go. Until main.ts
 * names the configured logger, warnings go to one at the default level.
 */
import { createLogger, type Logger } from './logger.js';

let target: Logger = createLogger('info');

process.removeAllListeners('warning');
process.on('warning', (warning) => target.warn('process warning:', warning));

/** Where warnings are logged from now on. */
export function logProcessWarningsTo(logger: Logger): void {
  target = logger;
}
