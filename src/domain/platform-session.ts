/**
 * What the gateway keeps of its session with the platform, shared by restarts and replicas through the store: the
 * calls spent in the application's budget window, and the one access token of the application (sealed).
 */

/** The calls counted in the current window, by client. */
export interface BudgetUsage {
  total: number;
  byClient: ReadonlyMap<string, number>;
  /** When the oldest call in the window was counted: its slot frees one window later. */
  oldestAt: number | undefined;
  /** When each call in the window was counted, oldest first (what a replica knows of the window if the ledger goes). */
  times?: readonly number[];
}

/** A slot taken for one call, or the usage that refused it. */
export type TakeResult = { granted: { id: string; client: string } } | { refused: BudgetUsage };

/** The application's access token, sealed with a key only the application's secret gives. */
export interface SealedToken {
  sealed: string;
  expiresAt: number;
}
