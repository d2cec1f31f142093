import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { hasEnded, type Operation as OperationModel, type OperationTargets as OperationTargetsModel, type SubtaskStatus as SubtaskStatusModel } from '../domain/upgrade-tasks.js';
import type { Device } from '../domain/devices.js';
import { hintTask } from '../schema/cache-control.js';
import { ConnectionArgs } from '../schema/connection.js';
import { Device as DeviceType } from '../schema/devices.type.js';
import { IdArgs } from '../schema/id-args.js';
import { Operation, OperationConnection, OperationFilter, OperationTargets, SubtaskArgs } from '../schema/upgrade-tasks.type.js';
import { SubtaskConnection } from '../schema/upgrade-tasks.type.js';
import { connectionOf, windowOf } from './connection.js';

@Resolver(() => Operation)
export class OperationResolver {
  @Query(() => OperationConnection, { nullable: true, description: 'Upgrade tasks, newest first.' })
  async operations(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => OperationFilter, { nullable: true }) filter: OperationFilter | undefined,
    @Ctx() { apis, loaders }: GatewayContext,
  ) {
    const window = windowOf(args);
    const page = await apis.operations.list(filter ?? {}, window);
    // A subtask asking for its operation later finds it here instead of calling the platform.
    for (const operation of page.items) loaders.operation.prime(operation.id, operation);
    return connectionOf(page, window);
  }

  @Query(() => Operation, { nullable: true, description: 'One upgrade task; null when the platform does not know it.' })
  async operation(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { loaders }: GatewayContext, @Info() info: GraphQLResolveInfo): Promise<OperationModel | null> {
    const operation = await loaders.operation.load(id);
    hintTask(info, operation !== null && hasEnded(operation));
    return operation;
  }

  @FieldResolver(() => SubtaskConnection, { nullable: true, description: 'The per-device subtasks, in the platform\'s order.' })
  async subtasks(
    @Root() operation: OperationModel,
    @Args(() => SubtaskArgs) args: SubtaskArgs,
    @Ctx() { apis }: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const window = windowOf(args);
    const status = args.status ?? undefined;
    const ended = hasEnded(operation);
    hintTask(info, ended);
    const page = await apis.operations.subtasks(operation.id, status, window, knownSubtaskCount(operation, status), ended);
    return connectionOf(page, window);
  }
}

@Resolver(() => OperationTargets)
export class OperationTargetsResolver {
  @FieldResolver(() => [DeviceType], { nullable: 'items', description: 'The targeted devices (device-list targets), null where unknown.' })
  async devices(@Root() targets: OperationTargetsModel, @Ctx() { apis, loaders }: GatewayContext): Promise<(Device | null)[]> {
    // A task's targets are all of the package's product: listing the device type may be cheaper than one call each.
    const devices = await apis.devices.findOfOneProduct(targets.deviceIds);
    targets.deviceIds.forEach((id, i) => loaders.device.prime(id, devices[i] ?? null));
    return devices;
  }
}

const STATS_BUCKET = { WAIT: 'wait', PROCESSING: 'processing', SUCCESS: 'success', FAILED: 'fail', STOPPED: 'stop', TIMEOUT: 'timeout' } as const;

/** How many subtasks match for sure: all of them (fixed at creation), or a status count once the task has ended. */
function knownSubtaskCount(operation: OperationModel, status: SubtaskStatusModel | undefined): number | undefined {
  if (status === undefined) return operation.stats.total;
  return hasEnded(operation) ? operation.stats[STATS_BUCKET[status]] : undefined;
}
