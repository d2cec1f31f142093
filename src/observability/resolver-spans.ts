/**
 * A span for each resolver that waits, i.e. returns a promise (the root fields, the fields that read the store or the
 * platform), under its parent field's span or else its request's. A resolver that answers at once (most fields: a
 * property of their parent) gets none: while tracing is on it costs a context switch, and while it is off nothing
 * (the schema is instrumented only when tracing is on).
 */
import { context, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { isObjectType, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { formatError } from '../graphql/errors.js';
import { scopeOf, under, withScope, type TraceScope } from './trace-scope.js';

type ResponsePath = GraphQLResolveInfo['path'];

/** The scope of each field whose resolver waited, by its path in the response (new objects in every execution). */
const fieldScopes = new WeakMap<ResponsePath, TraceScope>();

export function instrumentResolvers(schema: GraphQLSchema, tracer: Tracer): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.resolve) field.resolve = traced(field.resolve, tracer);
    }
  }
}

function traced(resolve: GraphQLFieldResolver<unknown, unknown>, tracer: Tracer): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, contextValue, info) => {
    const active = context.active();
    const parent = parentFieldScope(info.path) ?? scopeOf(active);
    // Outside a traced request there is nothing to trace it under.
    if (!parent) return resolve(source, args, contextValue, info);
    const scope: TraceScope = { open: true, parent };
    const started = performance.now();
    const result: unknown = context.with(withScope(active, scope), resolve, undefined, source, args, contextValue, info);
    if (!(result instanceof Promise)) return result;
    const span = (scope.span = tracer.startSpan(`${info.parentType.name}.${info.fieldName}`, { startTime: started, attributes: attributesOf(info) }, under(parent)));
    fieldScopes.set(info.path, scope);
    return result.then(
      (value: unknown) => {
        scope.open = false;
        span.end();
        return value;
      },
      (error: unknown) => {
        scope.open = false;
        const code = String(formatError({ message: '' }, error).extensions?.code ?? 'INTERNAL_SERVER_ERROR');
        span.setAttribute(ATTR_ERROR_TYPE, code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        span.end();
        throw error;
      },
    );
  };
}

/** The scope of the nearest field above this one whose resolver waited. */
function parentFieldScope(path: ResponsePath): TraceScope | undefined {
  for (let above = path.prev; above; above = above.prev) {
    const scope = fieldScopes.get(above);
    if (scope) return scope;
  }
  return undefined;
}

function attributesOf(info: GraphQLResolveInfo): Attributes {
  const keys: (string | number)[] = [];
  for (let at: ResponsePath | undefined = info.path; at; at = at.prev) keys.unshift(at.key);
  return {
    'graphql.field.name': info.fieldName,
    'graphql.field.path': keys.join('.'),
    'graphql.field.type': String(info.returnType),
    'graphql.parent.name': info.parentType.name,
  };
}
