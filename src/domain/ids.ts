/**
 * Ids that go into a URL path: the one place where a value becomes a path segment, and the rules a value must meet
 * to stay in its segment. `.` and `..` are dot-segments that URL resolution removes (`/operations/..` is a call to
 * the collection), and an empty id leaves the segment out. The platform documents no form for its ids (operationId,
 * fileId, taskId and deviceId are plain strings), only sizes: deviceId is String(256), as are the other ids it sizes.
 * (The emulator's 24-hex task ids and UUID device ids are its own choice: a real platform's ids may look otherwise.)
 * Device groups are the exception: a group's name has a documented form, and its id a smaller size.
 */

/** The longest id the platform documents (deviceId: String(256)). */
export const MAX_ID_LENGTH = 256;

/** Why `id` cannot be a path segment, or undefined when it can. */
export function pathIdProblem(id: string): string | undefined {
  if (id === '') return 'must not be empty';
  if (id === '.' || id === '..') return `must not be "${id}"`;
  if (id.length > MAX_ID_LENGTH) return `must have at most ${MAX_ID_LENGTH} characters`;
  return undefined;
}

/** An id refused before any platform call: it would not have stayed in its path segment. */
export class InvalidPathIdError extends Error {
  override readonly name = 'InvalidPathIdError';

  constructor(
    /** The path parameter, e.g. `operationId`. */
    readonly parameter: string,
    problem: string,
  ) {
    super(`${parameter} ${problem}`);
  }
}

/** Fills a path template's `{name}` placeholders, each value encoded as one segment; throws InvalidPathIdError. */
export function fillPath(template: string, values: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name] ?? '';
    const problem = pathIdProblem(value);
    if (problem !== undefined) throw new InvalidPathIdError(name, problem);
    return encodeURIComponent(value);
  });
}

/** A device group's name as the platform documents it (DeviceGroup.name: `^[A-Za-z0-9]+$`, at most 50). */
export const GROUP_NAME = /^[A-Za-z0-9]{1,50}$/;
/** A device group's id: String(50). */
export const MAX_GROUP_ID_LENGTH = 50;

/** Why `name` cannot name a device group, or undefined when it can. */
export function groupNameProblem(name: string): string | undefined {
  return GROUP_NAME.test(name) ? undefined : 'is not a device group name (letters and digits only, at most 50)';
}
