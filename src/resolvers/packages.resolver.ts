import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { DeviceGroup as DeviceGroupModel, UpgradePackage as UpgradePackageModel } from '../domain/packages.js';
import { ConnectionArgs } from '../schema/connection.js';
import { DeviceConnection } from '../schema/devices.type.js';
import { IdArgs } from '../schema/id-args.js';
import { DeviceGroup, DeviceGroupConnection, UpgradePackage, UpgradePackageConnection, UpgradePackageFilter } from '../schema/packages.type.js';
import { connectionOf, windowOf } from './connection.js';
import type { ResolverContext } from './context.js';

@Resolver(() => UpgradePackage)
export class UpgradePackageResolver {
  @Query(() => UpgradePackageConnection, { nullable: true, description: 'Uploaded firmware and software packages, newest first.' })
  async upgradePackages(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => UpgradePackageFilter, { nullable: true }) filter: UpgradePackageFilter | undefined,
    @Ctx() { services }: ResolverContext,
  ) {
    const window = windowOf(args);
    return connectionOf(await services.packages.list(filter ?? {}, window), window);
  }

  @Query(() => UpgradePackage, { nullable: true, description: 'One package; null when unknown.' })
  upgradePackage(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { services }: ResolverContext): Promise<UpgradePackageModel | null> {
    return services.packages.find(id);
  }
}

@Resolver(() => DeviceGroup)
export class DeviceGroupResolver {
  @Query(() => DeviceGroupConnection, { nullable: true })
  async deviceGroups(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { services }: ResolverContext) {
    const window = windowOf(args);
    return connectionOf(await services.packages.groups(window), window);
  }

  @FieldResolver(() => DeviceConnection, { nullable: true, description: "The group's members (a device that no longer exists is left out)." })
  async devices(@Root() group: DeviceGroupModel, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { services }: ResolverContext) {
    const window = windowOf(args);
    return connectionOf(await services.packages.members(group.id, window), window);
  }
}
