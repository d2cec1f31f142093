/** GATEWAY_API_KEYS: client keys and their roles. */
import { API_ROLES, type ApiRole } from '../domain/access.js';

/** `k1:read,k2:operate`. Keys are secrets: errors name an entry by position and echo no part of it. */
export function parseApiKeys(value: string | undefined, errors: string[]): ReadonlyMap<string, ApiRole> | undefined {
  if (value === undefined) return undefined;
  const keys = new Map<string, ApiRole>();
  const problems: string[] = [];
  value.split(',').forEach((entry, index) => {
    const position = `entry ${index + 1}`;
    const separator = entry.lastIndexOf(':');
    const key = entry.slice(0, separator).trim();
    const roleName = entry.slice(separator + 1).trim();
    const role = API_ROLES.find((r) => r === roleName);
    if (separator < 0 || key === '' || /[\s:]/.test(key)) {
      problems.push(`${position} is not key:role`);
    } else if (role === undefined) {
      problems.push(`${position} has an unknown role`);
    } else if (keys.has(key)) {
      problems.push(`${position} repeats an earlier key`);
    } else {
      keys.set(key, role);
    }
  });
  if (problems.length > 0) {
    errors.push(
      `GATEWAY_API_KEYS: ${problems.join('; ')}; expected comma-separated key:role pairs with role ${API_ROLES.join(' or ')}, such as k1:read,k2:operate`,
    );
    return undefined;
  }
  return keys;
}
