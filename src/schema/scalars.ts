import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';

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
    return iso.replace(/\.\d{3}Z$/, 'Z');
  },
});

export const JSONObjectScalar = JSONObjectResolver;
