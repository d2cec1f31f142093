/** What the task engines share: the clock, the fleet, seeded draws, steered outcomes and the notification hooks. */
import type { Clock } from './clock.js';
import type { Fleet } from './fleet.js';
import type { Device, Subtask } from './model.js';
import type { Random } from './random.js';
import type { Steering } from './steering.js';

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
  /** Rates set through POST /_emulator/outcomes, read when a run or command starts. */
  steering: Steering;
  notify(notice: UpgradeNotice): void;
  /** A device's own data changed (a finished upgrade's version). */
  deviceChanged(device: Device): void;
  /** Whether anyone listens for progress notices of this kind (saves events while replaying history). */
  wantsProgress(appId: string, firmware: boolean): boolean;
}
