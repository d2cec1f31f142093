/**
 * The rollout orchestrator's own state changes (a halt, the completion) in the audit trail, beside the operators'
 * commands: the orchestrator is given its repository with `transition` recorded, so it changes in nothing.
 */
import { randomUUID } from 'node:crypto';
import { AuditOutcome, ORCHESTRATOR_OPERATIONS } from '../domain/audit.js';
import type { RolloutRepository } from '../store/rollouts.repository.js';
import type { AuditTrail } from './audit.service.js';
import { fingerprintOf } from './exactly-once.js';

/** `client`: the name the orchestrator's calls go under (its share of the call budget). */
export function recordingTransitions(repo: RolloutRepository, trail: AuditTrail, client: string): RolloutRepository {
  const recorded = Object.create(repo) as RolloutRepository;
  recorded.transition = async (id, from, to, at, change) => {
    const moved = await repo.transition(id, from, to, at, change);
    const operation = ORCHESTRATOR_OPERATIONS[to as keyof typeof ORCHESTRATOR_OPERATIONS];
    if (moved && operation) {
      const input = { id, from, to, haltReason: change?.haltReason };
      await trail.record({ id: randomUUID(), at, client, role: 'operate', operation, inputDigest: fingerprintOf(input), targetIds: [id], outcome: AuditOutcome.OK, errorCode: null, replayed: false, requestId: null });
    }
    return moved;
  };
  return recorded;
}
