/** Injected faults (POST /_emulator/faults): latency, errors, dropped connections, a lower throttle. */
import { isObject } from './json.js';

export interface FaultRule {
  routes?: string[];
  latencyMs?: number;
  errorRate?: number;
  errorStatus?: number;
  /** true, or the share of requests (0..1) whose connection is reset. */
  dropConnections?: boolean | number;
  throttlePerMinute?: number;
  expireTokens?: boolean;
}

const rate = (value: unknown) => typeof value === 'number' && value >= 0 && value <= 1;

/** Checks a rule from the control API; returns the problem, if any. */
export function faultProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'a fault rule is a JSON object';
  const known = ['routes', 'latencyMs', 'errorRate', 'errorStatus', 'dropConnections', 'throttlePerMinute', 'expireTokens'];
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length > 0) return `unknown fields: ${unknown.join(', ')}`;
  const { routes, latencyMs, errorRate, errorStatus, dropConnections, throttlePerMinute, expireTokens } = body;
  if (routes !== undefined && (!Array.isArray(routes) || !routes.every((r) => typeof r === 'string'))) return 'routes is a list of "METHOD /path/template"';
  if (latencyMs !== undefined && (typeof latencyMs !== 'number' || latencyMs < 0)) return 'latencyMs is a number >= 0';
  if (errorRate !== undefined && !rate(errorRate)) return 'errorRate is a number from 0 to 1';
  if (errorStatus !== undefined && (!Number.isInteger(errorStatus) || (errorStatus as number) < 400 || (errorStatus as number) > 599)) return 'errorStatus is an HTTP status from 400 to 599';
  if (dropConnections !== undefined && typeof dropConnections !== 'boolean' && !rate(dropConnections)) return 'dropConnections is a boolean or a rate from 0 to 1';
  if (throttlePerMinute !== undefined && (!Number.isInteger(throttlePerMinute) || (throttlePerMinute as number) < 0)) return 'throttlePerMinute is an integer >= 0';
  if (expireTokens !== undefined && typeof expireTokens !== 'boolean') return 'expireTokens is a boolean';
  return undefined;
}

export class Faults {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push(rule);
  }

  clear(): void {
    this.rules = [];
  }

  list(): readonly FaultRule[] {
    return this.rules;
  }

  /** The rules that apply to a route. */
  matching(route: string): FaultRule[] {
    return this.rules.filter((r) => !r.routes || r.routes.includes(route));
  }

  /** The lowest throttle override in force, if any. */
  throttleOverride(): number | undefined {
    const limits = this.rules.map((r) => r.throttlePerMinute).filter((n): n is number => n !== undefined);
    return limits.length > 0 ? Math.min(...limits) : undefined;
  }
}
