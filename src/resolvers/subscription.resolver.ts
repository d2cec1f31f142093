import { GraphQLError } from 'graphql';
import { Arg, Args, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import type { BatchTask as BatchTaskModel } from '../domain/batch-tasks.js';
import type { Device as DeviceModel } from '../domain/devices.js';
import type { Operation as OperationModel, OperationFilter as OperationFilterModel, Subtask as SubtaskModel } from '../domain/upgrade-tasks.js';
import { changes } from '../services/live.service.js';
import type { Mirror } from '../sync/mirror.js';
import type { RolloutProgress } from '../domain/rollouts.js';
import { BatchTask } from '../schema/batch-tasks.type.js';
import { Device } from '../schema/devices.type.js';
import { Operation, OperationFilter } from '../schema/upgrade-tasks.type.js';
import { Rollout } from '../schema/rollouts.type.js';
import { Subtask, SubtaskUpdatedArgs } from '../schema/upgrade-tasks.type.js';
import { rolloutNode, rolloutsOf, type RolloutNode } from './rollouts.resolver.js';

type Data = SubscribeResolverData<unknown, Record<string, unknown>, GatewayContext>;

/** Live updates come from the mirror: without it there is nothing to subscribe to. */
function mirrorOf({ context }: Data): Mirror {
  if (!context.mirror) {
    throw new GraphQLError('Live updates need the fleet mirror, which is off (MIRROR_BUDGET_SHARE=0).', { extensions: { code: 'MIRROR_UNAVAILABLE' } });
  }
  return context.mirror;
}

/** The updates, for as long as the subscriber reads them; then the interest they were read for is given up. */
async function* watching<T>(stop: () => void, updates: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* updates;
  } finally {
    stop();
  }
}

function matches(operation: OperationModel, filter: OperationFilterModel | undefined): boolean {
  if (!filter) return true;
  const { targets } = operation;
  return (
    (!filter.type || operation.type === filter.type) &&
    (!filter.status || operation.status === filter.status) &&
    (!filter.deviceType || targets.deviceType === filter.deviceType) &&
    (!filter.model || targets.model === filter.model) &&
    (!filter.manufacturerName || targets.manufacturerName === filter.manufacturerName) &&
    (!filter.deviceId || targets.deviceIds.includes(filter.deviceId))
  );
}

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => Operation, {
    description: "An upgrade task whose status or stats changed (its subtasks' steps and results, from the platform's notifications).",
    subscribe: (data: Data) => changes(mirrorOf(data), 'operation', (o) => o.id === (data.args as { id: string }).id),
  })
  operationUpdated(@Arg('id', () => ID) _id: string, @Root() operation: OperationModel): OperationModel {
    return operation;
  }

  @Subscription(() => Operation, {
    description: 'Any upgrade task that changed or appeared, optionally filtered.',
    subscribe: (data: Data) => changes(mirrorOf(data), 'operation', (o) => matches(o, (data.args as { filter?: OperationFilterModel }).filter)),
  })
  operationsChanged(@Arg('filter', () => OperationFilter, { nullable: true }) _filter: OperationFilter | undefined, @Root() operation: OperationModel): OperationModel {
    return operation;
  }

  @Subscription(() => Subtask, {
    description: "A subtask of the task whose status or step changed; `status`: only those that reached one of these.",
    subscribe: (data: Data) => {
      const { operationId, status } = data.args as { operationId: string; status?: string[] };
      return changes(mirrorOf(data), 'subtask', (s) => s.operationId === operationId && (!status || status.includes(s.status)));
    },
  })
  subtaskUpdated(@Args(() => SubtaskUpdatedArgs) _args: SubtaskUpdatedArgs, @Root() subtask: SubtaskModel): SubtaskModel {
    return subtask;
  }

  @Subscription(() => BatchTask, {
    description: 'A batch task whose status or stats changed (read once per MIRROR_POLL_SECONDS while anyone watches it, until it ends).',
    subscribe: (data: Data) => {
      const mirror = mirrorOf(data);
      const { id } = data.args as { id: string };
      return watching(mirror.watchBatchTask(id), changes(mirror, 'batchTask', (t) => t.id === id));
    },
  })
  batchTaskUpdated(@Arg('id', () => ID) _id: string, @Root() task: BatchTaskModel): BatchTaskModel {
    return task;
  }

  @Subscription(() => Device, {
    description: "A device whose state changed (its versions after an upgrade, its connectivity), from the platform's notifications.",
    subscribe: (data: Data) => changes(mirrorOf(data), 'device', (d) => d.id === (data.args as { id: string }).id),
  })
  deviceUpdated(@Arg('id', () => ID) _id: string, @Root() device: DeviceModel): DeviceModel {
    return device;
  }

  @Subscription(() => Rollout, {
    description: "A rollout whose state, waves or figures changed (its tasks' progress included).",
    subscribe: (data: Data) => {
      const { id } = data.args as { id: string };
      return changes(rolloutsOf(data.context).orchestrator, 'rollout', (r) => r.id === id);
    },
  })
  rolloutUpdated(@Arg('id', () => ID) _id: string, @Root() rollout: RolloutProgress): RolloutNode {
    return rolloutNode(rollout);
  }
}
