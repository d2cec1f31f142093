/**
 * The one request pipeline of every transport (HTTP through Apollo Server, graphql-ws, and any later one): who calls
 * (the API key), the parse (token limit), the validation rules (graphql-js's, armor's depth, aliases and directives,
 * introspection), the refusals that need the operation and its variables (cost, platform-call estimate), the
 * execution context, error formatting (suggestions hidden with introspection), error logging, and the audit trail's
 * one record of each mutation call (audit-trail.ts).
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
  print,
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
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logging/logger.js';
import type { RefusalLog } from '../logging/refusal-log.js';
import { recordMutations } from './audit-trail.js';
import { ApiKeys, authenticate, type Caller } from './auth.js';
import { contextFor, type ContextDependencies, type GatewayContext } from './context.js';
import { formatError, logErrors } from './errors.js';
import { documentCost, queryLimitProtection, type LimitProtection, type MirrorReadiness, type QueryLimits } from './limits.js';
import { LiveEvents, type LiveSubscription, type LiveTransport } from './live-events.js';
import { ResponseCache, type CacheTicket } from './response-cache.js';
import { subscriptionRootDirectiveErrors } from './subscription-root.js';
import type { RequestTracer, TraceOrigin } from './tracing.js';

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
  /** The store's data version (see store/data-version.ts): answers read from the store are kept until it moves. */
  dataVersion?: () => string | undefined;
  /** Spans for each request, its resolvers that wait and what they call; unset: not traced. */
  tracer?: RequestTracer;
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

/**
 * The source characters of the validated documents kept, in all transports. A parsed tree (its token list included)
 * takes some 20 to 30 times its text: this keeps the cache within some tens of MB however many distinct documents
 * clients send (Apollo's own store, 30 MiB by the trees' JSON, held about 140 MB).
 */
const DOCUMENT_CACHE_CHARACTERS = 1_000_000;

export class RequestPipeline {
  readonly schema: GraphQLSchema;
  readonly parseOptions: ParseOptions;
  /** The rules beside graphql-js's specified ones (which Apollo adds itself). */
  readonly validationRules: readonly ValidationRule[];
  readonly #options: PipelineOptions;
  readonly #keys: ApiKeys | undefined;
  readonly #limits: LimitProtection;
  /**
   * Documents that passed parsing and validation: by their text for WebSocket and SSE, by Apollo's hash of it for HTTP
   * (Apollo's document store). A client that subscribes alike many times is parsed and validated once, and its
   * subscriptions share one tree.
   */
  readonly documents = new LRUCache<string, DocumentNode>({ max: 2000, maxSize: DOCUMENT_CACHE_CHARACTERS, sizeCalculation: (document) => Math.max(1, document.loc?.end ?? 1000) });
  /** Subscriptions' work: their cost per key, their events' executions (shared, in turn). */
  readonly live: LiveEvents;
  /** Answers read from the store, kept until its data changes. */
  readonly responses: ResponseCache | undefined;
  readonly tracer: RequestTracer | undefined;

  constructor(options: PipelineOptions) {
    this.#options = options;
    this.schema = options.schema;
    this.#keys = options.context.apiKeys && new ApiKeys(options.context.apiKeys);
    this.#limits = queryLimitProtection(options.limits, { maxPlatformCalls: options.maxPlatformCalls, mirror: options.mirror });
    this.parseOptions = this.#limits.parseOptions;
    this.validationRules = [...(options.introspection ? [] : [refuseIntrospection]), ...this.#limits.validationRules];
    this.live = new LiveEvents(options.limits.maxLiveCostPerKey);
    this.responses = options.dataVersion && new ResponseCache(options.dataVersion);
    this.tracer = options.tracer;
    this.tracer?.instrument(this.schema);
    recordMutations(this.schema);
  }

  /** Where an operation's answer may be kept (see ResponseCache), if it may; the data version is read now. */
  cacheTicket(document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | undefined, context: GatewayContext): CacheTicket | undefined {
    const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
    const text = document.loc?.source.body ?? print(document);
    return this.responses?.ticket(operation, fragments, { role: context.role, client: context.client, document: text, operationName: operation.name?.value, variables });
  }

  /** The caller behind a presented API key; throws UNAUTHENTICATED when keys are configured and it is not one. */
  authenticate(presented: string | undefined): Caller {
    return authenticate(presented, this.#keys);
  }

  /** A context for one operation (or one subscription event) of a caller. */
  context(caller: Caller, record: RequestRecord = { requestId: randomUUID(), errorCodes: [] }): GatewayContext {
    return contextFor(this.#options.context, caller, record);
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

  /**
   * Parses, validates and checks one operation for a transport other than Apollo's, as Apollo does. Traced, its span
   * starts here (continuing the `origin`'s trace) and ends once `execute` or `subscribe` is done with it.
   */
  async prepare(request: OperationRequest, caller: Caller, origin?: TraceOrigin): Promise<PreparedOperation | { errors: readonly GraphQLError[] }> {
    const record: RequestRecord = { requestId: randomUUID(), errorCodes: [], client: caller.client, span: origin && this.tracer?.start(origin) };
    const refused = (code: string, errors: readonly GraphQLError[]) => {
      const coded = errors.map((error) => withCode(error, code));
      // Logged as Apollo's plugin logs an HTTP request's (see http.ts).
      this.logErrors(coded, { requestId: record.requestId, client: caller.client });
      record.errorCodes = coded.map(() => code);
      record.span?.end(record);
      return { errors: coded };
    };
    let document = this.documents.get(request.query);
    if (!document) {
      try {
        document = parse(request.query, this.parseOptions);
      } catch (error) {
        return refused('GRAPHQL_PARSE_FAILED', [error instanceof GraphQLError ? error : new GraphQLError(String(error))]);
      }
      const invalid = this.refusedBeforeValidation(document);
      if (invalid.length === 0) invalid.push(...validate(this.schema, document, [...specifiedRules, ...this.validationRules]));
      if (invalid.length > 0) return refused('GRAPHQL_VALIDATION_FAILED', invalid);
      this.documents.set(request.query, document);
    }
    const operation = getOperationAST(document, request.operationName);
    if (!operation) return refused('OPERATION_RESOLUTION_FAILURE', [noOperation(document, request.operationName)]);
    record.operationName = operation.name?.value;
    record.operationType = operation.operation;
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

  /** Executes a query or mutation (a query read from the store may be answered from the cache); errors are logged. */
  readonly execute = (args: ExecutionArgs): Promise<ExecutionResult> => this.#traced((args.contextValue as GatewayContext).record, () => this.#execute(args));

  /** Runs a request's work in its span, when it is traced, and ends the span with what the work answered. */
  async #traced<T extends ExecutionResult | AsyncGenerator<ExecutionResult>>(record: RequestRecord, work: () => Promise<T>): Promise<T> {
    const span = record.span;
    if (!span) return work();
    let result: T | undefined;
    try {
      result = await span.run(work);
      return result;
    } finally {
      // A subscription's stream is its answer; its events are traced one by one.
      const subscribed = result !== undefined && Symbol.asyncIterator in result;
      const answer = subscribed ? undefined : (result as ExecutionResult | undefined);
      record.answered = { hasData: subscribed || (answer?.data !== undefined && answer.data !== null) };
      record.errorCodes = result === undefined ? ['INTERNAL_SERVER_ERROR'] : this.formatErrors(answer?.errors ?? []).map((error) => String(error.extensions?.code ?? 'UNKNOWN'));
      span.end(record);
    }
  }

  async #execute(args: ExecutionArgs): Promise<ExecutionResult> {
    const context = args.contextValue as GatewayContext;
    const operation = args.rootValue === undefined ? getOperationAST(args.document, args.operationName) : undefined;
    const ticket = operation ? this.cacheTicket(args.document, operation, args.variableValues ?? undefined, context) : undefined;
    const kept = ticket && this.responses?.get(ticket);
    if (ticket) context.record.cacheHit = kept !== undefined;
    if (kept) return { data: kept.data };
    const result = await execute(args);
    if (result.errors) this.logErrors(result.errors, context);
    else if (ticket) this.responses?.set(ticket, result, context.scope.platformRead ?? false);
    return result;
  }

  /**
   * Subscribes, over `transport`. Each event is executed as a request of its own: a context's DataLoaders and reads
   * are per request, and one kept for a subscription's lifetime would answer every later event with what the first
   * one read. The subscription counts in its key's live cost until it ends; `LiveEvents` bounds its events' work.
   */
  subscriber(transport: LiveTransport): (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    return (args) => this.#traced((args.contextValue as GatewayContext).record, () => this.#subscribe(args, transport));
  }

  async #subscribe(args: ExecutionArgs, transport: LiveTransport): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const context = args.contextValue as GatewayContext;
    const subscription = this.#liveSubscription(args, context, transport);
    const close = this.live.open(subscription);
    if (!close) {
      const { max, spent } = this.live.budgetOf(subscription.caller);
      const refusal = new GraphQLError(
        `This API key's live subscriptions would cost ${spent + subscription.cost}, over its limit of ${max} (GATEWAY_MAX_LIVE_COST_PER_KEY): complete some, or ask for less.`,
        { extensions: { code: 'BAD_REQUEST', limit: 'GATEWAY_MAX_LIVE_COST_PER_KEY', max } },
      );
      this.logErrors([refusal], context);
      return { errors: [refusal] };
    }
    const events = await createSourceEventStream(args).catch((error: unknown) => {
      close();
      throw error;
    });
    if (!(Symbol.asyncIterator in events)) {
      close();
      if (events.errors) this.logErrors(events.errors, context);
      return events;
    }
    const { caller } = subscription;
    const run = (event: unknown) => this.live.answer(subscription, event, () => this.execute({ ...args, rootValue: event, contextValue: this.context(caller, this.#eventRecord(context.record, transport)) }));
    return eachEvent(events, run, close);
  }

  /** The record of one event's execution: a request of its own, of the subscription's operation. */
  #eventRecord(subscribed: RequestRecord, transport: LiveTransport): RequestRecord {
    const { operationName, operationType } = subscribed;
    return { requestId: randomUUID(), errorCodes: [], operationName, operationType, span: this.tracer?.start({ transport, event: true }) };
  }

  #liveSubscription(args: ExecutionArgs, context: GatewayContext, transport: LiveTransport): LiveSubscription {
    const variables = args.variableValues ?? {};
    const text = args.document.loc?.source.body ?? print(args.document);
    return {
      transport,
      caller: { role: context.role, client: context.client },
      shape: `${args.operationName ?? ''}\0${JSON.stringify(variables)}\0${text}`,
      cost: documentCost(this.schema, args.document, { ...variables }, args.operationName ?? undefined),
    };
  }
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

/**
 * The source's events, each mapped; ending the result ends the source at once (as graphql-js's own mapping does), and
 * `ended` is called once when the stream ends, however it ends.
 */
function eachEvent(source: AsyncIterable<unknown>, run: (event: unknown) => Promise<ExecutionResult>, ended: () => void): AsyncGenerator<ExecutionResult> {
  const events = source[Symbol.asyncIterator]();
  const done = (): IteratorResult<ExecutionResult> => {
    ended();
    return { done: true, value: undefined };
  };
  const mapped = async (result: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => (result.done ? done() : { done: false, value: await run(result.value) });
  const generator: AsyncGenerator<ExecutionResult> = {
    next: () => events.next().then(mapped),
    return: () => (events.return ? events.return().then(done, (error: unknown) => (done(), Promise.reject(error))) : Promise.resolve(done())),
    throw: (error: unknown) => {
      ended();
      return events.throw ? events.throw(error).then(mapped) : Promise.reject(error);
    },
    [Symbol.asyncIterator]: () => generator,
  };
  return generator;
}
