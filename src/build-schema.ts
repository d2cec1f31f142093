// type-graphql's decorators read reflection metadata as each class is defined, so the polyfill must be
// evaluated before the resolver and type modules imported below.
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { resolvers } from './resolvers/index.js';

/** Builds the gateway's schema; with `emitSchemaFile`, also writes it there as sorted SDL. */
export function buildGatewaySchema(emitSchemaFile?: string): Promise<GraphQLSchema> {
  return buildSchema({ resolvers, emitSchemaFile: emitSchemaFile ?? false });
}
