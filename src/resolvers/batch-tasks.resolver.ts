import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { hasEnded } from '../domain/upgrade-tasks.js';
import type { BatchTask as BatchTaskModel, BatchTaskDetail as BatchTaskDetailModel } from '../domain/batch-tasks.js';
import type { Device as DeviceModel } from '../domain/devices.js';
import { CreateBatchTaskInput, CreateBatchTaskPayload } from '../schema/batch-tasks.input.js';
import { BatchTask, BatchTaskConnection, BatchTaskDetail, BatchTaskDetailArgs, BatchTaskDetailConnection } from '../schema/batch-tasks.type.js';
import { hintTask } from '../schema/cache-control.js';
import { ConnectionArgs } from '../schema/connection.js';
import { Device } from '../schema/devices.type.js';
import { IdArgs } from '../schema/id-args.js';
import { connectionOf, windowOf } from './connection.js';
import type { ResolverContext } from './context.js';

@Resolver(() => BatchTask)
export class BatchTaskResolver {
  @Query(() => BatchTask, { nullable: true, description: 'One batch task; appId for a task of an application that authorised ours.' })
  async batchTask(
    @Args(() => IdArgs) { id }: IdArgs,
    @Arg('appId', () => ID, { nullable: true }) appId: string | undefined,
    @Ctx() { services }: ResolverContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<BatchTaskModel | null> {
    const task = await services.batchTasks.find(id, appId);
    hintTask(info, task !== null && hasEnded(task));
    return task;
  }

  @Query(() => BatchTaskConnection, { nullable: true, description: 'Batch tasks created or read through the gateway, newest first (the platform cannot list them).' })
  async batchTasks(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { services }: ResolverContext) {
    const window = windowOf(args);
    return connectionOf(await services.batchTasks.list(window), window);
  }

  @FieldResolver(() => [Device], { nullable: 'items', description: 'The targeted devices when param is a device list; empty otherwise.' })
  devices(@Root() task: BatchTaskModel, @Ctx() { services }: ResolverContext): Promise<(DeviceModel | null | Error)[]> {
    return services.batchTasks.targets(task);
  }

  @FieldResolver(() => BatchTaskDetailConnection, { nullable: true, description: 'Null, with an error at this path, when the platform could not be read.' })
  async details(@Root() task: BatchTaskModel, @Args(() => BatchTaskDetailArgs) args: BatchTaskDetailArgs, @Ctx() { services }: ResolverContext, @Info() info: GraphQLResolveInfo) {
    hintTask(info, hasEnded(task));
    const window = windowOf(args);
    return connectionOf(await services.batchTasks.details(task, args.status ?? undefined, window), window);
  }

  @Authorized('operate')
  @Mutation(() => CreateBatchTaskPayload, { description: 'Sends one command to many devices.' })
  async createBatchTask(@Arg('input', () => CreateBatchTaskInput) input: CreateBatchTaskInput, @Ctx() { services, client, scope }: ResolverContext) {
    const request = {
      name: input.name,
      type: input.type,
      timeoutMinutes: input.timeout,
      target: { ...input.target },
      command: { ...input.command },
      callbackUrl: input.callbackUrl,
      tags: (input.tags ?? []).map((t) => ({ name: t.name, value: t.value })),
    };
    const taskId = await services.batchTasks.create(request, { client, key: input.idempotencyKey, deadline: scope.deadline });
    return { taskId };
  }

  @Subscription(() => BatchTask, {
    description: 'A batch task whose status or stats changed (read once per MIRROR_POLL_SECONDS while anyone watches it, until it ends).',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, ResolverContext>) => context.services.live.batchTask((args as { id: string }).id),
  })
  batchTaskUpdated(@Arg('id', () => ID) _id: string, @Root() task: BatchTaskModel): BatchTaskModel {
    return task;
  }
}

@Resolver(() => BatchTaskDetail)
export class BatchTaskDetailResolver {
  @FieldResolver(() => Device, { nullable: true })
  device(@Root() detail: BatchTaskDetailModel, @Ctx() { services }: ResolverContext): Promise<DeviceModel | null> {
    return services.batchTasks.deviceOf(detail);
  }
}

// Read back in its own field: a failed read still leaves the client the id of what was created.
@Resolver(() => CreateBatchTaskPayload)
export class CreateBatchTaskPayloadResolver {
  @FieldResolver(() => BatchTask, { nullable: true })
  batchTask(@Root() payload: { taskId: string }, @Ctx() { services }: ResolverContext): Promise<BatchTaskModel | null> {
    return services.batchTasks.find(payload.taskId);
  }
}
