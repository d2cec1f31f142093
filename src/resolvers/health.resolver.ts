import { Ctx, Query, Resolver } from 'type-graphql';
import type { MirrorStatus as MirrorStatusModel, PlatformHealth } from '../domain/health.js';
import { Health, MirrorStatus } from '../schema/health.type.js';
import type { ResolverContext } from './context.js';

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, { nullable: true, description: 'Checks the platform connection: login (or the current token) and one authenticated read.' })
  health(@Ctx() { services }: ResolverContext): Promise<PlatformHealth> {
    return services.health.check();
  }

  @Query(() => MirrorStatus, { description: 'The fleet mirror: its state, what it holds, how fresh, and the notifications it receives.' })
  mirror(@Ctx() { services }: ResolverContext): Promise<MirrorStatusModel> {
    return services.health.mirrorStatus();
  }
}
