import { GraphQLError } from 'graphql';
import { Args, Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import type { Mirror } from '../sync/mirror.js';
import { BatchTaskConnection } from '../schema/batch-tasks.type.js';
import { ConnectionArgs } from '../schema/connection.js';
import { DeviceConnection } from '../schema/devices.type.js';
import { DeviceFilter, FleetArgs, FleetSummary } from '../schema/devices.type.js';
import { MirrorStatus } from '../schema/health.type.js';
import { connectionOf, windowOf } from './connection.js';

/** The mirror, once it can answer for the whole fleet. */
async function readyMirror(ctx: GatewayContext): Promise<Mirror> {
  const { mirror } = ctx;
  if (!mirror) {
    throw new GraphQLError('The fleet mirror is off (MIRROR_BUDGET_SHARE=0): fleet queries need it.', { extensions: { code: 'MIRROR_UNAVAILABLE' } });
  }
  if (!mirror.ready) {
    const { state, devices } = await mirror.status();
    throw new GraphQLError(`The fleet mirror is still syncing (${state}, ${devices} devices so far); ask again shortly (query mirror for its state).`, {
      extensions: { code: 'MIRROR_UNAVAILABLE', state },
    });
  }
  return mirror;
}

@Resolver()
export class FleetResolver {
  @Query(() => DeviceConnection, { nullable: true, description: "The application's devices, filtered and sorted, from the mirror (no platform call)." })
  async fleet(@Args(() => FleetArgs) args: FleetArgs, @Ctx() ctx: GatewayContext) {
    const mirror = await readyMirror(ctx);
    const window = windowOf(args);
    return connectionOf(await mirror.repo.devices.fleet({ ...args.filter }, args.orderBy, window), window);
  }

  @Query(() => FleetSummary, { nullable: true, description: 'Totals of the (filtered) fleet by status, versions and device type, from the mirror.' })
  async fleetSummary(@Arg('filter', () => DeviceFilter, { nullable: true }) filter: DeviceFilter | undefined, @Ctx() ctx: GatewayContext) {
    const mirror = await readyMirror(ctx);
    return mirror.repo.devices.fleetSummary({ ...filter });
  }

  @Query(() => MirrorStatus, { description: 'The fleet mirror: its state, what it holds, how fresh, and the notifications it receives.' })
  async mirror(@Ctx() ctx: GatewayContext): Promise<MirrorStatus> {
    if (!ctx.mirror) {
      return { state: 'EMPTY' as MirrorStatus['state'], devices: 0, operations: 0, subtasks: 0, budgetShare: 0, notifications: { subscribed: [], received: 0, rejected: 0 } };
    }
    return (await ctx.mirror.status()) as MirrorStatus;
  }

  @Query(() => BatchTaskConnection, { nullable: true, description: 'Batch tasks created or read through the gateway, newest first (the platform cannot list them).' })
  async batchTasks(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: GatewayContext) {
    if (!ctx.mirror) throw new GraphQLError('The fleet mirror is off (MIRROR_BUDGET_SHARE=0): batchTasks needs it.', { extensions: { code: 'MIRROR_UNAVAILABLE' } });
    const window = windowOf(args);
    return connectionOf(await ctx.mirror.repo.batchTasks.batchTasks(window), window);
  }
}
