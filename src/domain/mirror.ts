/** The fleet mirror as users see it: what the gateway keeps of the platform, and how fresh it is. */
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
