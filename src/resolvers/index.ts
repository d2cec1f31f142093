import { ViewerResolver } from './access.resolver.js';
import { AuditResolver, RolloutHistoryResolver } from './audit.resolver.js';
import { BatchTaskDetailResolver, BatchTaskResolver, CreateBatchTaskPayloadResolver } from './batch-tasks.resolver.js';
import { DeviceResolver } from './devices.resolver.js';
import { DynamicGroupResolver, RolloutFollowingResolver } from './dynamic-groups.resolver.js';
import { HealthResolver } from './health.resolver.js';
import { DeviceGroupResolver, UpgradePackageResolver } from './packages.resolver.js';
import { CreateRolloutPayloadResolver, RolloutResolver, RolloutWaveResolver } from './rollouts.resolver.js';
import { CreateUpgradeTaskPayloadResolver, OperationResolver, OperationTargetsResolver, SubtaskResolver } from './upgrade-tasks.resolver.js';

/** Every resolver class of the graph, by concept; the schema is built from these. */
export const resolvers = [
  HealthResolver,
  ViewerResolver,
  OperationResolver,
  OperationTargetsResolver,
  SubtaskResolver,
  CreateUpgradeTaskPayloadResolver,
  DeviceResolver,
  UpgradePackageResolver,
  DeviceGroupResolver,
  BatchTaskResolver,
  BatchTaskDetailResolver,
  CreateBatchTaskPayloadResolver,
  RolloutResolver,
  RolloutWaveResolver,
  CreateRolloutPayloadResolver,
  DynamicGroupResolver,
  RolloutFollowingResolver,
  AuditResolver,
  RolloutHistoryResolver,
] as const;
