/**
 * What one GraphQL request may ask for. Depth, aliases and directives are counted by graphql-armor's rules; tokens
 * by graphql-js's own parser limit; the cost by a rule of our own (below), because armor's cost limit prices every
 * object field alike and cannot see that `operations(first: 500)` asks for 25 times what `operations(first: 20)`
 * does. Every rejection is a `GRAPHQL_VALIDATION_FAILED` error (HTTP 400) whose message names the limit and the
 * variable that sets it, with `extensions.limit` and `extensions.max`.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  isListType,
  isNonNullType,
  Kind,
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { DEFAULT_FIRST, MAX_FIRST } from '../schema/limits.js';
import { PLATFORM_CALLS } from './platform-calls.js';
import { MAX_SELECTIONS, selectionLimitRule } from './selection-limit.js';

export interface QueryLimits {
  /** Deepest selection, leaves counted (GATEWAY_MAX_DEPTH). */
  maxDepth: number;
  /** Aliases in a document (GATEWAY_MAX_ALIASES). */
  maxAliases: number;
  /** Lexical tokens in a document (GATEWAY_MAX_TOKENS). */
  maxTokens: number;
  /** Estimated objects resolved, lists weighted by their size (GATEWAY_MAX_COST). */
  maxCost: number;
  /** Bytes of a request body (GATEWAY_MAX_BODY_BYTES); enforced by the JSON body parser. */
  maxBodyBytes: number;
  /** The estimated cost of one API key's live subscriptions, summed (GATEWAY_MAX_LIVE_COST_PER_KEY). */
  maxLiveCostPerKey: number;
}

/** Directives in one document: not configurable, nobody needs more. */
const MAX_DIRECTIVES = 50;

/**
 * Assumed length of a list whose size no argument states (`OperationTargets.devices`, `BatchTask.devices`): a task
 * names up to 256 devices, most far fewer.
 */
export const UNSIZED_LIST_COST = 50;

/** Lists whose usual length is known better: a rollout has a few waves, a wave a task per 256 devices. */
const ASSUMED_LIST_LENGTH: Readonly<Record<string, number>> = {
  'Rollout.waves': 10,
  'RolloutWave.operations': 4,
};

/**
 * The fleet mirror as the limits see it: what it holds costs no platform call once it is READY; a device it does not
 * hold costs its lookup.
 */
export interface MirrorReadiness {
  readonly ready: boolean;
  /** Resolves true once it is READY, false when it is not by `deadline`. */
  readyBy(deadline: number): Promise<boolean>;
  /** Which of these device ids it holds. */
  devicesHeld(ids: readonly string[]): Promise<ReadonlySet<string>>;
}

export interface LimitProtection {
  /** graphql-armor's depth, alias and directive rules, to run beside graphql-js's specified rules. */
  validationRules: ValidationRule[];
  /** The token limit, enforced by graphql-js's parser (see {@link tokenLimitError}). */
  parseOptions: { maxTokens: number };
  /**
   * The cost limit, then the platform-call estimate, for the operation that is to run: both weigh lists by the
   * `first` sent in the variables, so they run once the operation and its variables are known. An operation that
   * fits only once the mirror answers, sent while the mirror's first sync runs, waits for it up to the request's
   * `deadline` rather than being refused for calls the mirror is about to save.
   */
  refusal(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>>,
    deadline: number,
  ): Promise<GraphQLError | undefined>;
}

/** The limits of one request, the same for every transport. */
export function queryLimitProtection(limits: QueryLimits, options: { maxPlatformCalls: number; mirror?: MirrorReadiness }): LimitProtection {
  const report =
    (limit: string, max: number) =>
    (context: ValidationContext | null, error: GraphQLError): void => {
      // armor words its errors "Syntax Error: Query depth limit of 10 exceeded, found 12."
      const what = error.message.replace(/^Syntax Error:\s*/, '').replace(/\.$/, '');
      context?.reportError(new GraphQLError(`${what} (${limit}).`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, max } }));
    };
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, propagateOnRejection: false, onReject: [report('GATEWAY_MAX_DEPTH', limits.maxDepth)] },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [report('GATEWAY_MAX_ALIASES', limits.maxAliases)] },
    maxDirectives: { n: MAX_DIRECTIVES, propagateOnRejection: false, onReject: [report('directives', MAX_DIRECTIVES)] },
    // armor's token limit throws from a parsing hook, which Apollo Server 5 answers with a 500; graphql-js's own
    // parser limit (parseOptions) fails the parse cleanly instead (see tokenLimitError).
    maxTokens: { enabled: false },
    // Replaced by the cost rule below: armor's cost does not weight lists by `first`.
    costLimit: { enabled: false },
    // Hidden by the request pipeline, which words it better than armor's "[Suggestion hidden]".
    blockFieldSuggestion: { enabled: false },
  });
  const { plugins, validationRules } = armor.protect();
  // Every transport applies the rules; an Apollo plugin would protect HTTP alone.
  if (plugins.length > 0) throw new Error('a graphql-armor protection came as an Apollo plugin, which WebSocket would not apply');
  const { mirror, maxPlatformCalls } = options;
  return {
    validationRules: [...validationRules, selectionLimitRule(MAX_SELECTIONS)],
    parseOptions: { maxTokens: limits.maxTokens },
    refusal: async (schema, document, operation, variables, deadline) => {
      const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
      const fragment = (name: string) => fragments.get(name);
      const held = await devicesHeld(mirror, devicesLookedUp(schema, operation, fragment, variables));
      const unknownDevices = (ids: readonly string[]) => new Set(ids.filter((id) => !held.has(id))).size;
      const estimate = (mirrored: boolean) => operationEstimate(schema, operation, fragment, variables, mirrored, unknownDevices);
      const mirrored = mirror?.ready ?? false;
      const { cost, platformCalls } = estimate(mirrored);
      const tooCostly = costExceeded(operation, cost, limits.maxCost);
      if (tooCostly || platformCalls <= maxPlatformCalls) return tooCostly;
      if (mirrored || !mirror) return platformCallsExceeded(platformCalls, maxPlatformCalls);
      const withMirror = estimate(true).platformCalls;
      if (withMirror > maxPlatformCalls) return platformCallsExceeded(platformCalls, maxPlatformCalls);
      return (await mirror.readyBy(deadline)) ? undefined : platformCallsExceeded(platformCalls, maxPlatformCalls, withMirror);
    },
  };
}

/** The device ids an operation looks up by id (`device(id:)`, `devices(ids:)`), wherever they stand. */
function devicesLookedUp(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | undefined,
  variables: Readonly<Record<string, unknown>>,
): string[] {
  const ids: string[] = [];
  operationEstimate(schema, operation, fragment, variables, true, (asked) => {
    ids.push(...asked);
    return 0;
  });
  return ids;
}

/** Which of `ids` the mirror holds; none when it is off or its store cannot say (each may then cost a call). */
async function devicesHeld(mirror: MirrorReadiness | undefined, ids: readonly string[]): Promise<ReadonlySet<string>> {
  if (!mirror || ids.length === 0) return new Set();
  return mirror.devicesHeld(ids).catch(() => new Set<string>());
}

/**
 * graphql-js fails a document over the token limit as a syntax error ("Document contains more that N tokens");
 * this rewrites it like the other limit errors. Returns undefined for any other error.
 */
export function tokenLimitError(message: string): { message: string; extensions: Record<string, unknown> } | undefined {
  const match = /Document contains more that (\d+) tokens/.exec(message);
  if (!match) return undefined;
  const max = Number(match[1]);
  return {
    message: `Token limit of ${max} exceeded (GATEWAY_MAX_TOKENS).`,
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'GATEWAY_MAX_TOKENS', max },
  };
}

/**
 * The refusal of an operation whose worst-case platform calls exceed what one client may spend; `withMirror`: what it
 * would cost once the mirror is READY, when it fits then.
 */
function platformCallsExceeded(platformCalls: number, maxPlatformCalls: number, withMirror?: number): GraphQLError {
  const later =
    withMirror === undefined
      ? ''
      : ` The fleet mirror, which answers it with ${withMirror} platform calls, was not READY before this request's deadline: ask again once it is (query mirror { state }).`;
  return new GraphQLError(
    `This operation may need up to ${platformCalls} platform calls, more than one client may spend (${maxPlatformCalls} of the ` +
      "platform's calls per window, GATEWAY_CLIENT_BUDGET_SHARE). Ask for fewer items (first, ids) or fewer nested lists." +
      later,
    { extensions: { code: 'RATE_LIMITED', estimatedPlatformCalls: platformCalls, maxPlatformCalls } },
  );
}

function costExceeded(operation: OperationDefinitionNode, cost: number, maxCost: number): GraphQLError | undefined {
  if (cost <= maxCost) return undefined;
  return new GraphQLError(`Query cost limit of ${maxCost} exceeded, found ${cost} (GATEWAY_MAX_COST). Ask for fewer items (first) or fewer nested lists.`, {
    nodes: [operation],
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'GATEWAY_MAX_COST', max: maxCost, cost },
  });
}

export interface CostLimitOptions {
  maxCost: number;
  /** The request's variables; without them a variable counts as its default (in the operation, else the schema). */
  variables?: Readonly<Record<string, unknown>>;
  /** Which operation of the document runs; unset: every operation is checked. */
  operationName?: string | null;
}

/**
 * A validation rule: rejects an operation whose estimated cost exceeds `maxCost`. The cost is the number of objects
 * the operation may resolve, each a possible platform call: every object field counts 1 for each item it returns,
 * and a list returns as many items as its connection's `first` (default 20, at most 500), its `ids`, or
 * {@link UNSIZED_LIST_COST} when nothing says. Scalars, `__typename` and introspection cost nothing.
 */
export function costLimitRule(options: CostLimitOptions): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (options.operationName && operation.name?.value !== options.operationName) return;
      const cost = operationCost(context.getSchema(), operation, (name) => context.getFragment(name), options.variables ?? {});
      const error = costExceeded(operation, cost, options.maxCost);
      if (error) context.reportError(error);
    },
  });
}

/** What one operation may cost: objects resolved (the cost), and platform calls at worst. */
export interface OperationEstimate {
  cost: number;
  platformCalls: number;
}

/** The estimated cost of one operation of a document (see {@link costLimitRule}). */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
  variables: Readonly<Record<string, unknown>>,
): number {
  return operationEstimate(schema, operation, fragment, variables).cost;
}

/** The estimated cost and worst-case platform calls of one operation (calls per field: {@link PLATFORM_CALLS}). */
export function operationEstimate(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  /** The fleet mirror answers: what it holds costs no call. */
  mirrored = false,
  /** Of the device ids a field looks up, how many the mirror does not hold (default: all of them). */
  unknownDevices: (ids: readonly string[]) => number = (ids) => new Set(ids).size,
): OperationEstimate {
  const root = schema.getRootType(operation.operation);
  if (!root) return { cost: 0, platformCalls: 0 };
  const variableDefaults = new Map(
    (operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, definition.defaultValue]),
  );
  const intArgument = (node: ArgumentNode | undefined): number | undefined => {
    const value = node?.value;
    if (value?.kind === Kind.INT) return Number(value.value);
    if (value?.kind === Kind.VARIABLE) {
      const sent = variables[value.name.value];
      if (typeof sent === 'number') return sent;
      const fallback = variableDefaults.get(value.name.value);
      if (fallback?.kind === Kind.INT) return Number(fallback.value);
    }
    return undefined;
  };
  /** The ids an `id`/`ids` argument names, as literals or variables (a list's items may be variables too). */
  const idsOf = (node: ArgumentNode | undefined): string[] => {
    const idOf = (value: ValueNode): unknown => (value.kind === Kind.VARIABLE ? variables[value.name.value] : 'value' in value ? value.value : undefined);
    const value = node?.value;
    if (!value) return [];
    const sent = value.kind === Kind.LIST ? value.values.map(idOf) : idOf(value);
    return (Array.isArray(sent) ? sent : [sent]).filter((id) => typeof id === 'string' || typeof id === 'number').map(String);
  };
  const listLength = (node: ArgumentNode | undefined): number | undefined => {
    const value: ValueNode | undefined = node?.value;
    if (value === undefined) return undefined;
    if (value.kind === Kind.LIST) return value.values.length;
    if (value.kind === Kind.VARIABLE) {
      const sent = variables[value.name.value];
      return Array.isArray(sent) ? sent.length : 1;
    }
    return 1;
  };

  const visiting = new Set<string>();
  const fragmentEstimates = new Map<string, OperationEstimate>();
  /** `items`: how many items each list directly below has (set by a connection's `first`). */
  const selectionEstimate = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, items: number | undefined): OperationEstimate => {
    const total: OperationEstimate = { cost: 0, platformCalls: 0 };
    const add = (part: OperationEstimate) => {
      total.cost += part.cost;
      total.platformCalls += part.platformCalls;
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const field = fieldOf(parent, selection.name.value);
        const type = field && getNamedType(field.type);
        if (!field || !type || !isCompositeType(type) || !selection.selectionSet) continue;
        const argument = (name: string) => selection.arguments?.find((a) => a.name.value === name);
        const firstDefault = field.args.find((a) => a.name === 'first')?.defaultValue;
        const first = field.args.some((a) => a.name === 'first')
          ? clamp(intArgument(argument('first')) ?? (typeof firstDefault === 'number' ? firstDefault : DEFAULT_FIRST))
          : undefined;
        const count = isList(field.type) ? (items ?? listLength(argument('ids')) ?? ASSUMED_LIST_LENGTH[`${parent.name}.${field.name}`] ?? UNSIZED_LIST_COST) : 1;
        const below = selectionEstimate(selection.selectionSet, type, first);
        const declared = PLATFORM_CALLS[`${parent.name}.${field.name}`];
        const fromMirror = mirrored && declared?.mirrored;
        const calls = fromMirror ? undefined : declared;
        const window = first ?? count;
        const pages = calls?.pageSize ? Math.ceil(window / calls.pageSize) + (argument('offset') || argument('after') ? 1 : 0) : 0;
        // A device the mirror does not hold is looked up on the platform, READY or not.
        const lookups = fromMirror && declared.byDeviceId ? unknownDevices(idsOf(argument('ids') ?? argument('id'))) * (declared.perItem ?? 0) : 0;
        const own = (calls?.flat ?? 0) + pages + window * (calls?.perItem ?? 0) + lookups;
        add({ cost: count * (1 + below.cost), platformCalls: own + count * below.platformCalls });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        add(selectionEstimate(selection.selectionSet, type ?? parent, items));
      } else {
        const name = selection.name.value;
        const definition = fragment(name);
        if (!definition || visiting.has(name)) continue;
        const type = schema.getType(definition.typeCondition.name.value) ?? parent;
        // Each fragment is costed once per place it can stand in: a spread repeated is multiplied, never expanded
        // again (fragments spreading fragments would otherwise cost exponential time).
        const key = `${name}|${type.name}|${items ?? ''}`;
        let part = fragmentEstimates.get(key);
        if (!part) {
          visiting.add(name);
          part = selectionEstimate(definition.selectionSet, type, items);
          visiting.delete(name);
          fragmentEstimates.set(key, part);
        }
        add(part);
      }
    }
    return total;
  };
  return selectionEstimate(operation.selectionSet, root, undefined);
}

function fieldOf(type: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
}

function isList(type: GraphQLType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function clamp(first: number): number {
  return Math.max(0, Math.min(MAX_FIRST, first));
}

/** Parses nothing itself: a convenience for tests and tools, the cost of the document's only (or named) operation. */
export function documentCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> = {}, operationName?: string): number {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  return operation ? operationCost(schema, operation, (name) => fragments.get(name), variables) : 0;
}
