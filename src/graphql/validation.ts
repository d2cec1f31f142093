/**
 * Argument validation for every resolver: class-validator rules run before the resolver (so before any platform
 * call), and a violation answers BAD_USER_INPUT with each field path and rule, plus the code the platform would
 * have answered (`extensions.upstream.code`).
 */
import { validate, type ValidationError } from 'class-validator';
import { getNamedType, type GraphQLResolveInfo } from 'graphql';
import { InvalidInputError, type Violation } from '../domain/errors.js';

/** The order the platform checks a create request in: it answers with the first code that applies. */
const PLATFORM_ORDER = ['120015', '123022', '123023', '123024', '123019', '123020', '123021', '123025', '123026', '123032', '123033', '123034', '123028', '100022'];

function flatten(errors: ValidationError[], parent: string[]): Violation[] {
  return errors.flatMap((error) => {
    const path = [...parent, error.property];
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => {
      const upstreamCode = (error.contexts?.[rule] as { upstreamCode?: string } | undefined)?.upstreamCode;
      return { path: path.join('.'), rule, message, ...(upstreamCode ? { upstreamCode } : {}) };
    });
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

function rank(violation: Violation): number {
  const index = violation.upstreamCode === undefined ? -1 : PLATFORM_ORDER.indexOf(violation.upstreamCode);
  return index === -1 ? PLATFORM_ORDER.length : index;
}

/** type-graphql's `validateFn`: validates one argument value (an input object or an @Args class). */
export async function validateArgument(value: unknown, type: unknown, resolverData: { info: GraphQLResolveInfo }): Promise<void> {
  if (typeof value !== 'object' || value === null) return;
  const values = Array.isArray(value) ? value : [value];
  const errors = (await Promise.all(values.map((v) => validate(v as object, { forbidUnknownValues: false })))).flat();
  if (errors.length === 0) return;
  // An input object is named by its argument (`input.targets...`); an @Args class's properties are the arguments.
  const { info } = resolverData;
  const argument = info.parentType.getFields()[info.fieldName]?.args.find((a) => getNamedType(a.type).name === (type as { name?: string }).name);
  throw InvalidInputError.of(flatten(errors, argument ? [argument.name] : []));
}

/** The platform's code for the first violation it would have reported itself (`extensions.upstream`). */
export function upstreamOf(violations: readonly Violation[]): { code: string; description: string } | undefined {
  const first = [...violations].sort((a, b) => rank(a) - rank(b))[0];
  return first?.upstreamCode ? { code: first.upstreamCode, description: first.message } : undefined;
}
