import type { GraphQLResolveInfo } from 'graphql';
import { Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { hasEnded, type Operation as OperationModel, type Subtask as SubtaskModel } from '../domain/upgrade-tasks.js';
import type { Device } from '../domain/devices.js';
import { hintTask } from '../schema/cache-control.js';
import { Device as DeviceType } from '../schema/devices.type.js';
import { Operation } from '../schema/upgrade-tasks.type.js';
import { Subtask } from '../schema/upgrade-tasks.type.js';

@Resolver(() => Subtask)
export class SubtaskResolver {
  @FieldResolver(() => Operation)
  async operation(@Root() subtask: SubtaskModel, @Ctx() { loaders }: GatewayContext, @Info() info: GraphQLResolveInfo): Promise<OperationModel> {
    const operation = await loaders.operation.load(subtask.operationId);
    if (!operation) throw new Error(`operation ${subtask.operationId} of subtask ${subtask.id} vanished`);
    hintTask(info, hasEnded(operation));
    return operation;
  }

  @FieldResolver(() => DeviceType, { nullable: true, description: 'Fetched once per request however many subtasks name it.' })
  device(@Root() subtask: SubtaskModel, @Ctx() { loaders }: GatewayContext): Promise<Device | null> {
    return loaders.device.load(subtask.deviceId);
  }
}
