import { GraphQLError, GraphQLScalarType } from 'graphql';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';

/** An ISO time in whole seconds, as the platform writes its times. */
export const inWholeSeconds = (iso: string): string => iso.replace(/\.\d{3}Z$/, 'Z');

/**
 * graphql-scalars' DateTime (same parsing and validation), serialized at the platform's precision:
 * "2015-12-12T12:12:12Z" rather than "2015-12-12T12:12:12.000Z".
 */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  description: 'An ISO-8601 UTC time, e.g. "2015-12-12T12:12:12Z" (the platform\'s 20151212T121212Z, converted).',
  serialize(value) {
    // graphql-scalars validates and returns a Date; the wire form is its ISO string in whole seconds, like the platform's.
    const serialized: unknown = DateTimeResolver.serialize(value);
    const iso = serialized instanceof Date ? serialized.toISOString() : String(serialized);
    return inWholeSeconds(iso);
  },
});

/**
 * How deep a JSONObject argument may nest. A command's parameters are a few levels deep; a variable nested thousands
 * deep (JSON.parse takes it) overflowed the stack of what walks it (the idempotency fingerprint, JSON.stringify) and
 * failed as INTERNAL_SERVER_ERROR.
 */
const MAX_JSON_OBJECT_DEPTH = 32;

/** graphql-scalars' JSONObject, refusing values nested deeper than MAX_JSON_OBJECT_DEPTH (BAD_USER_INPUT, as any bad value). */
export const JSONObjectScalar = new GraphQLScalarType({
  ...JSONObjectResolver.toConfig(),
  parseValue(value) {
    return JSONObjectResolver.parseValue(shallowEnough(value));
  },
  parseLiteral(literal, variables) {
    // Variables inside a literal are taken as they were sent: the value is checked once it is whole.
    return shallowEnough(JSONObjectResolver.parseLiteral(literal, variables));
  },
});

/** The value, if it nests at most MAX_JSON_OBJECT_DEPTH deep; looked at level by level, never recursively. */
function shallowEnough(value: unknown): unknown {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > MAX_JSON_OBJECT_DEPTH) throw new GraphQLError(`JSONObject nests deeper than ${MAX_JSON_OBJECT_DEPTH} levels.`);
    level = level.flatMap((item) => (typeof item === 'object' && item !== null ? Object.values(item) : []));
  }
  return value;
}
