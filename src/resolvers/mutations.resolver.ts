import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../context.js';
import type { BatchTask as BatchTaskModel, BatchTaskRequest, Operation as OperationModel, OperationType, UpgradeTaskRequest } from '../datasources/models.js';
import { BatchTask } from '../schema/batch-task.type.js';
import { Operation } from '../schema/operation.type.js';
import { CreateBatchTaskInput, CreateBatchTaskPayload } from '../schema/batch-task.input.js';
import { CreateUpgradeTaskInput, CreateUpgradeTaskPayload } from '../schema/upgrade-task.input.js';
import { withArgumentHint } from '../errors.js';

/** Platform codes of a create that point at one argument, so the client knows which field to fix. */
const UPGRADE_ARGUMENTS: Record<string, string> = { '123016': 'input.fileId' };

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
  async createBatchTask(@Arg('input', () => CreateBatchTaskInput) input: CreateBatchTaskInput, @Ctx() { apis, idempotency }: GatewayContext) {
    const request: BatchTaskRequest = {
      name: input.name,
      type: input.type,
      timeoutMinutes: input.timeout,
      target: { ...input.target },
      command: { ...input.command },
      callbackUrl: input.callbackUrl,
      tags: (input.tags ?? []).map((t) => ({ name: t.name, value: t.value })),
    };
    // There is no list of batch tasks to look an unanswered create up in: its outcome stays unknown.
    const taskId = await idempotency.run(input.idempotencyKey, { mutation: 'createBatchTask', request }, () => apis.batchTasks.create(request), async () => undefined);
    return { taskId };
  }

  private async createUpgrade(type: OperationType, input: CreateUpgradeTaskInput, { apis, idempotency }: GatewayContext) {
    const request = upgradeRequest(type, input);
    const operationId = await idempotency.run(
      input.idempotencyKey,
      { mutation: type, request },
      () => withArgumentHint(apis.operations.create(request), UPGRADE_ARGUMENTS),
      (sentAt) => apis.operations.findCreated(request, sentAt),
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
