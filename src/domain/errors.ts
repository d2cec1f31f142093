/**
 * What can go wrong, in the domain's words. Services throw these; the transports turn them into GraphQL errors with
 * a stable `extensions.code` in one place (src/graphql/errors.ts). None carries a credential.
 */

/** The `extensions.code` values of the error model (DESIGN.md §3), and the gateway's own additions. */
export type GatewayErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'UPSTREAM_AUTH_FAILED'
  | 'RATE_LIMITED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'INTERNAL_SERVER_ERROR';

/** One invalid field of an input, by its path (`input.policy.endTime`). */
export interface Violation {
  path: string;
  rule: string;
  message: string;
  /** The code the platform would have answered, where it has one. */
  upstreamCode?: string;
}

/** A problem the client can act on, with the details `extensions` carries. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Arguments the gateway refuses before anything is sent or stored. */
export class InvalidInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT';

  static of(violations: readonly Violation[]): InvalidInputError {
    return new InvalidInputError(`Invalid arguments: ${violations.map((v) => `${v.path}: ${v.message}`).join('; ')}`, { validationErrors: violations });
  }

  /** One argument that is wrong (named in `extensions.argument`). */
  static argument(message: string, argument: string, details: Record<string, unknown> = {}): InvalidInputError {
    return new InvalidInputError(message, { argument, ...details });
  }
}

/** A referenced object that does not exist (lookups by id answer null instead). */
export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

/**
 * The command changed nothing: the object's state does not allow it, or another caller moved it first
 * (`extensions.state` says which state it is in). A command that answers without this error took effect.
 */
export class StateConflictError extends DomainError {
  readonly code = 'STATE_CONFLICT';
}

/** A create that may or may not have happened: the client must not simply send it again under a new key. */
export class UnknownOutcomeError extends DomainError {
  readonly code = 'UPSTREAM_TIMEOUT';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { outcome: 'UNKNOWN', ...details });
  }
}

/** A part of the gateway this answer needs is off or not ready (the fleet mirror, say). */
export class UnavailableError extends DomainError {
  readonly code: string;
  constructor(code: 'MIRROR_UNAVAILABLE' | 'STORE_UNAVAILABLE', message: string, details: Record<string, unknown> = {}) {
    super(message, details);
    this.code = code;
  }
}

/** The store (PostgreSQL, or the data dir) cannot be reached: what only it knows cannot be answered now. */
export function storeUnavailable(what: string): UnavailableError {
  return new UnavailableError('STORE_UNAVAILABLE', `${what} cannot be answered now: the gateway's store cannot be reached. Retry shortly; reads the platform answers go on meanwhile.`);
}

/** The mirror answers fleet queries, live updates and rollouts: without it (or before its first sync) they cannot be. */
export function mirrorOff(what: string): UnavailableError {
  return new UnavailableError('MIRROR_UNAVAILABLE', `${what} need the fleet mirror, which is off (MIRROR_BUDGET_SHARE=0).`);
}
