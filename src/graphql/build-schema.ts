// type-graphql's decorators read reflection metadata as each class is defined, so the polyfill must be
// evaluated before the resolver and type modules imported below.
import 'reflect-metadata';
import { GraphQLError, specifiedDirectives, type GraphQLSchema } from 'graphql';
import type { ApiRole } from '../domain/access.js';
import { buildSchema } from 'type-graphql';
import { resolvers } from '../resolvers/index.js';
import { cacheControlDirective } from '../schema/cache-control.js';
import { withCachePolicy } from './cache-policy.js';
import { validateArgument } from './validation.js';

/** Builds the gateway's schema; with `emitSchemaFile`, also writes it there as sorted SDL. */
export async function buildGatewaySchema(emitSchemaFile?: string): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    emitSchemaFile: emitSchemaFile ?? false,
    // Arguments are checked with their class-validator rules before any resolver (and so any platform call) runs.
    directives: [...specifiedDirectives, cacheControlDirective],
    validateFn: validateArgument,
    // Every subscription names its own source (the mirror's change events, src/services/live.service.ts); type-graphql wants
    // a pub/sub all the same, and this one is never asked.
    pubSub: {
      publish: () => undefined,
      subscribe: () => {
        throw new Error('subscriptions read the mirror through their own subscribe function');
      },
    },
    authChecker: ({ context }: { context: { role: ApiRole } }, roles: string[]) => {
      if (roles.length === 0 || roles.includes(context.role)) return true;
      throw new GraphQLError(`this needs an API key with the role ${roles.join(' or ')}`, { extensions: { code: 'FORBIDDEN' } });
    },
  });
  return withCachePolicy(schema);
}
