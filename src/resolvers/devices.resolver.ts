import { ArrayMaxSize } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { Device as DeviceModel, FleetSummary as FleetSummaryModel } from '../domain/devices.js';
import { ConnectionArgs, MAX_FIRST } from '../schema/connection.js';
import { Device, DeviceConnection, DeviceFilter, FleetArgs, FleetSummary } from '../schema/devices.type.js';
import { Compliance, ComplianceArgs, FleetAggregate, FleetAggregateArgs } from '../schema/fleet-analytics.type.js';
import { IdArgs } from '../schema/id-args.js';
import { OperationConnection, OperationFilter } from '../schema/upgrade-tasks.type.js';
import { connectionOf, windowOf } from './connection.js';
import type { ResolverContext } from './context.js';

@ArgsType()
class DevicesArgs {
  @Field(() => [ID], { description: `At most ${MAX_FIRST} ids.` })
  @ArrayMaxSize(MAX_FIRST)
  ids!: string[];
}

@Resolver(() => Device)
export class DeviceResolver {
  @Query(() => Device, { nullable: true, description: 'One device; null when unknown.' })
  device(@Args(() => IdArgs) { id }: IdArgs, @Ctx() { services }: ResolverContext): Promise<DeviceModel | null> {
    return services.devices.find(id);
  }

  @Query(() => [Device], { nullable: 'items', description: 'Devices in the order of ids; null where unknown.' })
  devices(@Args(() => DevicesArgs) { ids }: DevicesArgs, @Ctx() { services }: ResolverContext): Promise<(DeviceModel | null | Error)[]> {
    return services.devices.findMany(ids);
  }

  @FieldResolver(() => OperationConnection, { nullable: true, description: "The device's upgrade history, newest first." })
  async operations(
    @Root() device: DeviceModel,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => OperationFilter, { nullable: true }) filter: OperationFilter | undefined,
    @Ctx() { services }: ResolverContext,
  ) {
    const window = windowOf(args);
    return connectionOf(await services.upgradeTasks.list({ ...filter, deviceId: device.id }, window), window);
  }

  @Query(() => DeviceConnection, { nullable: true, description: "The application's devices, filtered and sorted, from the mirror (no platform call)." })
  async fleet(@Args(() => FleetArgs) args: FleetArgs, @Ctx() { services }: ResolverContext) {
    const window = windowOf(args);
    return connectionOf(await services.devices.fleet({ ...args.filter }, args.orderBy, window), window);
  }

  @Query(() => FleetSummary, { nullable: true, description: 'Totals of the (filtered) fleet by status, versions and device type, from the mirror.' })
  fleetSummary(@Arg('filter', () => DeviceFilter, { nullable: true }) filter: DeviceFilter | undefined, @Ctx() { services }: ResolverContext): Promise<FleetSummaryModel> {
    return services.devices.summary({ ...filter });
  }

  @Query(() => FleetAggregate, {
    nullable: true,
    description: 'Devices counted per bucket of field values (e.g. per firmware version and manufacturer) from the mirror, most devices first.',
  })
  fleetAggregate(@Args(() => FleetAggregateArgs) { filter, groupBy, first }: FleetAggregateArgs, @Ctx() { services }: ResolverContext) {
    return services.devices.aggregate({ ...filter }, groupBy, first);
  }

  @Query(() => Compliance, { nullable: true, description: "How many of a product's devices run each version, and the share on its newest package's version, from the mirror." })
  compliance(@Args(() => ComplianceArgs) args: ComplianceArgs, @Ctx() { services }: ResolverContext) {
    return services.devices.compliance(args);
  }

  @Subscription(() => Device, {
    description: "A device whose state changed (its versions after an upgrade, its connectivity), from the platform's notifications.",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, ResolverContext>) => context.services.live.device((args as { id: string }).id),
  })
  deviceUpdated(@Arg('id', () => ID) _id: string, @Root() device: DeviceModel): DeviceModel {
    return device;
  }
}
