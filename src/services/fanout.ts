/**
 * Live updates across replicas: a subscriber on one replica hears of a change another replica learned. Each change
 * a replica publishes locally is announced on the store (kind and id); the others read the object from the store
 * and publish it to their own subscribers. An announced change is never announced again, so nothing echoes.
 */
import type { Mirror } from '../sync/mirror.js';
import type { RolloutService } from './rollouts.service.js';
import type { Notice, StoreNotices } from '../store/notices.js';
import type { Logger } from '../logging/logger.js';

export function fanOut(notices: StoreNotices, mirror: Mirror, rollouts: RolloutService | undefined, logger: Logger): void {
  // Listeners run synchronously inside emit: while a relayed change is emitted, it is not announced again.
  let relaying = false;
  const relay = (emit: () => void) => {
    relaying = true;
    try {
      emit();
    } finally {
      relaying = false;
    }
  };
  const announce = (kind: string, id: string) => {
    if (relaying) return;
    notices.publish({ kind, id }).catch((error: unknown) => logger.debug({ error: String(error) }, 'change not announced to the other replicas'));
  };
  mirror.events.on('device', (device) => announce('device', device.id));
  mirror.events.on('operation', (operation) => announce('operation', operation.id));
  mirror.events.on('subtask', (subtask) => announce('subtask', `${subtask.operationId}/${subtask.id}`));
  mirror.events.on('batchTask', (task) => announce('batchTask', task.id));
  rollouts?.orchestrator.events.on('rollout', (rollout) => announce('rollout', rollout.id));

  const read = async ({ kind, id }: Notice): Promise<void> => {
    const { repo, events } = mirror;
    if (kind === 'device') {
      const device = await repo.devices.device(id);
      if (device) relay(() => events.emit('device', device));
    } else if (kind === 'operation') {
      const operation = await repo.upgradeTasks.operation(id);
      if (operation) relay(() => events.emit('operation', operation));
    } else if (kind === 'subtask') {
      const [operationId = '', subtaskId = ''] = id.split('/');
      const subtask = await repo.upgradeTasks.subtask(operationId, subtaskId);
      if (subtask) relay(() => events.emit('subtask', subtask));
    } else if (kind === 'batchTask') {
      const task = await repo.batchTasks.batchTask(id);
      if (task) relay(() => events.emit('batchTask', task));
    } else if (kind === 'rollout' && rollouts) {
      const view = await rollouts.find(id);
      if (view) relay(() => rollouts.orchestrator.events.emit('rollout', view));
    }
  };
  notices.onNotice((notice) => void read(notice).catch((error: unknown) => logger.debug({ error: String(error), notice }, 'announced change not read')));
}
