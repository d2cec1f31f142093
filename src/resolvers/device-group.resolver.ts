import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import type { DeviceGroup as DeviceGroupModel } from '../domain/packages.js';
import { ConnectionArgs } from '../schema/connection.js';
import { DeviceConnection } from '../schema/devices.type.js';
import { DeviceGroup, DeviceGroupConnection } from '../schema/packages.type.js';
import { connectionOf, windowOf } from './connection.js';

@Resolver(() => DeviceGroup)
export class DeviceGroupResolver {
  @Query(() => DeviceGroupConnection, { nullable: true })
  async deviceGroups(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { apis }: GatewayContext) {
    const window = windowOf(args);
    return connectionOf(await apis.deviceGroups.list(window), window);
  }

  @FieldResolver(() => DeviceConnection, { nullable: true, description: "The group's members (a device that no longer exists is left out)." })
  async devices(@Root() group: DeviceGroupModel, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { apis, loaders }: GatewayContext) {
    const window = windowOf(args);
    const ids = await apis.deviceGroups.memberIds(group.id, window);
    const devices = await loaders.device.loadMany(ids.items);
    const failure = devices.find((d) => d instanceof Error);
    if (failure) throw failure;
    return connectionOf({ ...ids, items: devices.filter((d) => d !== null) }, window);
  }
}
