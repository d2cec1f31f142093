import { ArrayMaxSize } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import type { Device as DeviceModel } from '../domain/devices.js';
import { ConnectionArgs, MAX_FIRST } from '../schema/connection.js';
import { Device } from '../schema/devices.type.js';
import { IdArgs } from '../schema/id-args.js';
import { OperationConnection, OperationFilter } from '../schema/upgrade-tasks.type.js';
import { connectionOf, windowOf } from './connection.js';

@ArgsType()
class DevicesArgs {
  @Field(() => [ID], { description: `At most ${MAX_FIRST} ids.` })
  @ArrayMaxSize(MAX_FIRST)
  ids!: string[];
}

@Resolver(() => Device)
export class DeviceResolver {
  @Query(() => Device, { nullable: true, description: 'One device; null when unknown.' })
  device(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { loaders }: GatewayContext): Promise<DeviceModel | null> {
    return loaders.device.load(id);
  }

  @Query(() => [Device], { nullable: 'items', description: 'Devices in the order of ids; null where unknown.' })
  devices(@Args(() => DevicesArgs) { ids }: DevicesArgs, @Ctx() { loaders }: GatewayContext): Promise<(DeviceModel | null | Error)[]> {
    return loaders.device.loadMany(ids);
  }

  @FieldResolver(() => OperationConnection, { nullable: true, description: "The device's upgrade history, newest first." })
  async operations(
    @Root() device: DeviceModel,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => OperationFilter, { nullable: true }) filter: OperationFilter | undefined,
    @Ctx() { apis, loaders }: GatewayContext,
  ) {
    const window = windowOf(args);
    const page = await apis.operations.list({ ...filter, deviceId: device.id }, window);
    for (const operation of page.items) loaders.operation.prime(operation.id, operation);
    return connectionOf(page, window);
  }
}
