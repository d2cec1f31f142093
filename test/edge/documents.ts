// Documents built from the gateway's schema (schema.graphql) for the fuzz test: random nesting, aliases, arguments
// as literals or variables (values of the right type or a wrong one), inline fragments, named fragments spread
// nested and repeatedly, @include/@skip. With `chaos` above 0 some decisions go wrong on purpose (unknown fields and
// arguments, missing selections, undefined or cyclic fragments, undeclared variables, unknown directives).
import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isRequiredInputField,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import type { Random } from '../../src/emulator/random.js';

export const fuzzSchema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

/** Ids the platform and the mirror know, so that some arguments name real objects. */
export interface KnownIds {
  devices: string[];
  operations: string[];
  packages: string[];
  groups: string[];
}

export type RootKind = 'query' | 'mutation' | 'subscription';

/** An enum value: bare in a literal, its name in JSON variables. */
class EnumValue {
  constructor(readonly name: string) {}

  toJSON(): string {
    return this.name;
  }
}

/** Segments of an input value's path (`fleet.filter.or.where...`) past which a recursive input stops nesting. */
const MAX_VALUE_PATH = 8;
/** Ids that are not: empty, path-like, encoded, odd characters, long. */
const ODD_IDS = ['', ' ', 'no-such-id', '../../etc/passwd', 'a/b?c=d#e', '%2F%2e%2e', '\u0000', 'Ωmega-😀', '-1', '9'.repeat(40), 'x'.repeat(3000), "'; DROP TABLE devices; --"];
const STRINGS = ['', 'a', 'fuzz', 'DeviceCmd', 'ONLINE', 'ünïcödé', 'line\nbreak', 'quote"back\\slash', '😀', '%s%n', '0'.repeat(500)];
const INTS = [0, 1, 2, 3, -1, 10, 500, 501, 100_000, 2_147_483_647, -2_147_483_648];
const DATES = ['2026-03-01T00:00:00Z', '2030-01-01T00:00:00.000Z', 'yesterday', '2026-13-45T99:99:99Z', '20151212T121212Z', ''];

/** Where an argument's ids come from, by the argument's or the field's name. */
function idPool(ids: KnownIds, name: string): string[] {
  if (/operation/i.test(name)) return ids.operations;
  if (/file|package/i.test(name)) return ids.packages;
  if (/group/i.test(name)) return ids.groups;
  return ids.devices;
}

interface Variable {
  type: string;
  value: unknown;
  /** Declared but not sent (a required one: a coercion error). */
  unsent?: boolean;
}

export interface BuiltDocument {
  query: string;
  variables: Record<string, unknown>;
}

/** Builds one operation (and the fragments it spreads) from the schema, decision by decision. */
export class DocumentBuilder {
  readonly #variables = new Map<string, Variable>();
  readonly #fragments: string[] = [];
  /** Finished fragments by the type they are on: spread again, never while they are built (no cycles). */
  readonly #fragmentsOn = new Map<string, string[]>();
  readonly #building: string[] = [];
  /** One argument list per field in a document: fields of one name merge, and differing arguments would conflict. */
  readonly #arguments = new Map<string, string>();
  #names = 0;

  constructor(
    readonly random: Random,
    readonly ids: KnownIds,
    /** The chance that any one decision goes wrong on purpose. */
    readonly chaos = 0,
    /** Named fragments: none where operations built apart are put in one document (their names would clash). */
    readonly spreads = true,
  ) {}

  #wrong(): boolean {
    return this.chaos > 0 && this.random.chance(this.chaos);
  }

  #name(prefix: string): string {
    this.#names += 1;
    return `${prefix}${this.#names}`;
  }

  /** One operation of this kind with at most `depth` levels of fields and about `width` fields a level. */
  operation(kind: RootKind, depth: number, width: number, name?: string): BuiltDocument {
    const root = (kind === 'query' ? fuzzSchema.getQueryType() : kind === 'mutation' ? fuzzSchema.getMutationType() : fuzzSchema.getSubscriptionType()) as GraphQLObjectType;
    // A subscription has exactly one root field.
    const body = kind === 'subscription' ? `{ ${this.#fields(root, depth + 1, 1)} }` : this.#selectionSet(root, depth, width);
    const declared = [...this.#variables].map(([variable, { type }]) => `$${variable}: ${type}`);
    if (this.#wrong()) declared.push(`$unused${this.#names}: Int`);
    const header = `${kind}${name ? ` ${name}` : ''}${declared.length > 0 ? `(${declared.join(', ')})` : ''}`;
    const sent = Object.fromEntries([...this.#variables].filter(([, v]) => !v.unsent).map(([variable, { value }]) => [variable, value]));
    // As a client sends them: plain JSON (enum values as their names).
    const variables = JSON.parse(JSON.stringify(sent)) as Record<string, unknown>;
    const operation = header === 'query' && this.random.chance(0.3) ? body : `${header} ${body}`;
    return { query: [operation, ...this.#fragments].join('\n'), variables };
  }

  #selectionSet(type: GraphQLObjectType, depth: number, width: number): string {
    const parts = [this.#fields(type, depth, width)];
    if (this.random.chance(0.12)) parts.push(this.#inlineFragment(type, depth, width));
    if (this.spreads && this.random.chance(0.15)) parts.push(this.#spread(type, depth, width));
    if (this.random.chance(0.05)) parts.push('__typename');
    if (this.#wrong()) parts.push(this.random.pick(['unknownField', 'id(bogus: 1)', '...Undefined', '__schema { types { name } }', '... on NoSuchType { id }']));
    return `{ ${parts.join(' ')} }`;
  }

  #fields(type: GraphQLObjectType, depth: number, width: number): string {
    const all = Object.values(type.getFields());
    // At the last level only leaves are selected; a type without leaves still has __typename.
    const usable = depth <= 1 ? all.filter((f) => isLeafType(getNamedType(f.type))) : all;
    if (usable.length === 0) return '__typename';
    return this.random
      .sample(usable, this.random.int(1, Math.max(1, width)))
      .map((field) => this.#field(type, field, depth, width))
      .join(' ');
  }

  #field(parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, depth: number, width: number): string {
    const alias = this.random.chance(0.06) ? `${this.#name('a')}: ` : '';
    const key = `${parent.name}.${field.name}`;
    let args = this.#arguments.get(key);
    if (args === undefined) {
      args = this.#argumentList(field);
      this.#arguments.set(key, args);
    }
    const directive = this.random.chance(0.08) ? ` ${this.#directive()}` : '';
    const named = getNamedType(field.type);
    let selection = '';
    if (isObjectType(named)) {
      if (!this.#wrong()) selection = ` ${this.#selectionSet(named, depth - 1, Math.max(1, width - 1))}`;
    } else if (this.#wrong()) {
      selection = ' { id }';
    }
    return `${alias}${field.name}${args}${directive}${selection}`;
  }

  #argumentList(field: GraphQLField<unknown, unknown>): string {
    const given = field.args.filter((arg) => (isNonNullType(arg.type) && arg.defaultValue === undefined ? !this.#wrong() : this.random.chance(0.4)));
    const parts = given.map((arg) => `${arg.name}: ${this.#argumentValue(field, arg)}`);
    if (this.#wrong()) parts.push(`${this.random.pick(['bogus', 'limit', 'id'])}: ${this.random.pick(['1', '"x"', 'true', 'null'])}`);
    return parts.length > 0 ? `(${parts.join(', ')})` : '';
  }

  #argumentValue(field: GraphQLField<unknown, unknown>, arg: GraphQLArgument): string {
    const context = `${field.name}.${arg.name}`;
    if (this.random.chance(0.3)) {
      const name = this.#name('v');
      const wrong = this.#wrong() || this.random.chance(0.1);
      this.#variables.set(name, {
        type: this.#wrong() ? this.random.pick(['String', 'Int!', '[ID]', 'Boolean']) : String(arg.type),
        value: wrong ? this.wrongValue(arg.type) : this.value(arg.type, context),
        unsent: isNonNullType(arg.type) && this.random.chance(0.03),
      });
      return this.#wrong() ? `$undeclared${this.#names}` : `$${name}`;
    }
    return this.#wrong() ? this.literal(this.wrongValue(arg.type)) : this.literal(this.value(arg.type, context));
  }

  #directive(): string {
    if (this.#wrong()) return this.random.pick(['@include', '@skip(if: "yes")', '@nope', '@include(if: true, extra: 1)', '@deprecated']);
    const name = this.random.pick(['include', 'skip']);
    if (this.random.chance(0.5)) return `@${name}(if: ${this.random.pick(['true', 'false'])})`;
    const variable = this.#name('b');
    this.#variables.set(variable, { type: 'Boolean!', value: this.random.chance(0.5) });
    return `@${name}(if: $${variable})`;
  }

  #inlineFragment(type: GraphQLObjectType, depth: number, width: number): string {
    const condition = this.#wrong() ? ' on Rollout' : this.random.pick([` on ${type.name}`, '']);
    const directive = this.random.chance(0.4) || !condition ? ` ${this.#directive()}` : '';
    return `...${condition}${directive} ${this.#selectionSet(type, depth, width)}`;
  }

  #spread(type: GraphQLObjectType, depth: number, width: number): string {
    if (this.#wrong() && this.#building.length > 0) return `...${this.random.pick(this.#building)}`;
    const existing = this.#fragmentsOn.get(type.name) ?? [];
    if (existing.length > 0 && this.random.chance(0.5)) {
      // The same fragment spread again, sometimes twice in a row.
      const name = this.random.pick(existing);
      return this.random.chance(0.3) ? `...${name} ...${name}` : `...${name}`;
    }
    const name = this.#name('F');
    this.#building.push(name);
    const on = this.#wrong() ? 'Query' : type.name;
    this.#fragments.push(`fragment ${name} on ${on} ${this.#selectionSet(type, depth, width)}`);
    this.#building.pop();
    this.#fragmentsOn.set(type.name, [...existing, name]);
    return `...${name}`;
  }

  /** A value of this input type (as JSON), mostly one the schema accepts; `context` names where it goes. */
  value(type: GraphQLInputType, context: string): unknown {
    if (isNonNullType(type)) return this.value(type.ofType, context);
    if (isListType(type)) return Array.from({ length: this.random.int(0, 3) }, () => this.value(type.ofType, context));
    if (isEnumType(type)) return new EnumValue(this.random.pick(type.getValues()).name);
    if (isInputObjectType(type)) {
      // A type that holds itself (DeviceFilter's and/or/not) nests only so deep: past it, required fields alone.
      const deep = context.split('.').length > MAX_VALUE_PATH;
      const fields = Object.values(type.getFields()).filter((f) => isRequiredInputField(f) || (!deep && this.random.chance(0.35)));
      return Object.fromEntries(fields.map((f) => [f.name, this.value(f.type, `${context}.${f.name}`)]));
    }
    const name = context.split('.').pop() ?? '';
    switch (type.name) {
      case 'ID':
        return this.random.chance(0.75) && idPool(this.ids, context).length > 0 ? this.random.pick(idPool(this.ids, context)) : this.random.pick(ODD_IDS);
      case 'Int':
        // Mostly few items: answers stay small and quick.
        return /first|offset/.test(name) && this.random.chance(0.9) ? this.random.int(0, 3) : this.random.pick(INTS);
      case 'Float':
        return this.random.pick([0, 0.5, 1, 12.5, -3.25, 1e9]);
      case 'Boolean':
        return this.random.chance(0.5);
      case 'DateTime':
        return this.random.pick(DATES);
      case 'JSONObject':
        return this.random.pick([{}, { a: 1 }, { value: 'on', nested: { list: [1, 'two', null] } }]);
      default:
        return this.random.pick(STRINGS);
    }
  }

  /** A value this input type does not accept (or does only by coercion: a single item for a list). */
  wrongValue(type: GraphQLInputType): unknown {
    const named = getNamedType(type);
    return this.random.pick<unknown>([
      null,
      'three',
      1.5,
      2 ** 40,
      true,
      {},
      [[]],
      { unknown: 1 },
      isEnumType(named) ? 'NOT_A_VALUE' : 'x',
      isInputObjectType(named) ? { ...(this.value(named, 'x') as object), extra: 1 } : ['a', 'b'],
    ]);
  }

  /** A value as a GraphQL literal. */
  literal(value: unknown): string {
    if (value === null || value === undefined) return 'null';
    if (value instanceof EnumValue) return value.name;
    if (Array.isArray(value)) return `[${value.map((item) => this.literal(item)).join(', ')}]`;
    if (typeof value === 'object') return `{ ${Object.entries(value).map(([key, item]) => `${key}: ${this.literal(item)}`).join(', ')} }`;
    return JSON.stringify(value);
  }
}
