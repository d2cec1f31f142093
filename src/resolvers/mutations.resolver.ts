import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import type { BatchTask as BatchTaskModel, BatchTaskRequest } from '../domain/batch-tasks.js';
import type { Operation as OperationModel, OperationType, UpgradeTaskRequest } from '../domain/upgrade-tasks.js';
import { BatchTask } from '../schema/batch-tasks.type.js';
import { Operation } from '../schema/upgrade-tasks.type.js';
import { CreateBatchTaskInput, CreateBatchTaskPayload } from '../schema/batch-tasks.input.js';
import { CreateUpgradeTaskInput, CreateUpgradeTaskPayload } from '../schema/upgrade-tasks.input.js';
import { withArgumentHint } from '../graphql/errors.js';

/** Platform codes of a create that point at one argument, so the client knows which field to fix. */
const UPGRADE_ARGUMENTS: Record<string, string> = { '123016': 'input.fileId' };

/** Sets of ids in one order: the same devices in another order are the same input under an idempotency key. */
const sorted = (ids: readonly string[] | undefined) => ids && [...ids].sort();

function upgradeRequest(type: OperationType, input: CreateUpgradeTaskInput): UpgradeTaskRequest {
  const { targets, policy } = input;
  return {
    type,
    fileId: input.fileId,
    targets: {
      deviceIds: targets.deviceIds,
      deviceGroups: targets.deviceGroups,
      deviceType: targets.deviceType,
      model: targets.model,
      manufacturerName: targets.manufacturerName,
    },
    policy: {
      executeType: policy?.executeType ?? 'NOW',
      startTime: policy?.startTime,
      endTime: policy?.endTime,
      retry: policy?.retry ?? false,
      retryTimes: policy?.retryTimes,
    },
  };
}

@Resolver()
export class MutationResolver {
  @Authorized('operate')
  @Mutation(() => CreateUpgradeTaskPayload, { description: 'Rolls a firmware package out to devices or device groups.' })
  createFirmwareUpgradeTask(@Arg('input', () => CreateUpgradeTaskInput) input: CreateUpgradeTaskInput, @Ctx() ctx: GatewayContext) {
    return this.createUpgrade('FIRMWARE_UPGRADE', input, ctx);
  }

  @Authorized('operate')
  @Mutation(() => CreateUpgradeTaskPayload, { description: 'Rolls a software package out to devices or device groups.' })
  createSoftwareUpgradeTask(@Arg('input', () => CreateUpgradeTaskInput) input: CreateUpgradeTaskInput, @Ctx() ctx: GatewayContext) {
    return this.createUpgrade('SOFTWARE_UPGRADE', input, ctx);
  }

  @Authorized('operate')
  @Mutation(() => CreateBatchTaskPayload, { description: 'Sends one command to many devices.' })
  async createBatchTask(@Arg('input', () => CreateBatchTaskInput) input: CreateBatchTaskInput, @Ctx() ctx: GatewayContext) {
    const request: BatchTaskRequest = {
      name: input.name,
      type: input.type,
      timeoutMinutes: input.timeout,
      target: { ...input.target },
      command: { ...input.command },
      callbackUrl: input.callbackUrl,
      tags: (input.tags ?? []).map((t) => ({ name: t.name, value: t.value })),
    };
    const taskId = await ctx.idempotency.run(
      {
        client: ctx.client,
        key: input.idempotencyKey,
        input: { mutation: 'createBatchTask', request: { ...request, target: { ...request.target, deviceIds: sorted(request.target.deviceIds), groups: sorted(request.target.groups) } } },
        deadline: ctx.scope.deadline,
      },
      {
        create: () => ctx.apis.batchTasks.create(request),
        // There is no list of batch tasks to look an unanswered create up in: its outcome stays unknown.
        findCreated: async () => [],
      },
    );
    return { taskId };
  }

  private async createUpgrade(type: OperationType, input: CreateUpgradeTaskInput, ctx: GatewayContext) {
    const request = upgradeRequest(type, input);
    const operationId = await ctx.idempotency.run(
      {
        client: ctx.client,
        key: input.idempotencyKey,
        input: { mutation: type, request: { ...request, targets: { ...request.targets, deviceIds: sorted(request.targets.deviceIds), deviceGroups: sorted(request.targets.deviceGroups) } } },
        deadline: ctx.scope.deadline,
      },
      {
        create: () => withArgumentHint(ctx.apis.operations.create(request), UPGRADE_ARGUMENTS),
        findCreated: (sentAt) => ctx.apis.operations.findCreated(request, sentAt),
      },
    );
    return { operationId };
  }
}

// The created object is read back in its own field: if that read fails, the id of what was created still reaches
// the client (with an error on the field), instead of the whole mutation failing after the task exists.
@Resolver(() => CreateUpgradeTaskPayload)
export class CreateUpgradeTaskPayloadResolver {
  @FieldResolver(() => Operation, { nullable: true })
  operation(@Root() payload: { operationId: string }, @Ctx() { loaders }: GatewayContext): Promise<OperationModel | null> {
    return loaders.operation.load(payload.operationId);
  }
}

@Resolver(() => CreateBatchTaskPayload)
export class CreateBatchTaskPayloadResolver {
  @FieldResolver(() => BatchTask, { nullable: true })
  batchTask(@Root() payload: { taskId: string }, @Ctx() { apis }: GatewayContext): Promise<BatchTaskModel | null> {
    return apis.batchTasks.find(payload.taskId);
  }
}
