import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { Device } from '../domain/devices.js';
import { hasEnded, type Operation as OperationModel, type OperationFilter as OperationFilterModel, type OperationTargets as OperationTargetsModel, type OperationType, type Subtask as SubtaskModel, type UpgradeTaskRequest } from '../domain/upgrade-tasks.js';
import { hintTask } from '../schema/cache-control.js';
import { ConnectionArgs } from '../schema/connection.js';
import { Device as DeviceType } from '../schema/devices.type.js';
import { IdArgs } from '../schema/id-args.js';
import { CreateUpgradeTaskInput, CreateUpgradeTaskPayload } from '../schema/upgrade-tasks.input.js';
import { Operation, OperationConnection, OperationFilter, OperationTargets, Subtask, SubtaskArgs, SubtaskConnection, SubtaskUpdatedArgs } from '../schema/upgrade-tasks.type.js';
import { connectionOf, windowOf } from './connection.js';
import type { ResolverContext } from './context.js';

type Data = SubscribeResolverData<unknown, Record<string, unknown>, ResolverContext>;

function upgradeRequest(type: OperationType, input: CreateUpgradeTaskInput): UpgradeTaskRequest {
  const { targets, policy } = input;
  return {
    type,
    fileId: input.fileId,
    targets: { deviceIds: targets.deviceIds, deviceGroups: targets.deviceGroups, deviceType: targets.deviceType, model: targets.model, manufacturerName: targets.manufacturerName },
    policy: { executeType: policy?.executeType ?? 'NOW', startTime: policy?.startTime, endTime: policy?.endTime, retry: policy?.retry ?? false, retryTimes: policy?.retryTimes },
  };
}

@Resolver(() => Operation)
export class OperationResolver {
  @Query(() => OperationConnection, { nullable: true, description: 'Upgrade tasks, newest first.' })
  async operations(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => OperationFilter, { nullable: true }) filter: OperationFilter | undefined,
    @Ctx() { services }: ResolverContext,
  ) {
    const window = windowOf(args);
    return connectionOf(await services.upgradeTasks.list(filter ?? {}, window), window);
  }

  @Query(() => Operation, { nullable: true, description: 'One upgrade task; null when the platform does not know it.' })
  async operation(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { services }: ResolverContext, @Info() info: GraphQLResolveInfo): Promise<OperationModel | null> {
    const operation = await services.upgradeTasks.find(id);
    hintTask(info, operation !== null && hasEnded(operation));
    return operation;
  }

  @FieldResolver(() => SubtaskConnection, { nullable: true, description: 'The per-device subtasks, in the platform\'s order.' })
  async subtasks(@Root() operation: OperationModel, @Args(() => SubtaskArgs) args: SubtaskArgs, @Ctx() { services }: ResolverContext, @Info() info: GraphQLResolveInfo) {
    const window = windowOf(args);
    hintTask(info, hasEnded(operation));
    return connectionOf(await services.upgradeTasks.subtasks(operation, args.status ?? undefined, window), window);
  }

  @Authorized('operate')
  @Mutation(() => CreateUpgradeTaskPayload, { description: 'Rolls a firmware package out to devices or device groups.' })
  createFirmwareUpgradeTask(@Arg('input', () => CreateUpgradeTaskInput) input: CreateUpgradeTaskInput, @Ctx() ctx: ResolverContext) {
    return this.create('FIRMWARE_UPGRADE', input, ctx);
  }

  @Authorized('operate')
  @Mutation(() => CreateUpgradeTaskPayload, { description: 'Rolls a software package out to devices or device groups.' })
  createSoftwareUpgradeTask(@Arg('input', () => CreateUpgradeTaskInput) input: CreateUpgradeTaskInput, @Ctx() ctx: ResolverContext) {
    return this.create('SOFTWARE_UPGRADE', input, ctx);
  }

  @Subscription(() => Operation, {
    description: "An upgrade task whose status or stats changed (its subtasks' steps and results, from the platform's notifications).",
    subscribe: ({ args, context }: Data) => context.services.live.operation((args as { id: string }).id),
  })
  operationUpdated(@Arg('id', () => ID) _id: string, @Root() operation: OperationModel): OperationModel {
    return operation;
  }

  @Subscription(() => Operation, {
    description: 'Any upgrade task that changed or appeared, optionally filtered.',
    subscribe: ({ args, context }: Data) => context.services.live.operations((args as { filter?: OperationFilterModel }).filter),
  })
  operationsChanged(@Arg('filter', () => OperationFilter, { nullable: true }) _filter: OperationFilter | undefined, @Root() operation: OperationModel): OperationModel {
    return operation;
  }

  private async create(type: OperationType, input: CreateUpgradeTaskInput, { services, client, scope }: ResolverContext) {
    const operationId = await services.upgradeTasks.createForClient(upgradeRequest(type, input), { client, key: input.idempotencyKey, kind: type, deadline: scope.deadline });
    return { operationId };
  }
}

@Resolver(() => OperationTargets)
export class OperationTargetsResolver {
  @FieldResolver(() => [DeviceType], { nullable: 'items', description: 'The targeted devices (device-list targets), null where unknown.' })
  devices(@Root() targets: OperationTargetsModel, @Ctx() { services }: ResolverContext): Promise<(Device | null)[]> {
    return services.devices.ofOneProduct(targets.deviceIds);
  }
}

@Resolver(() => Subtask)
export class SubtaskResolver {
  @FieldResolver(() => Operation)
  async operation(@Root() subtask: SubtaskModel, @Ctx() { services }: ResolverContext, @Info() info: GraphQLResolveInfo): Promise<OperationModel> {
    const operation = await services.upgradeTasks.find(subtask.operationId);
    if (!operation) throw new Error(`operation ${subtask.operationId} of subtask ${subtask.id} vanished`);
    hintTask(info, hasEnded(operation));
    return operation;
  }

  @FieldResolver(() => DeviceType, { nullable: true, description: 'Fetched once per request however many subtasks name it.' })
  device(@Root() subtask: SubtaskModel, @Ctx() { services }: ResolverContext): Promise<Device | null> {
    return services.devices.find(subtask.deviceId);
  }

  @Subscription(() => Subtask, {
    description: "A subtask of the task whose status or step changed; `status`: only those that reached one of these.",
    subscribe: ({ args, context }: Data) => {
      const { operationId, status } = args as { operationId: string; status?: SubtaskModel['status'][] };
      return context.services.live.subtasks(operationId, status);
    },
  })
  subtaskUpdated(@Args(() => SubtaskUpdatedArgs) _args: SubtaskUpdatedArgs, @Root() subtask: SubtaskModel): SubtaskModel {
    return subtask;
  }
}

// The created object is read back in its own field: if that read fails, the id of what was created still reaches
// the client (with an error on the field), instead of the whole mutation failing after the task exists.
@Resolver(() => CreateUpgradeTaskPayload)
export class CreateUpgradeTaskPayloadResolver {
  @FieldResolver(() => Operation, { nullable: true })
  operation(@Root() payload: { operationId: string }, @Ctx() { services }: ResolverContext): Promise<OperationModel | null> {
    return services.upgradeTasks.find(payload.operationId);
  }
}
