import { Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context.js';
import { gatewayCodeOf, PlatformError } from '../datasources/platform-error.js';
import { Health } from '../schema/health.type.js';

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, { nullable: true, description: 'Checks the platform connection: login (or the current token) and one authenticated read.' })
  async health(@Ctx() ctx: GatewayContext): Promise<Health> {
    const base = { platformUrl: ctx.platform.url, emulator: ctx.embeddedEmulator, checkedAt: new Date() };
    try {
      await ctx.platform.health(ctx.scope);
      return { ...base, loginOk: true };
    } catch (error) {
      // A platform failure is the answer to this query; anything else is a bug and surfaces as an error.
      if (!(error instanceof PlatformError)) throw error;
      return { ...base, loginOk: false, error: gatewayCodeOf(error), upstreamCode: error.code };
    }
  }
}
