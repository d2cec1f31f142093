/**
 * What each field may cost in platform calls at worst, for the cost rule's estimate of a whole operation (a query
 * whose estimate exceeds what its client may spend is refused before any call). Counted per parent object:
 * `pageSize`: one call per upstream page (the endpoint catalogue's page limit) that a window of `first` items (or `ids`) can touch;
 * `perItem`: calls for each item the field returns (a lookup per device, say); `flat`: calls whatever it returns.
 * `mirrored`: answered from the fleet mirror once it is ready (no call); `byDeviceId`: looked up by the devices
 * its `id`/`ids` name, and of those only the ids the mirror does not hold cost their call. Fields not listed cost nothing.
 */
import { ENDPOINTS, pageLimit as pages } from '../datasources/platform/endpoints.js';

export interface CallEstimate {
  pageSize?: number;
  perItem?: number;
  flat?: number;
  mirrored?: boolean;
  byDeviceId?: boolean;
}

export const PLATFORM_CALLS: Readonly<Record<string, CallEstimate>> = {
  'Query.operations': { pageSize: pages(ENDPOINTS.operations), mirrored: true },
  'Query.operation': { perItem: 1, mirrored: true },
  'Query.device': { perItem: 1, mirrored: true, byDeviceId: true },
  'Query.devices': { perItem: 1, mirrored: true, byDeviceId: true },
  'Query.batchTask': { perItem: 1 },
  'Query.upgradePackages': { pageSize: pages(ENDPOINTS.packages), mirrored: true },
  'Query.upgradePackage': { perItem: 1, mirrored: true },
  'Query.deviceGroups': { pageSize: pages(ENDPOINTS.deviceGroups), mirrored: true },
  'Query.health': { perItem: 1 },
  'Mutation.createFirmwareUpgradeTask': { perItem: 1 },
  'Mutation.createSoftwareUpgradeTask': { perItem: 1 },
  'Mutation.createBatchTask': { perItem: 1 },
  'CreateUpgradeTaskPayload.operation': { perItem: 1, mirrored: true },
  // The package; a retry also reads the task and its subtasks (at most 3 pages of 100).
  'Mutation.createRollout': { perItem: 1, mirrored: true },
  'Mutation.retryFailedDevices': { flat: 5, mirrored: true },
  'Rollout.package': { perItem: 1, mirrored: true },
  'Rollout.sourceOperation': { perItem: 1, mirrored: true },
  'RolloutWave.operations': { perItem: 1, mirrored: true },
  'CreateBatchTaskPayload.batchTask': { perItem: 1 },
  'Operation.subtasks': { pageSize: pages(ENDPOINTS.subOperations), mirrored: true },
  // Listed by device type when the counts say so: a probe, a count and the type's pages of 250.
  'OperationTargets.devices': { flat: 4, mirrored: true },
  'Subtask.operation': { perItem: 1, mirrored: true },
  'Subtask.device': { perItem: 1, mirrored: true },
  'Device.operations': { pageSize: pages(ENDPOINTS.operations), mirrored: true },
  'BatchTask.details': { pageSize: pages(ENDPOINTS.batchTaskDetails) },
  'BatchTask.devices': { perItem: 1, mirrored: true },
  'BatchTaskDetail.device': { perItem: 1, mirrored: true },
  // The members' ids, then each member device. Mirrored: a group whose members the backfill has not read yet costs
  // one call (up to 1,000 members), once.
  'DeviceGroup.devices': { pageSize: pages(ENDPOINTS.deviceGroupMembers), perItem: 1, mirrored: true },
};
