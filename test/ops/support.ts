// Shared by the operations tests: a gateway with its own emulator, logging at debug level, and the dashboard query.
import type { Env } from '../../src/config.js';
import { startStack, type Stack } from '../harness/stack.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A gateway with its own emulator (20 devices), logging at debug level unless `env` says otherwise. */
export function startEmbedded(env: Env = {}): Promise<Stack> {
  return startStack({ platform: 'embedded', env: { LOG_LEVEL: 'debug', ...env } });
}

export const DASHBOARD = `query Dashboard {
  operations(first: 20) {
    nodes {
      id
      status
      stats { total success fail progress }
      subtasks(first: 10) { nodes { status device { name fwVersion status } } }
    }
  }
}`;
