import { BatchTaskDetailResolver, BatchTaskResolver } from './batch-tasks.resolver.js';
import { DeviceGroupResolver } from './device-group.resolver.js';
import { DeviceResolver } from './devices.resolver.js';
import { FleetResolver } from './fleet.resolver.js';
import { HealthResolver } from './health.resolver.js';
import { CreateBatchTaskPayloadResolver, CreateUpgradeTaskPayloadResolver, MutationResolver } from './mutations.resolver.js';
import { OperationResolver, OperationTargetsResolver } from './upgrade-tasks.resolver.js';
import { CreateRolloutPayloadResolver, RolloutResolver, RolloutWaveResolver } from './rollouts.resolver.js';
import { SubscriptionResolver } from './subscription.resolver.js';
import { SubtaskResolver } from './subtask.resolver.js';
import { UpgradePackageResolver } from './packages.resolver.js';

/** Every resolver class of the graph; the schema is built from these. */
export const resolvers = [
  HealthResolver,
  OperationResolver,
  OperationTargetsResolver,
  SubtaskResolver,
  DeviceResolver,
  BatchTaskResolver,
  BatchTaskDetailResolver,
  UpgradePackageResolver,
  DeviceGroupResolver,
  FleetResolver,
  MutationResolver,
  CreateUpgradeTaskPayloadResolver,
  CreateBatchTaskPayloadResolver,
  RolloutResolver,
  RolloutWaveResolver,
  CreateRolloutPayloadResolver,
  SubscriptionResolver,
] as const;
