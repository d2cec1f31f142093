/**
 * Shape checks for request bodies, used by the route, control and engine parsers. A leaf module, so that a parser
 * (steering, faults) need not import the upgrade engine, which itself reaches steering through the engine context.
 */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
