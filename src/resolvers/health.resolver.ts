import { Ctx, FieldResolver, Int, Query, Resolver } from 'type-graphql';
import type { BudgetStatus, MirrorStatus as MirrorStatusModel } from '../domain/health.js';
import { CallBudget, Health, MirrorStatus } from '../schema/health.type.js';
import { DateTimeScalar } from '../schema/scalars.js';
import type { ResolverContext } from './context.js';

/** What `health` answers before anything is asked: the check runs for the fields that need it, once per request. */
interface HealthRoot {
  platformUrl: string;
  emulator: boolean;
}

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, {
    nullable: true,
    description: 'The platform connection (login, or the current token, and one authenticated read: only when a field of the check is asked for) and the call budget.',
  })
  health(@Ctx() { services }: ResolverContext): HealthRoot {
    return { platformUrl: services.health.platformUrl, emulator: services.health.emulator };
  }

  @FieldResolver(() => Boolean)
  async loginOk(@Ctx() { services }: ResolverContext): Promise<boolean> {
    return (await services.health.check()).loginOk;
  }

  @FieldResolver(() => String, { nullable: true })
  async error(@Ctx() { services }: ResolverContext): Promise<string | undefined> {
    return (await services.health.check()).error;
  }

  @FieldResolver(() => String, { nullable: true })
  async upstreamCode(@Ctx() { services }: ResolverContext): Promise<string | undefined> {
    return (await services.health.check()).upstreamCode;
  }

  @FieldResolver(() => Boolean)
  async budgetExhausted(@Ctx() { services }: ResolverContext): Promise<boolean> {
    return (await services.health.check()).budgetExhausted;
  }

  @FieldResolver(() => Int, { nullable: true })
  async budgetRetryAfterSeconds(@Ctx() { services }: ResolverContext): Promise<number | undefined> {
    return (await services.health.check()).budgetRetryAfterSeconds;
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true })
  async checkedAt(@Ctx() { services }: ResolverContext): Promise<Date | undefined> {
    return (await services.health.check()).checkedAt;
  }

  @FieldResolver(() => CallBudget, { nullable: true })
  budget(@Ctx() { services, role, client }: ResolverContext): Promise<BudgetStatus | null> {
    return services.health.budgetStatus({ role, client });
  }

  @Query(() => MirrorStatus, { description: 'The fleet mirror: its state, what it holds, how fresh, and the notifications it receives.' })
  mirror(@Ctx() { services }: ResolverContext): Promise<MirrorStatusModel> {
    return services.health.mirrorStatus();
  }
}
