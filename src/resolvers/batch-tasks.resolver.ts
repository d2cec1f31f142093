import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { hasEnded } from '../domain/upgrade-tasks.js';
import type { BatchTask as BatchTaskModel, BatchTaskDetail as BatchTaskDetailModel } from '../domain/batch-tasks.js';
import type { Device as DeviceModel } from '../domain/devices.js';
import { hintTask } from '../schema/cache-control.js';
import { BatchTask, BatchTaskDetail, BatchTaskDetailArgs, BatchTaskDetailConnection } from '../schema/batch-tasks.type.js';
import { Device } from '../schema/devices.type.js';
import { IdArgs } from '../schema/id-args.js';
import { connectionOf, windowOf } from './connection.js';

@Resolver(() => BatchTask)
export class BatchTaskResolver {
  @Query(() => BatchTask, { nullable: true, description: 'One batch task; appId for a task of an application that authorised ours.' })
  async batchTask(
    @Args(() => IdArgs) { id }: IdArgs,
    @Arg('appId', () => ID, { nullable: true }) appId: string | undefined,
    @Ctx() { apis }: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<BatchTaskModel | null> {
    const task = await apis.batchTasks.find(id, appId);
    hintTask(info, task !== null && hasEnded(task));
    return task;
  }

  @FieldResolver(() => [Device], { nullable: 'items', description: 'The targeted devices when param is a device list; empty otherwise.' })
  devices(@Root() task: BatchTaskModel, @Ctx() { apis, loaders, platform }: GatewayContext): Promise<(DeviceModel | null | Error)[]> {
    if (task.appId === undefined || task.appId === platform.appId) return loaders.device.loadMany(task.deviceIds);
    const owner = task.appId;
    return Promise.all(task.deviceIds.map((id) => apis.devices.find(id, owner)));
  }

  @FieldResolver(() => BatchTaskDetailConnection, { nullable: true, description: 'Null, with an error at this path, when the platform could not be read.' })
  async details(
    @Root() task: BatchTaskModel,
    @Args(() => BatchTaskDetailArgs) args: BatchTaskDetailArgs,
    @Ctx() { apis, platform }: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    hintTask(info, hasEnded(task));
    const window = windowOf(args);
    const appId = task.appId === platform.appId ? undefined : task.appId;
    // Every device has one detail, so an unfiltered list is exactly stats.total long.
    const knownTotal = args.status === undefined || args.status === null ? task.stats.total : undefined;
    return connectionOf(await apis.batchTasks.details(task.id, appId, args.status ?? undefined, window, knownTotal), window);
  }
}

@Resolver(() => BatchTaskDetail)
export class BatchTaskDetailResolver {
  @FieldResolver(() => Device, { nullable: true })
  async device(@Root() detail: BatchTaskDetailModel, @Ctx() { apis, loaders }: GatewayContext): Promise<DeviceModel | null> {
    if (detail.deviceId === undefined) return null;
    return detail.appId === undefined ? loaders.device.load(detail.deviceId) : apis.devices.find(detail.deviceId, detail.appId);
  }
}
