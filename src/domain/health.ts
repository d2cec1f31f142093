/** The gateway's health as users see it: its platform connection, and the fleet mirror (what it keeps, how fresh). */
import { enumOf, type IsoTime, type ValueOf } from './values.js';

/** STALE: the last full sync is older than its period and push is off. */
export const MirrorState = enumOf(['EMPTY', 'SYNCING', 'READY', 'STALE']);
export type MirrorState = ValueOf<typeof MirrorState>;

export interface MirrorCounts {
  devices: number;
  operations: number;
  subtasks: number;
}

export interface NotificationStatus {
  subscribed: string[];
  received: number;
  rejected: number;
  lastReceivedAt?: IsoTime;
}

export interface MirrorStatus extends MirrorCounts {
  state: MirrorState;
  lastFullSyncAt?: IsoTime;
  nextFullSyncAt?: IsoTime;
  budgetShare: number;
  notifications: NotificationStatus;
}

/** The gateway's view of its platform connection, checked when asked. */
export interface PlatformHealth {
  platformUrl: string;
  /** The platform is the emulator embedded in this gateway. */
  emulator: boolean;
  loginOk: boolean;
  /** When loginOk is false: the error's code (as in extensions.code) and the platform's own. */
  error?: string;
  upstreamCode?: string;
  /** The call budget had no slot for the check: the platform was not asked. */
  budgetExhausted: boolean;
  budgetRetryAfterSeconds?: number;
  checkedAt?: Date;
}
