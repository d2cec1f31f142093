// The playground's example tabs, mutation included, are valid against the schema the gateway serves, and their
// variables coerce: a renamed field or input fails here rather than on a user's first click.
// Runs once the playground has a mutation example (src/playground/examples.ts, owned by the playground work).
import { getVariableValues, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGatewaySchema } from '../../src/graphql/build-schema.js';
import { EXAMPLES } from '../../src/playground/examples.js';

const operationOf = (query: string) =>
  parse(query).definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
const hasMutation = EXAMPLES.some((example) => operationOf(example.query)?.operation === 'mutation');

describe.skipIf(!hasMutation)('the playground examples', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildGatewaySchema();
  });

  it.each(EXAMPLES.map((example) => ({ name: operationOf(example.query)?.name?.value ?? '(anonymous)', example })))(
    '$name parses, validates and takes its variables',
    ({ example }) => {
      const document = parse(example.query);
      expect(validate(schema, document)).toEqual([]);
      const operation = operationOf(example.query) as OperationDefinitionNode;
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], example.variables ?? {});
      expect(coerced.errors).toBeUndefined();
    },
  );
});
