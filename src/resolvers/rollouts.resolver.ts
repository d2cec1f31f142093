import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { ResolverContext } from './context.js';
import type { Operation as OperationModel, OperationPolicy, SubtaskStatus } from '../domain/upgrade-tasks.js';
import type { UpgradePackage as UpgradePackageModel } from '../domain/packages.js';
import { thresholdStanding, type RolloutProgress, type ThresholdStanding } from '../domain/rollouts.js';
import { Operation } from '../schema/upgrade-tasks.type.js';
import { CreateRolloutInput, RetryFailedDevicesArgs } from '../schema/rollouts.input.js';
import { CreateRolloutPayload, Rollout, RolloutConnection, RolloutsArgs, RolloutWave } from '../schema/rollouts.type.js';
import type { OperationPolicyInput } from '../schema/upgrade-tasks.input.js';
import { UpgradePackage } from '../schema/packages.type.js';
import { connectionOf, windowOf } from './connection.js';
import { scheduleNode, type ScheduleNode } from './rollout-schedule.js';

/** A rollout as the graph shows it. */
export interface RolloutNode extends Omit<RolloutProgress, 'createdAt' | 'updatedAt' | 'waves' | 'threshold' | 'startAt' | 'schedule'>, ScheduleNode {
  createdAt: string;
  updatedAt: string;
  failureThreshold: RolloutProgress['threshold'];
  thresholdStanding: ThresholdStanding | null;
  waves: WaveNode[];
}

interface WaveNode extends Omit<RolloutProgress['waves'][number], 'startedAt' | 'finishedAt' | 'soakUntil' | 'tasks'> {
  startedAt?: string;
  finishedAt?: string;
  soakUntil?: string;
  windowCuts: number;
  operationIds: string[];
  stats: RolloutProgress['stats'];
}

/** What every rollout command's answer means (DESIGN.md §2b). */
const TOOK_EFFECT = ' Answers the rollout as this call left it; a call that changed nothing (another operator was first, or the state does not allow it) is refused with STATE_CONFLICT and `extensions.state`.';

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

export function rolloutNode(view: RolloutProgress): RolloutNode {
  const { createdAt, updatedAt, waves, threshold, startAt, schedule, ...rest } = view;
  return {
    ...rest,
    ...scheduleNode(view),
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    failureThreshold: threshold,
    thresholdStanding: threshold && thresholdStanding(view.stats, threshold, view.thresholdBase),
    waves: waves.map(({ tasks, startedAt, finishedAt, soakUntil, ...wave }, i) => ({
      ...wave,
      startedAt: iso(startedAt),
      finishedAt: iso(finishedAt),
      soakUntil: iso(soakUntil),
      windowCuts: tasks.reduce((sum, t) => sum + (t.cutDevices ?? 0), 0),
      operationIds: tasks.map((t) => t.operationId).filter((id): id is string => id !== null),
      stats: view.waveStats[i] as RolloutProgress['stats'],
    })),
  };
}

function policyOf(input: OperationPolicyInput | undefined): OperationPolicy {
  return {
    executeType: input?.executeType ?? 'NOW',
    startTime: input?.startTime?.toISOString(),
    endTime: input?.endTime?.toISOString(),
    retry: input?.retry ?? false,
    retryTimes: input?.retry ? input.retryTimes : undefined,
  };
}

@Resolver(() => Rollout)
export class RolloutResolver {
  @Query(() => RolloutConnection, { nullable: true, description: 'Rollouts, newest first, optionally in one state (from the store: no platform call).' })
  async rollouts(@Args(() => RolloutsArgs) args: RolloutsArgs, @Ctx() ctx: ResolverContext) {
    const window = windowOf(args);
    const page = await ctx.services.rollouts.list(args.state, window);
    return connectionOf({ totalCount: page.totalCount, items: page.items.map(rolloutNode) }, window);
  }

  @Query(() => Rollout, { nullable: true })
  async rollout(@Arg('id', () => ID) id: string, @Ctx() ctx: ResolverContext): Promise<RolloutNode | null> {
    const view = await ctx.services.rollouts.find(id);
    return view ? rolloutNode(view) : null;
  }

  @Authorized('operate')
  @Mutation(() => CreateRolloutPayload, { description: 'Brings a package to many devices in waves; see DESIGN.md §2b.' })
  async createRollout(@Arg('input', () => CreateRolloutInput) input: CreateRolloutInput, @Ctx() ctx: ResolverContext) {
    const rolloutId = await ctx.services.rollouts.create(
      {
        type: input.type,
        fileId: input.fileId,
        name: input.name,
        targets: {
          deviceIds: input.targets.deviceIds ?? undefined,
          filter: input.targets.filter ? { ...input.targets.filter } : undefined,
          dynamicGroupId: input.targets.dynamicGroupId ?? undefined,
        },
        continuous: input.continuous,
        waves: input.waves.map((w) => ({ count: w.count ?? undefined, percent: w.percent ?? undefined })),
        soakMinutes: input.soakMinutes,
        failureThreshold: input.failureThreshold && { percent: input.failureThreshold.percent, minFinished: input.failureThreshold.minFinished },
        policy: policyOf(input.policy),
        startAt: input.startAt?.getTime(),
        maintenanceWindows: input.maintenanceWindows?.map((w) => ({ days: w.days, start: w.start, durationMinutes: w.durationMinutes, timeZone: w.timeZone })),
        idempotencyKey: input.idempotencyKey,
      },
    );
    return { rolloutId };
  }

  @Authorized('operate')
  @Mutation(() => CreateRolloutPayload, { description: "A one-wave rollout over the devices of an ended task whose subtasks ended in one of `statuses`." })
  async retryFailedDevices(@Args(() => RetryFailedDevicesArgs) args: RetryFailedDevicesArgs, @Ctx() ctx: ResolverContext) {
    const rolloutId = await ctx.services.rollouts.retryFailedDevices(args.operationId, args.statuses as SubtaskStatus[], policyOf(args.policy), args.idempotencyKey);
    return { rolloutId };
  }

  @Authorized('operate')
  @Mutation(() => Rollout, { description: 'No further wave starts; running platform tasks cannot be stopped and go on.' + TOOK_EFFECT })
  async pauseRollout(@Arg('id', () => ID) id: string, @Ctx() ctx: ResolverContext): Promise<RolloutNode> {
    return rolloutNode(await ctx.services.rollouts.pause(id));
  }

  @Authorized('operate')
  @Mutation(() => Rollout, { description: 'Continues a PAUSED rollout, or a HALTED one as an explicit decision (the threshold then counts afresh).' + TOOK_EFFECT })
  async resumeRollout(@Arg('id', () => ID) id: string, @Ctx() ctx: ResolverContext): Promise<RolloutNode> {
    return rolloutNode(await ctx.services.rollouts.resume(id));
  }

  @Authorized('operate')
  @Mutation(() => Rollout, { description: 'No further task is created; tasks on the platform run to their end.' + TOOK_EFFECT })
  async cancelRollout(@Arg('id', () => ID) id: string, @Ctx() ctx: ResolverContext): Promise<RolloutNode> {
    return rolloutNode(await ctx.services.rollouts.cancel(id));
  }

  @Subscription(() => Rollout, {
    description: "A rollout whose state, waves or figures changed (its tasks' progress included).",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, ResolverContext>) => context.services.live.rollout((args as { id: string }).id),
  })
  rolloutUpdated(@Arg('id', () => ID) _id: string, @Root() rollout: RolloutProgress): RolloutNode {
    return rolloutNode(rollout);
  }

  @FieldResolver(() => UpgradePackage, { nullable: true })
  package(@Root() rollout: RolloutNode, @Ctx() ctx: ResolverContext): Promise<UpgradePackageModel | null> {
    return ctx.services.packages.find(rollout.fileId);
  }

  @FieldResolver(() => Operation, { nullable: true })
  sourceOperation(@Root() rollout: RolloutNode, @Ctx() { services }: ResolverContext): Promise<OperationModel | null> | null {
    return rollout.sourceOperationId ? services.upgradeTasks.find(rollout.sourceOperationId) : null;
  }
}

@Resolver(() => RolloutWave)
export class RolloutWaveResolver {
  @FieldResolver(() => [Operation])
  operations(@Root() wave: WaveNode, @Ctx() { services }: ResolverContext): Promise<OperationModel[]> {
    return services.upgradeTasks.findMany(wave.operationIds);
  }
}

@Resolver(() => CreateRolloutPayload)
export class CreateRolloutPayloadResolver {
  @FieldResolver(() => Rollout, { nullable: true })
  async rollout(@Root() payload: { rolloutId: string }, @Ctx() { services }: ResolverContext): Promise<RolloutNode> {
    return rolloutNode(await services.rollouts.existing(payload.rolloutId));
  }
}
