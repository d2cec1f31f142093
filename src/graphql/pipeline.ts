/**
 * The one request pipeline of every transport (HTTP through Apollo Server, graphql-ws, and any later one): who calls
 * (the API key), the parse (token limit), the validation rules (graphql-js's, armor's depth, aliases and directives,
 * introspection), the refusals that need the operation and its variables (cost, platform-call estimate), the
 * execution context, error formatting (suggestions hidden with introspection) and error logging.
 *
 * Apollo Server takes these pieces as its options and one plugin (see http.ts). Other transports call `prepare`, then
 * `execute` or `subscribe`, and format what they send with `formatErrors`: `prepare` applies the pieces in Apollo's
 * order and gives each refusal the code Apollo gives it, so a document is refused alike over every transport.
 */
import { randomUUID } from 'node:crypto';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import type { Logger } from '../logging/logger.js';
import type { RefusalLog } from '../logging/refusal-log.js';
import { ApiKeys, authenticate, type Caller } from './auth.js';
import { contextFor, type ContextDependencies, type GatewayContext } from './context.js';
import { formatError, logErrors } from './errors.js';
import { queryLimitProtection, type LimitProtection, type MirrorReadiness, type QueryLimits } from './limits.js';
import { subscriptionRootDirectiveErrors } from './subscription-root.js';

export interface PipelineOptions {
  schema: GraphQLSchema;
  context: ContextDependencies;
  limits: QueryLimits;
  /** When false, introspection is refused and field suggestions ("Did you mean ...") are hidden. */
  introspection: boolean;
  /** What one client may spend of the platform's calls per window (the call budget's client cap). */
  maxPlatformCalls: number;
  /** The fleet mirror, when it is on: what it holds costs no platform call once it is READY. */
  mirror?: MirrorReadiness;
  logger: Logger;
  refusals: RefusalLog;
}

/** One operation as a client sends it. */
export interface OperationRequest {
  query: string;
  variables?: Readonly<Record<string, unknown>> | null;
  operationName?: string | null;
}

/** An operation that passed every check: what `execute` or `subscribe` runs, in a context of its own. */
export interface PreparedOperation {
  operation: OperationDefinitionNode;
  args: ExecutionArgs & { contextValue: GatewayContext };
}

type RequestRecord = GatewayContext['record'];

export class RequestPipeline {
  readonly schema: GraphQLSchema;
  readonly parseOptions: ParseOptions;
  /** The rules beside graphql-js's specified ones (which Apollo adds itself). */
  readonly validationRules: readonly ValidationRule[];
  readonly #options: PipelineOptions;
  readonly #keys: ApiKeys | undefined;
  readonly #limits: LimitProtection;
  /** Each context's caller, so that each event of a subscription runs in a context of its own (see `subscribe`). */
  readonly #callers = new WeakMap<GatewayContext, Caller>();

  constructor(options: PipelineOptions) {
    this.#options = options;
    this.schema = options.schema;
    this.#keys = options.context.apiKeys && new ApiKeys(options.context.apiKeys);
    this.#limits = queryLimitProtection(options.limits, { maxPlatformCalls: options.maxPlatformCalls, mirror: options.mirror });
    this.parseOptions = this.#limits.parseOptions;
    this.validationRules = [...(options.introspection ? [] : [refuseIntrospection]), ...this.#limits.validationRules];
  }

  /** The caller behind a presented API key; throws UNAUTHENTICATED when keys are configured and it is not one. */
  authenticate(presented: string | undefined): Caller {
    return authenticate(presented, this.#keys);
  }

  /** A context for one operation (or one subscription event) of a caller. */
  context(caller: Caller, record: RequestRecord = { requestId: randomUUID(), errorCodes: [] }): GatewayContext {
    const context = contextFor(this.#options.context, caller, record);
    this.#callers.set(context, caller);
    return context;
  }

  /** Mutations go before queries in the call budget's queue: a rollout should not wait behind dashboards. */
  scope(context: GatewayContext, operation: OperationDefinitionNode): void {
    if (operation.operation === 'mutation') context.scope.priority = 'mutation';
  }

  /**
   * The refusal of an operation that passed validation, by its estimated cost or platform calls; else undefined. One
   * that fits only once the mirror is READY waits for it, up to the request's deadline.
   */
  refusal(document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>, context: GatewayContext): Promise<GraphQLError | undefined> {
    return this.#limits.refusal(this.schema, document, operation, variables, context.scope.deadline);
  }

  /** What is refused before graphql-js's validation rules run, which would throw on it (see subscription-root.ts). */
  refusedBeforeValidation(document: DocumentNode): GraphQLError[] {
    return subscriptionRootDirectiveErrors(document);
  }

  /** What a client sees of an error, over any transport. */
  readonly formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const answer = formatError(formatted, error);
    // Suggestions would disclose a schema that is not introspectable, piece by piece.
    return this.#options.introspection ? answer : { ...answer, message: answer.message.replace(/\s*Did you mean [^?]+\?\s*$/, '') };
  };

  /** What a transport other than Apollo's sends of a result's or a refusal's errors. */
  formatErrors(errors: readonly GraphQLError[]): GraphQLFormattedError[] {
    return errors.map((error) => this.formatError(error.toJSON() as GraphQLFormattedError, error));
  }

  /** Logs each error of one request once (see `logErrors`). */
  logErrors(errors: readonly GraphQLError[], request: { requestId: string; client: string }): void {
    logErrors(this.#options.logger, this.#options.refusals, errors, request);
  }

  /** Parses, validates and checks one operation for a transport other than Apollo's, as Apollo does. */
  async prepare(request: OperationRequest, caller: Caller): Promise<PreparedOperation | { errors: readonly GraphQLError[] }> {
    const record: RequestRecord = { requestId: randomUUID(), errorCodes: [] };
    const refused = (code: string, errors: readonly GraphQLError[]) => {
      const coded = errors.map((error) => withCode(error, code));
      // Logged as Apollo's plugin logs an HTTP request's (see http.ts).
      this.logErrors(coded, { requestId: record.requestId, client: caller.client });
      return { errors: coded };
    };
    let document: DocumentNode;
    try {
      document = parse(request.query, this.parseOptions);
    } catch (error) {
      return refused('GRAPHQL_PARSE_FAILED', [error instanceof GraphQLError ? error : new GraphQLError(String(error))]);
    }
    const invalid = this.refusedBeforeValidation(document);
    if (invalid.length === 0) invalid.push(...validate(this.schema, document, [...specifiedRules, ...this.validationRules]));
    if (invalid.length > 0) return refused('GRAPHQL_VALIDATION_FAILED', invalid);
    const operation = getOperationAST(document, request.operationName);
    if (!operation) return refused('OPERATION_RESOLUTION_FAILURE', [noOperation(document, request.operationName)]);
    const variables = request.variables ?? {};
    // The context first, as Apollo makes it: its deadline bounds a wait for the mirror.
    const contextValue = this.context(caller, record);
    this.scope(contextValue, operation);
    const refusal = await this.refusal(document, operation, variables, contextValue);
    if (refusal) return refused(String(refusal.extensions.code), [refusal]);
    // Apollo finds these as it executes; here they are found first, and answered with the same code.
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors) return refused('BAD_USER_INPUT', coerced.errors);
    return { operation, args: { schema: this.schema, document, variableValues: variables, operationName: request.operationName, contextValue } };
  }

  /** Executes a query or mutation; its errors are logged. */
  readonly execute = async (args: ExecutionArgs): Promise<ExecutionResult> => {
    const result = await execute(args);
    if (result.errors) this.logErrors(result.errors, args.contextValue as GatewayContext);
    return result;
  };

  /**
   * Subscribes. Each event is executed as a request of its own: a context's DataLoaders and reads are per request,
   * and one kept for a subscription's lifetime would answer every later event with what the first one read.
   */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
    const events = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in events)) {
      if (events.errors) this.logErrors(events.errors, args.contextValue as GatewayContext);
      return events;
    }
    const caller = this.#callers.get(args.contextValue as GatewayContext);
    return eachEvent(events, (event) => this.execute({ ...args, rootValue: event, contextValue: caller ? this.context(caller) : args.contextValue }));
  };
}

/** Refuses `__schema` and `__type` (`__typename` stays), as Apollo's own rule does, naming the variable to set. */
const refuseIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value !== '__schema' && node.name.value !== '__type') return;
    context.reportError(
      new GraphQLError('Introspection is disabled on this gateway (GATEWAY_INTROSPECTION=true enables it).', {
        nodes: [node],
        extensions: { validationErrorCode: 'INTROSPECTION_DISABLED' },
      }),
    );
  },
});

/** The error with `code` as its `extensions.code` (as Apollo's error classes set it: over any code it had). */
function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code === code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code },
  });
}

/** graphql-js's words when the operation to run is not found (Apollo answers with them). */
function noOperation(document: DocumentNode, operationName: string | null | undefined): GraphQLError {
  if (operationName) return new GraphQLError(`Unknown operation named "${operationName}".`);
  const some = document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION);
  return new GraphQLError(some ? 'Must provide operation name if query contains multiple operations.' : 'Must provide an operation.');
}

/** The source's events, each mapped; ending the result ends the source at once (as graphql-js's own mapping does). */
function eachEvent(source: AsyncIterable<unknown>, run: (event: unknown) => Promise<ExecutionResult>): AsyncGenerator<ExecutionResult> {
  const events = source[Symbol.asyncIterator]();
  const mapped = async (result: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => (result.done ? { done: true, value: undefined } : { done: false, value: await run(result.value) });
  const ended = (): Promise<IteratorResult<ExecutionResult>> => Promise.resolve({ done: true, value: undefined });
  const generator: AsyncGenerator<ExecutionResult> = {
    next: () => events.next().then(mapped),
    return: () => (events.return ? events.return().then(() => ended()) : ended()),
    throw: (error: unknown) => (events.throw ? events.throw(error).then(mapped) : Promise.reject(error)),
    [Symbol.asyncIterator]: () => generator,
  };
  return generator;
}
