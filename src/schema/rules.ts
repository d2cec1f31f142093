/**
 * Input rules as class-validator decorators that carry the platform code the platform would answer with
 * (`context.upstreamCode`), so a rejected input reads the same whether the gateway or the platform caught it.
 */
import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { groupNameProblem, pathIdProblem } from '../domain/ids.js';

/** `upstreamCode` for a built-in class-validator decorator. */
export const platformCode = (upstreamCode: string, message?: string): ValidationOptions => ({ context: { upstreamCode }, ...(message ? { message } : {}) });

/**
 * A rule on one field that may look at its siblings. It runs even when the field is absent (rules like
 * "required when deviceGroups is given" are about absence).
 */
export function Rule<T extends object>(
  name: string,
  upstreamCode: string | undefined,
  message: string,
  holds: (value: unknown, object: T) => boolean,
): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message, context: upstreamCode === undefined ? {} : { upstreamCode } },
      validator: { validate: (value, args) => holds(value, args?.object as T) },
    });
}

export const isGiven = (value: unknown): boolean =>
  value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

/** At most `max` characters (for a list: each item); absent passes. */
export const MaxText = (max: number, upstreamCode: string | undefined, what: string) =>
  Rule('MaxText', upstreamCode, `${what} has at most ${max} characters`, (value) =>
    value === undefined || value === null || (Array.isArray(value) ? value : [value]).every((v) => typeof v === 'string' && v.length <= max),
  );

/** A list of at most `max` items; absent passes. */
export const MaxItems = (max: number, upstreamCode: string | undefined, what: string) =>
  Rule('MaxItems', upstreamCode, `at most ${max} ${what}`, (value) => !Array.isArray(value) || value.length <= max);

/**
 * An id the platform can be asked about (for a list: each item): not empty, not `.` or `..`, at most the platform's
 * documented size. The same rule guards every id the platform client puts into a URL path; absent passes.
 */
export const PlatformId = (upstreamCode: string | undefined): PropertyDecorator => (target, propertyName) =>
  registerDecorator({
    name: 'platformId',
    target: target.constructor,
    propertyName: String(propertyName),
    options: { context: upstreamCode === undefined ? {} : { upstreamCode } },
    validator: {
      validate: (value) => firstIdProblem(value) === undefined,
      defaultMessage: (args?: ValidationArguments) => firstIdProblem(args?.value) ?? '',
    },
  });

/** The first id's problem; for a list, prefixed with its item's index. */
function firstIdProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return typeof value === 'string' ? pathIdProblem(value) : 'must be a string';
  for (const [index, id] of value.entries()) {
    const problem = firstIdProblem(id);
    if (problem !== undefined) return `item ${index} ${problem}`;
  }
  return undefined;
}

/**
 * Each item a device group's name of the documented form (a name of another form names no group); absent passes.
 * `when`: only while the object says its items are names.
 */
export const GroupNames = <T extends object>(upstreamCode: string | undefined, when: (object: T) => boolean = () => true): PropertyDecorator => (target, propertyName) =>
  registerDecorator({
    name: 'groupName',
    target: target.constructor,
    propertyName: String(propertyName),
    options: { context: upstreamCode === undefined ? {} : { upstreamCode } },
    validator: {
      validate: (value, args) => !when(args?.object as T) || firstGroupNameProblem(value) === undefined,
      defaultMessage: (args?: ValidationArguments) => firstGroupNameProblem(args?.value) ?? '',
    },
  });

function firstGroupNameProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const [index, name] of value.entries()) {
    const problem = typeof name === 'string' ? groupNameProblem(name) : 'must be a string';
    if (problem !== undefined) return `item ${index} ${problem}`;
  }
  return undefined;
}
