/**
 * The audit trail's one hook: every Mutation field's resolver is wrapped once, in the schema every transport executes
 * (HTTP, WebSocket, SSE), so each mutation call is recorded exactly once, once it is answered: by whom (the key's
 * name and role), the input's digest, the ids it named or made, its outcome and error code, and whether it was an
 * idempotent replay. A call refused before it runs (a read key's FORBIDDEN, bad input) is recorded too.
 */
import { randomUUID } from 'node:crypto';
import { defaultFieldResolver, GraphQLError, type GraphQLFieldResolver, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { AuditOutcome, type AuditRecord } from '../domain/audit.js';
import { withAuditNote, type AuditNote } from '../services/audit-notes.js';
import { fingerprintOf } from '../services/exactly-once.js';
import type { GatewayContext } from './context.js';
import { formatError } from './errors.js';

/** The fields, of a mutation's arguments and of its answer, that name what it touched. */
const ID_FIELDS = ['id', 'operationId', 'taskId', 'rolloutId'] as const;

const wrapped = new WeakSet<GraphQLFieldResolver<unknown, GatewayContext>>();

export function recordMutations(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, GatewayContext>;
    if (wrapped.has(resolve)) continue;
    const audited = recorded(field.name, resolve);
    wrapped.add(audited);
    field.resolve = audited as GraphQLFieldResolver<unknown, unknown>;
  }
}

function recorded(operation: string, resolve: GraphQLFieldResolver<unknown, GatewayContext>): GraphQLFieldResolver<unknown, GatewayContext> {
  return async (source, args, context, info) => {
    const trail = context.services.audit;
    if (!trail) return resolve(source, args, context, info);
    const note: AuditNote = { replayed: false };
    const base = { id: randomUUID(), at: Date.now(), client: context.client, role: context.role, operation, inputDigest: fingerprintOf(args), requestId: context.requestId };
    let value: unknown;
    try {
      value = await withAuditNote(note, () => resolve(source, args, context, info));
    } catch (error) {
      await trail.record({ ...base, targetIds: idsOf(args), outcome: AuditOutcome.ERROR, errorCode: codeOf(error), replayed: note.replayed });
      throw error;
    }
    const record: AuditRecord = { ...base, targetIds: [...new Set([...idsOf(args), ...idsOf(value)])], outcome: AuditOutcome.OK, errorCode: null, replayed: note.replayed };
    await trail.record(record);
    return value;
  };
}

function idsOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const fields = value as Record<string, unknown>;
  return ID_FIELDS.map((name) => fields[name]).filter((id): id is string => typeof id === 'string' && id !== '');
}

/** The `extensions.code` the client is sent for this error. */
function codeOf(error: unknown): string {
  const formatted: GraphQLFormattedError = error instanceof GraphQLError ? error.toJSON() : { message: '' };
  return String(formatError(formatted, error).extensions?.code ?? 'INTERNAL_SERVER_ERROR');
}
