import { GraphQLError } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import type { Operation as OperationModel, OperationPolicy, SubtaskStatus } from '../domain/upgrade-tasks.js';
import type { UpgradePackage as UpgradePackageModel } from '../domain/packages.js';
import type { RolloutProgress } from '../domain/rollouts.js';
import type { Caller, RolloutService } from '../services/rollouts.service.js';
import { Operation } from '../schema/upgrade-tasks.type.js';
import { CreateRolloutInput, RetryFailedDevicesArgs } from '../schema/rollouts.input.js';
import { CreateRolloutPayload, Rollout, RolloutConnection, RolloutsArgs, RolloutWave } from '../schema/rollouts.type.js';
import type { OperationPolicyInput } from '../schema/upgrade-tasks.input.js';
import { UpgradePackage } from '../schema/packages.type.js';
import { connectionOf, windowOf } from './connection.js';

/** A rollout as the graph shows it. */
export interface RolloutNode extends Omit<RolloutProgress, 'createdAt' | 'updatedAt' | 'waves' | 'threshold'> {
  createdAt: string;
  updatedAt: string;
  failureThreshold: RolloutProgress['threshold'];
  waves: WaveNode[];
}

interface WaveNode extends Omit<RolloutProgress['waves'][number], 'startedAt' | 'finishedAt' | 'soakUntil' | 'tasks'> {
  startedAt?: string;
  finishedAt?: string;
  soakUntil?: string;
  operationIds: string[];
  stats: RolloutProgress['stats'];
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

export function rolloutNode(view: RolloutProgress): RolloutNode {
  const { createdAt, updatedAt, waves, threshold, ...rest } = view;
  return {
    ...rest,
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    failureThreshold: threshold,
    waves: waves.map(({ tasks, startedAt, finishedAt, soakUntil, ...wave }, i) => ({
      ...wave,
      startedAt: iso(startedAt),
      finishedAt: iso(finishedAt),
      soakUntil: iso(soakUntil),
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

/** Rollouts are run by the orchestrator over the mirror: without the mirror there are none. */
export function rolloutsOf(ctx: GatewayContext): RolloutService {
  if (!ctx.rollouts) {
    throw new GraphQLError('Rollouts need the fleet mirror, which is off (MIRROR_BUDGET_SHARE=0).', { extensions: { code: 'MIRROR_UNAVAILABLE' } });
  }
  return ctx.rollouts;
}

const callerOf = (ctx: GatewayContext): Caller => ({ client: ctx.client, apis: ctx.apis, deadline: ctx.scope.deadline });

async function found(ctx: GatewayContext, id: string): Promise<RolloutNode> {
  const view = await rolloutsOf(ctx).find(id);
  if (!view) throw new GraphQLError(`No rollout ${id}.`, { extensions: { code: 'NOT_FOUND', argument: 'id' } });
  return rolloutNode(view);
}

@Resolver(() => Rollout)
export class RolloutResolver {
  @Query(() => RolloutConnection, { nullable: true, description: 'Rollouts, newest first, optionally in one state (from the store: no platform call).' })
  async rollouts(@Args(() => RolloutsArgs) args: RolloutsArgs, @Ctx() ctx: GatewayContext) {
    const window = windowOf(args);
    const page = await rolloutsOf(ctx).list(args.state, window);
    return connectionOf({ totalCount: page.totalCount, items: page.items.map(rolloutNode) }, window);
  }

  @Query(() => Rollout, { nullable: true })
  async rollout(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<RolloutNode | null> {
    const view = await rolloutsOf(ctx).find(id);
    return view ? rolloutNode(view) : null;
  }

  @Authorized('operate')
  @Mutation(() => CreateRolloutPayload, { description: 'Brings a package to many devices in waves; see DESIGN.md §2b.' })
  async createRollout(@Arg('input', () => CreateRolloutInput) input: CreateRolloutInput, @Ctx() ctx: GatewayContext) {
    const rolloutId = await rolloutsOf(ctx).create(
      {
        type: input.type,
        fileId: input.fileId,
        name: input.name,
        targets: { deviceIds: input.targets.deviceIds ?? undefined, filter: input.targets.filter ? { ...input.targets.filter } : undefined },
        waves: input.waves.map((w) => ({ count: w.count ?? undefined, percent: w.percent ?? undefined })),
        soakMinutes: input.soakMinutes,
        failureThreshold: input.failureThreshold && { percent: input.failureThreshold.percent, minFinished: input.failureThreshold.minFinished },
        policy: policyOf(input.policy),
        idempotencyKey: input.idempotencyKey,
      },
      callerOf(ctx),
    );
    return { rolloutId };
  }

  @Authorized('operate')
  @Mutation(() => CreateRolloutPayload, { description: "A one-wave rollout over the devices of an ended task whose subtasks ended in one of `statuses`." })
  async retryFailedDevices(@Args(() => RetryFailedDevicesArgs) args: RetryFailedDevicesArgs, @Ctx() ctx: GatewayContext) {
    const rolloutId = await rolloutsOf(ctx).retryFailedDevices(args.operationId, args.statuses as SubtaskStatus[], policyOf(args.policy), args.idempotencyKey, callerOf(ctx));
    return { rolloutId };
  }

  @Authorized('operate')
  @Mutation(() => Rollout, { description: 'No further wave starts; running platform tasks cannot be stopped and go on.' })
  async pauseRollout(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<RolloutNode> {
    return rolloutNode(await rolloutsOf(ctx).pause(id));
  }

  @Authorized('operate')
  @Mutation(() => Rollout, { description: 'Continues a PAUSED rollout, or a HALTED one as an explicit decision (the threshold then counts afresh).' })
  async resumeRollout(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<RolloutNode> {
    return rolloutNode(await rolloutsOf(ctx).resume(id));
  }

  @Authorized('operate')
  @Mutation(() => Rollout, { description: 'No further task is created; tasks on the platform run to their end.' })
  async cancelRollout(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<RolloutNode> {
    return rolloutNode(await rolloutsOf(ctx).cancel(id));
  }

  @FieldResolver(() => UpgradePackage, { nullable: true })
  package(@Root() rollout: RolloutNode, @Ctx() ctx: GatewayContext): Promise<UpgradePackageModel | null> {
    return ctx.apis.upgradePackages.find(rollout.fileId);
  }

  @FieldResolver(() => Operation, { nullable: true })
  sourceOperation(@Root() rollout: RolloutNode, @Ctx() { loaders }: GatewayContext): Promise<OperationModel | null> | null {
    return rollout.sourceOperationId ? loaders.operation.load(rollout.sourceOperationId) : null;
  }
}

@Resolver(() => RolloutWave)
export class RolloutWaveResolver {
  @FieldResolver(() => [Operation])
  async operations(@Root() wave: WaveNode, @Ctx() { loaders }: GatewayContext): Promise<OperationModel[]> {
    const operations = await loaders.operation.loadMany(wave.operationIds);
    return operations.filter((o): o is OperationModel => o !== null && !(o instanceof Error));
  }
}

@Resolver(() => CreateRolloutPayload)
export class CreateRolloutPayloadResolver {
  @FieldResolver(() => Rollout, { nullable: true })
  rollout(@Root() payload: { rolloutId: string }, @Ctx() ctx: GatewayContext): Promise<RolloutNode> {
    return found(ctx, payload.rolloutId);
  }
}
