/**
 * Live updates: the mirror's and the rollouts' change events as the streams subscriptions read. Every subscriber of
 * one object shares what the mirror learns once (a notification, or its one poll): subscribers cost no platform call.
 */
import type { BatchTask } from '../domain/batch-tasks.js';
import type { Device } from '../domain/devices.js';
import type { RolloutProgress } from '../domain/rollouts.js';
import type { Operation, OperationFilter, Subtask, SubtaskStatus } from '../domain/upgrade-tasks.js';
import type { Mirror } from '../sync/mirror.js';
import { changes, watching } from './changes.js';
import { mirrorOff } from '../domain/errors.js';
import { mirrorOn } from './mirror-access.js';
import type { RolloutService } from './rollouts.service.js';

const LIVE = 'Live updates';

function matches(operation: Operation, filter: OperationFilter | undefined): boolean {
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

export class LiveService {
  constructor(
    private readonly mirror?: Mirror,
    private readonly rollouts?: RolloutService,
  ) {}

  operation(id: string): AsyncGenerator<Operation> {
    return changes(mirrorOn(this.mirror, LIVE), 'operation', (o) => o.id === id);
  }

  operations(filter: OperationFilter | undefined): AsyncGenerator<Operation> {
    return changes(mirrorOn(this.mirror, LIVE), 'operation', (o) => matches(o, filter));
  }

  subtasks(operationId: string, statuses: readonly SubtaskStatus[] | undefined): AsyncGenerator<Subtask> {
    return changes(mirrorOn(this.mirror, LIVE), 'subtask', (s) => s.operationId === operationId && (!statuses || statuses.includes(s.status)));
  }

  /** The platform pushes nothing about batch tasks: the mirror polls one while anyone watches it, until it ends. */
  batchTask(id: string): AsyncGenerator<BatchTask> {
    const mirror = mirrorOn(this.mirror, LIVE);
    return watching(mirror.watchBatchTask(id), changes(mirror, 'batchTask', (t) => t.id === id));
  }

  device(id: string): AsyncGenerator<Device> {
    return changes(mirrorOn(this.mirror, LIVE), 'device', (d) => d.id === id);
  }

  rollout(id: string): AsyncGenerator<RolloutProgress> {
    if (!this.rollouts) throw mirrorOff('Rollouts');
    return changes(this.rollouts.orchestrator, 'rollout', (r) => r.id === id);
  }
}
