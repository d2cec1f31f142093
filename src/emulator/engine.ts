/** What the task engines share: the clock, the fleet, seeded draws and the notification hook. */
import type { Clock } from './clock.js';
import type { Fleet } from './fleet.js';
import type { Subtask } from './model.js';
import type { Random } from './random.js';

export interface Outcomes {
  success: number;
  fail: number;
  timeout: number;
}

export type UpgradeStep = 'idle' | 'downloading' | 'downloaded' | 'updating';

export type UpgradeNotice =
  | { kind: 'state'; subtask: Subtask; step: UpgradeStep }
  | { kind: 'result'; subtask: Subtask; success: boolean; description: string; durationSeconds: number };

export interface EngineContext {
  clock: Clock;
  fleet: Fleet;
  seed: number;
  /** Ids of everything created, history and API alike, come from this one stream. */
  ids: Random;
  outcomes: Outcomes;
  notify(notice: UpgradeNotice): void;
  /** Whether anyone listens for progress notices of this kind (saves events while replaying history). */
  wantsProgress(appId: string, firmware: boolean): boolean;
}
