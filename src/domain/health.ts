/** The gateway's health as users see it: its platform connection, and the fleet mirror (what it keeps, how fresh). */
import type { Viewer } from './access.js';
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
  /** Taken (journaled, answered 200) and not applied to the store yet. */
  pending: number;
  oldestPendingAt?: IsoTime;
}

/** The receiver's counters as this process counts them, from its start (the metrics'). */
export interface NotificationCounts {
  /** Taken: journaled and answered 200. */
  received: number;
  /** Refused: a wrong secret, malformed, another application's (404, 400). */
  rejected: number;
  /** Answered 503 (the journal could not be written, or is full): the platform sends them again. */
  deferred: number;
  /** Set aside by the applier: they kept failing while the store answered. */
  discarded: number;
  pending: number;
  /** Epoch ms. */
  oldestPendingAt?: number;
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

/** The calls one client has counted in the budget's window. */
export interface ClientCalls {
  client: string;
  used: number;
}

/** The application's call budget as it stands: the calls of the sliding window, and whose they are. */
export interface BudgetStatus {
  used: number;
  limit: number;
  windowSeconds: number;
  /** When the window's oldest call leaves it (a slot frees); 0 when it holds none. */
  resetsInSeconds: number;
  /** Most calls first. */
  byClient: ClientCalls[];
}

/**
 * What a caller may see of the budget: an `operate` key every client's calls, a `read` key its own line alone; the
 * caller's own line is there either way (0 before its first call of the window).
 */
export function budgetSeenBy(budget: BudgetStatus, caller: Viewer): BudgetStatus {
  const own = budget.byClient.find((line) => line.client === caller.client);
  if (caller.role === 'read') return { ...budget, byClient: [own ?? { client: caller.client, used: 0 }] };
  return own ? budget : { ...budget, byClient: [...budget.byClient, { client: caller.client, used: 0 }] };
}
