import type { BatchTask } from '../domain/batch-tasks.js';
import type { Device } from '../domain/devices.js';
import type { Operation, Subtask } from '../domain/upgrade-tasks.js';

/** What changed, for live updates. */
export interface MirrorEvents {
  device: [Device];
  operation: [Operation];
  subtask: [Subtask];
  batchTask: [BatchTask];
}
