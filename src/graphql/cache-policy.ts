/**
 * A query's cache policy (the `Cache-Control` of its answer) from the schema's `@cacheControl` hints and the hints
 * resolvers set (`hintTask`), computed as Apollo Server's cache-control plugin computes it, without its cost: that
 * plugin hooks every field's resolution, which makes Apollo wrap every resolver of the schema, scalars included
 * (about a fifth of the gateway's CPU per dashboard on the platform path). Here only the fields that can restrict
 * the policy are wrapped, once, when the schema is built: root fields, fields of an object, interface or union type,
 * and fields with a hint of their own. The rules are Apollo's: a field of a composite type takes its type's hint
 * (or inherits its parent's with `inheritMaxAge`), its own hint replaces it, a resolver's dynamic hint replaces
 * both; one left without a maxAge gets 0; the answer's policy is the strictest of all resolved fields.
 */
import {
  defaultFieldResolver,
  getNamedType,
  isCompositeType,
  isObjectType,
  type ConstDirectiveNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';

type Scope = 'PUBLIC' | 'PRIVATE';
interface Hint {
  maxAge?: number;
  scope?: Scope;
}
interface Annotation extends Hint {
  inheritMaxAge?: boolean;
}

/** What Apollo's `CachePolicy` offers resolvers (through `info.cacheControl.cacheHint`). */
export class CachePolicy implements Hint {
  maxAge?: number;
  scope?: Scope;

  replace(hint: Hint): void {
    if (hint.maxAge !== undefined) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined) this.scope = hint.scope;
  }

  restrict(hint: Hint): void {
    if (hint.maxAge !== undefined && (this.maxAge === undefined || hint.maxAge < this.maxAge)) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined && this.scope !== 'PRIVATE') this.scope = hint.scope;
  }

  policyIfCacheable(): Required<Hint> | null {
    if (this.maxAge === undefined || this.maxAge === 0) return null;
    return { maxAge: this.maxAge, scope: this.scope ?? 'PUBLIC' };
  }
}

/** What a request's resolvers restrict: the overall policy of its answer. */
export interface CachePolicyHolder {
  cachePolicy?: CachePolicy;
}

/** The `Cache-Control` header of an answer: cacheable only without errors, `no-store` otherwise (as Apollo sets it). */
export function cacheControlHeader(policy: CachePolicy | undefined, hasErrors: boolean): string {
  const cacheable = !hasErrors && policy?.policyIfCacheable();
  return cacheable ? `max-age=${cacheable.maxAge}, ${cacheable.scope.toLowerCase()}` : 'no-store';
}

/** Wraps the resolvers of the fields that can restrict a request's cache policy (see above); returns the schema. */
export function withCachePolicy(schema: GraphQLSchema): GraphQLSchema {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean));
  const typeAnnotations = new Map<GraphQLCompositeType, Annotation>();
  const annotationOfType = (type: GraphQLCompositeType): Annotation => {
    let annotation = typeAnnotations.get(type);
    if (annotation === undefined) {
      annotation = annotationOf([type.astNode, ...type.extensionASTNodes].flatMap((node) => node?.directives ?? []));
      typeAnnotations.set(type, annotation);
    }
    return annotation;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type);
      const composite = isCompositeType(target);
      const own = annotationOf(field.astNode?.directives ?? []);
      const root = roots.has(type);
      if (!composite && !root && own.maxAge === undefined && own.scope === undefined) continue;
      field.resolve = hinted(field, staticHint(composite ? annotationOfType(target) : undefined, own), composite, root, annotationOfType);
    }
  }
  return schema;
}

/** A field's hint before it resolves, and whether it inherits its parent's maxAge. */
function staticHint(typeAnnotation: Annotation | undefined, own: Annotation): { hint: Hint; inheritMaxAge: boolean } {
  const hint = new CachePolicy();
  let inheritMaxAge = false;
  if (typeAnnotation) {
    hint.replace(typeAnnotation);
    inheritMaxAge = typeAnnotation.inheritMaxAge === true;
  }
  if (own.inheritMaxAge && hint.maxAge === undefined) {
    inheritMaxAge = true;
    if (own.scope) hint.replace({ scope: own.scope });
  } else {
    hint.replace(own);
  }
  return { hint: { maxAge: hint.maxAge, scope: hint.scope }, inheritMaxAge };
}

function hinted(
  field: GraphQLField<unknown, unknown>,
  { hint, inheritMaxAge }: { hint: Hint; inheritMaxAge: boolean },
  composite: boolean,
  root: boolean,
  cacheHintFromType: (type: GraphQLCompositeType) => Annotation,
): GraphQLFieldResolver<unknown, unknown> {
  const resolve = field.resolve ?? defaultFieldResolver;
  const defaultsToZero = (composite && !inheritMaxAge) || root;
  return (source, args, context, info) => {
    const overall = (context as CachePolicyHolder | undefined)?.cachePolicy;
    // Once the answer may not be cached at all (maxAge 0), no hint can change that.
    if (!overall || overall.maxAge === 0) return resolve(source, args, context, info);
    const fieldPolicy = new CachePolicy();
    fieldPolicy.replace(hint);
    Object.assign(info, { cacheControl: { setCacheHint: (dynamic: Hint) => fieldPolicy.replace(dynamic), cacheHint: fieldPolicy, cacheHintFromType } });
    const resolved = () => {
      if (fieldPolicy.maxAge === undefined && defaultsToZero) fieldPolicy.restrict({ maxAge: 0 });
      overall.restrict(fieldPolicy);
    };
    let result: unknown;
    try {
      result = resolve(source, args, context, info);
    } catch (error) {
      resolved();
      throw error;
    }
    if (!isPromiseLike(result)) {
      resolved();
      return result;
    }
    return result.then(
      (value) => {
        resolved();
        return value;
      },
      (error: unknown) => {
        resolved();
        throw error;
      },
    );
  };
}

function annotationOf(directives: readonly ConstDirectiveNode[]): Annotation {
  const directive = directives.find((d) => d.name.value === 'cacheControl');
  const annotation: Annotation = {};
  for (const argument of directive?.arguments ?? []) {
    const { value } = argument;
    if (argument.name.value === 'maxAge' && value.kind === 'IntValue') annotation.maxAge = Number(value.value);
    if (argument.name.value === 'scope' && value.kind === 'EnumValue' && (value.value === 'PUBLIC' || value.value === 'PRIVATE')) annotation.scope = value.value;
    if (argument.name.value === 'inheritMaxAge' && value.kind === 'BooleanValue') annotation.inheritMaxAge = value.value;
  }
  // Apollo's reading: a hint that inherits has no maxAge of its own.
  if (annotation.inheritMaxAge) delete annotation.maxAge;
  else delete annotation.inheritMaxAge;
  return annotation;
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';
