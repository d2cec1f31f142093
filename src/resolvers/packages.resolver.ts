import { Arg, Args, Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import type { UpgradePackage as UpgradePackageModel } from '../domain/packages.js';
import { ConnectionArgs } from '../schema/connection.js';
import { IdArgs } from '../schema/id-args.js';
import { UpgradePackage, UpgradePackageConnection, UpgradePackageFilter } from '../schema/packages.type.js';
import { connectionOf, windowOf } from './connection.js';

@Resolver(() => UpgradePackage)
export class UpgradePackageResolver {
  @Query(() => UpgradePackageConnection, { nullable: true, description: 'Uploaded firmware and software packages, newest first.' })
  async upgradePackages(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => UpgradePackageFilter, { nullable: true }) filter: UpgradePackageFilter | undefined,
    @Ctx() { apis, loaders }: GatewayContext,
  ) {
    const window = windowOf(args);
    const page = await apis.upgradePackages.list(filter ?? {}, window);
    for (const pkg of page.items) loaders.upgradePackage.prime(pkg.id, pkg);
    return connectionOf(page, window);
  }

  @Query(() => UpgradePackage, { nullable: true, description: 'One package; null when unknown.' })
  upgradePackage(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { loaders }: GatewayContext): Promise<UpgradePackageModel | null> {
    return loaders.upgradePackage.load(id);
  }
}
