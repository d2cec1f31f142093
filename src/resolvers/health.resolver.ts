import { Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { gatewayCodeOf, PlatformError } from '../datasources/platform/errors.js';
import { RateLimitedError } from '../datasources/platform/rate-budget.js';
import { Health } from '../schema/health.type.js';

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, { nullable: true, description: 'Checks the platform connection: login (or the current token) and one authenticated read.' })
  async health(@Ctx() ctx: GatewayContext): Promise<Health> {
    const base = { platformUrl: ctx.platform.url, emulator: ctx.embeddedEmulator, checkedAt: new Date(), budgetExhausted: false };
    try {
      await ctx.platform.health(ctx.scope);
      return { ...base, loginOk: true };
    } catch (error) {
      // An exhausted budget is information about the gateway, not a failed check of the platform.
      if (error instanceof RateLimitedError) {
        return { ...base, loginOk: ctx.platform.tokenValid, budgetExhausted: true, budgetRetryAfterSeconds: error.retryAfterSeconds };
      }
      // A platform failure is the answer to this query; anything else is a bug and surfaces as an error.
      if (!(error instanceof PlatformError)) throw error;
      return { ...base, loginOk: false, error: gatewayCodeOf(error), upstreamCode: error.code };
    }
  }
}
