/** The gateway's health as a client asks for it: the platform connection checked now, and the mirror's state. */
import type { PlatformClient, CallScope } from '../datasources/platform/client.js';
import { gatewayCodeOf, PlatformError } from '../datasources/platform/errors.js';
import { RateLimitedError } from '../datasources/platform/rate-budget.js';
import type { MirrorStatus, PlatformHealth } from '../domain/health.js';
import type { Mirror } from '../sync/mirror.js';

const MIRROR_OFF: MirrorStatus = { state: 'EMPTY', devices: 0, operations: 0, subtasks: 0, budgetShare: 0, notifications: { subscribed: [], received: 0, rejected: 0, pending: 0 } };

export class HealthService {
  constructor(
    private readonly platform: PlatformClient,
    private readonly scope: CallScope,
    private readonly embeddedEmulator: boolean,
    private readonly mirror?: Mirror,
  ) {}

  /** Login (or the current token) and one authenticated read. */
  async check(): Promise<PlatformHealth> {
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

  mirrorStatus(): Promise<MirrorStatus> {
    return this.mirror ? this.mirror.status() : Promise.resolve(MIRROR_OFF);
  }
}
