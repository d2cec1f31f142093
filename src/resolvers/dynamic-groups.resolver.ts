import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Device as DeviceModel } from '../domain/devices.js';
import type { DynamicGroup as DynamicGroupModel } from '../domain/dynamic-groups.js';
import { ConnectionArgs } from '../schema/connection.js';
import { DeviceConnection } from '../schema/devices.type.js';
import { CreateDynamicGroupInput, RenameDynamicGroupArgs } from '../schema/dynamic-groups.input.js';
import { DynamicGroup, DynamicGroupConnection, DynamicGroupMembersArgs } from '../schema/dynamic-groups.type.js';
import { IdArgs } from '../schema/id-args.js';
import { Rollout } from '../schema/rollouts.type.js';
import { connectionOf, windowOf, type ConnectionValue } from './connection.js';
import type { ResolverContext } from './context.js';
import { rolloutNode, type RolloutNode } from './rollouts.resolver.js';

/** A dynamic group as the graph shows it (its member count resolved apart). */
export interface DynamicGroupNode extends Omit<DynamicGroupModel, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

const groupNode = ({ createdAt, updatedAt, ...group }: DynamicGroupModel): DynamicGroupNode => ({
  ...group,
  createdAt: new Date(createdAt).toISOString(),
  updatedAt: new Date(updatedAt).toISOString(),
});

@Resolver(() => DynamicGroup)
export class DynamicGroupResolver {
  @Query(() => DynamicGroupConnection, { nullable: true, description: 'Dynamic groups (saved filters) by name, each with its member count now (from the store and the mirror: no platform call).' })
  async dynamicGroups(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { services }: ResolverContext) {
    const window = windowOf(args);
    const page = await services.dynamicGroups.list(window);
    return connectionOf({ totalCount: page.totalCount, items: page.items.map(groupNode) }, window);
  }

  @Query(() => DynamicGroup, { nullable: true, description: 'One dynamic group; null when unknown.' })
  async dynamicGroup(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { services }: ResolverContext): Promise<DynamicGroupNode | null> {
    const group = await services.dynamicGroups.find(id);
    return group && groupNode(group);
  }

  @Authorized('operate')
  @Mutation(() => DynamicGroup, { description: "Saves a filter under a name (unique regardless of case), the filter checked as fleet(filter:) checks it: BAD_USER_INPUT at input.name or input.filter's path otherwise, nothing saved." })
  async createDynamicGroup(@Arg('input', () => CreateDynamicGroupInput) input: CreateDynamicGroupInput, @Ctx() { services }: ResolverContext): Promise<DynamicGroupNode> {
    return groupNode(await services.dynamicGroups.create(input.name, { ...input.filter }));
  }

  @Authorized('operate')
  @Mutation(() => DynamicGroup, { description: 'Renames a dynamic group (its filter stays); NOT_FOUND for an unknown id.' })
  async renameDynamicGroup(@Args(() => RenameDynamicGroupArgs) { id, name }: RenameDynamicGroupArgs, @Ctx() { services }: ResolverContext): Promise<DynamicGroupNode> {
    return groupNode(await services.dynamicGroups.rename(id, name));
  }

  @Authorized('operate')
  @Mutation(() => ID, { description: 'Deletes a dynamic group and answers its id; STATE_CONFLICT while a continuous rollout that has not ended follows it.' })
  deleteDynamicGroup(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { services }: ResolverContext): Promise<string> {
    return services.dynamicGroups.delete(id);
  }

  @FieldResolver(() => Int)
  memberCount(@Root() group: DynamicGroupNode, @Ctx() { services }: ResolverContext): Promise<number> {
    return services.dynamicGroups.memberCount(group.filter);
  }

  @FieldResolver(() => DeviceConnection, { description: 'The devices the filter matches now, from the mirror.' })
  async members(@Root() group: DynamicGroupNode, @Args(() => DynamicGroupMembersArgs) args: DynamicGroupMembersArgs, @Ctx() { services }: ResolverContext): Promise<ConnectionValue<DeviceModel>> {
    const window = windowOf(args);
    return connectionOf(await services.dynamicGroups.members(group.filter, args.orderBy, window), window);
  }
}

/** What a rollout on a dynamic group adds: its group, and whether it still takes the devices that come to match. */
@Resolver(() => Rollout)
export class RolloutFollowingResolver {
  @FieldResolver(() => DynamicGroup, { nullable: true, description: 'the dynamic group the rollout was created on (null when deleted since, or not on one)' })
  async dynamicGroup(@Root() rollout: RolloutNode, @Ctx() { services }: ResolverContext): Promise<DynamicGroupNode | null> {
    const following = await services.rollouts.following(rollout.id);
    const group = following && (await services.dynamicGroups.find(following.groupId));
    return group ? groupNode(group) : null;
  }

  @FieldResolver(() => Boolean, { description: 'takes the devices that come to match its dynamic group, in new waves, until stopped (stopRollout) or cancelled' })
  async continuous(@Root() rollout: RolloutNode, @Ctx() { services }: ResolverContext): Promise<boolean> {
    return (await services.rollouts.following(rollout.id))?.continuous ?? false;
  }

  @Authorized('operate')
  @Mutation(() => Rollout, {
    description: 'A continuous rollout takes no further device and completes once its waves have finished; STATE_CONFLICT for a rollout that is not continuous, stopped already or ended.',
  })
  async stopRollout(@Arg('id', () => ID) id: string, @Ctx() ctx: ResolverContext): Promise<RolloutNode> {
    return rolloutNode(await ctx.services.rollouts.stop(id));
  }
}
