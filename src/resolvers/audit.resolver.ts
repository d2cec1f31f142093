import { Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { ResolverContext } from './context.js';
import { ORCHESTRATOR_OPERATIONS, RolloutEvent, type AuditFilter, type AuditRecord as AuditRecordModel } from '../domain/audit.js';
import { InvalidInputError } from '../domain/errors.js';
import { AuditLogArgs, AuditRecordConnection, RolloutHistoryEntry, type AuditLogFilter } from '../schema/audit.type.js';
import { Rollout } from '../schema/rollouts.type.js';
import { connectionOf, windowOf } from './connection.js';
import type { RolloutNode } from './rollouts.resolver.js';

/** The most commands a rollout's history shows (its newest). */
const HISTORY_COMMANDS = 500;

interface AuditRecordNode extends Omit<AuditRecordModel, 'at'> {
  at: string;
}

interface HistoryEntryNode {
  at: string;
  event: RolloutEvent;
  waveIndex?: number;
  record?: AuditRecordNode;
}

const recordNode = (record: AuditRecordModel): AuditRecordNode => ({ ...record, at: new Date(record.at).toISOString() });

/** A record of the orchestrator's own change is named by the state it set; any other is a command. */
function eventOf(record: AuditRecordModel): RolloutEvent {
  const state = Object.entries(ORCHESTRATOR_OPERATIONS).find(([, operation]) => operation === record.operation)?.[0];
  return state === RolloutEvent.HALTED || state === RolloutEvent.COMPLETED ? state : RolloutEvent.COMMAND;
}

function filterOf(input: AuditLogFilter | undefined): AuditFilter {
  const since = input?.since?.getTime();
  const until = input?.until?.getTime();
  if (since !== undefined && until !== undefined && until <= since) {
    throw InvalidInputError.of([{ path: 'filter.until', rule: 'afterSince', message: 'until must be later than since' }]);
  }
  return { operation: input?.operation, client: input?.client, outcome: input?.outcome, since, until, targetId: input?.targetId };
}

@Resolver()
export class AuditResolver {
  @Authorized('operate')
  @Query(() => AuditRecordConnection, { description: 'Every mutation call, newest first (from the store: no platform call). Operate keys only.' })
  async auditLog(@Args(() => AuditLogArgs) args: AuditLogArgs, @Ctx() { services }: ResolverContext) {
    const window = windowOf(args);
    const page = await services.audit?.list(filterOf(args.filter), window);
    return connectionOf({ totalCount: page?.totalCount ?? 0, items: (page?.items ?? []).map(recordNode) }, window);
  }
}

@Resolver(() => Rollout)
export class RolloutHistoryResolver {
  @Authorized('operate')
  @FieldResolver(() => [RolloutHistoryEntry], { nullable: true, description: "Its commands (their audit records) and its waves' starts and ends, oldest first. Operate keys only." })
  async history(@Root() rollout: RolloutNode, @Ctx() { services }: ResolverContext): Promise<HistoryEntryNode[]> {
    const page = await services.audit?.list({ targetId: rollout.id }, { start: 0, count: HISTORY_COMMANDS });
    // Oldest first, so that the sort below (stable) keeps the order of commands made within one millisecond.
    const entries: HistoryEntryNode[] = (page?.items ?? []).reverse().map((record) => ({ at: new Date(record.at).toISOString(), event: eventOf(record), record: recordNode(record) }));
    for (const wave of rollout.waves) {
      if (wave.startedAt) entries.push({ at: wave.startedAt, event: RolloutEvent.WAVE_STARTED, waveIndex: wave.index });
      if (wave.finishedAt) entries.push({ at: wave.finishedAt, event: RolloutEvent.WAVE_FINISHED, waveIndex: wave.index });
    }
    return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
}
