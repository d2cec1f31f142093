/**
 * The gateway's health as a client asks for it: the platform connection checked now (once per request, and only when
 * a field of the check is asked for), the call budget as it stands (read from the ledger: no platform call), and the
 * mirror's state.
 */
import type { PlatformClient, CallScope } from '../datasources/platform/client.js';
import { gatewayCodeOf, PlatformError } from '../datasources/platform/errors.js';
import { RateLimitedError, type RateBudget } from '../datasources/platform/rate-budget.js';
import type { Viewer } from '../domain/access.js';
import { budgetSeenBy, type BudgetStatus, type MirrorStatus, type PlatformHealth } from '../domain/health.js';
import type { Mirror } from '../sync/mirror.js';
import { storeOutageOf } from './store-outage.js';

const MIRROR_OFF: MirrorStatus = { state: 'EMPTY', devices: 0, operations: 0, subtasks: 0, budgetShare: 0, notifications: { subscribed: [], received: 0, rejected: 0, pending: 0 } };

export class HealthService {
  #check: Promise<PlatformHealth> | undefined;

  constructor(
    private readonly platform: PlatformClient,
    private readonly scope: CallScope,
    private readonly embeddedEmulator: boolean,
    private readonly mirror?: Mirror,
    private readonly budget?: RateBudget,
  ) {}

  /** What is known without asking the platform: where it is, and whether it is the embedded emulator. */
  get platformUrl(): string {
    return this.platform.url;
  }

  get emulator(): boolean {
    return this.embeddedEmulator;
  }

  /** Login (or the current token) and one authenticated read; every field of one request shares the one check. */
  check(): Promise<PlatformHealth> {
    return (this.#check ??= this.runCheck());
  }

  /** The call budget's window, as `viewer` may see it; null without a budget (a client made without one). */
  async budgetStatus(viewer: Viewer): Promise<BudgetStatus | null> {
    if (!this.budget) return null;
    try {
      return budgetSeenBy(await this.budget.status(), viewer);
    } catch (error) {
      throw storeOutageOf(error, 'The call budget') ?? error;
    }
  }

  mirrorStatus(): Promise<MirrorStatus> {
    return this.mirror ? this.mirror.status() : Promise.resolve(MIRROR_OFF);
  }

  private async runCheck(): Promise<PlatformHealth> {
    const base = { platformUrl: this.platform.url, emulator: this.embeddedEmulator, checkedAt: new Date(), budgetExhausted: false };
    try {
      await this.platform.health(this.scope);
      return { ...base, loginOk: true };
    } catch (error) {
      // An exhausted budget is information about the gateway, not a failed check of the platform.
      if (error instanceof RateLimitedError) {
        return { ...base, loginOk: this.platform.tokenValid, budgetExhausted: true, budgetRetryAfterSeconds: error.retryAfterSeconds };
      }
      // A platform failure is the answer to this check; anything else is a bug and surfaces as an error.
      if (!(error instanceof PlatformError)) throw error;
      return { ...base, loginOk: false, error: gatewayCodeOf(error), upstreamCode: error.code };
    }
  }
}
