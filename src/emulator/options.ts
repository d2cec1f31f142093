/**
 * The emulator's options: defaults and checks, shared by the server (index.ts) and the control API's reset, which
 * both import this module rather than each other.
 */
import type { ClockMode } from './clock.js';
import type { Outcomes } from './engine.js';
import { DEFAULT_OUTCOMES, defaultStartTime, type PlatformOptions } from './platform.js';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  devices?: number;
  /** ISO-8601 time or epoch ms; default: now, rounded down to the minute. */
  startTime?: string | number;
  clock?: ClockMode;
  /** Accepted calls per sliding 60 s window per application; null: no limit. */
  throttlePerMinute?: number | null;
  appId?: string;
  secret?: string;
  outcomes?: Partial<Outcomes>;
  /**
   * Serve HTTPS, asking (not requiring) clients for a certificate, as the platform does; a client certificate that
   * chains to `ca` counts as such in `GET /_emulator/stats` (`tls`).
   */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
  /**
   * A JSON file holding the emulator's state: when it exists the emulator goes on from it (its options then apply,
   * not these), and `keepState()` writes it from then on. A restart then shows the same fleet, tasks and clock.
   */
  stateFile?: string;
}

export const DEFAULTS = {
  port: 8743,
  host: '127.0.0.1',
  seed: 1,
  devices: 2000,
  throttlePerMinute: 100,
  appId: 'emulator-app',
  secret: 'emulator-secret',
} as const;

/** The options in force: the platform's, and the throttle, which outlives the platform a reset replaces. */
export type EmulatorSettings = PlatformOptions & { throttlePerMinute: number | null };

/** Fills in the defaults and checks the values; throws one message naming every wrong option. */
export function platformOptions(options: Omit<EmulatorOptions, 'port' | 'host' | 'tls'>, base?: EmulatorSettings): EmulatorSettings {
  const problems: string[] = [];
  const int = (name: string, value: unknown, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  let startTime = base?.startTime ?? defaultStartTime();
  if (options.startTime !== undefined) {
    const parsed = typeof options.startTime === 'number' ? options.startTime : Date.parse(options.startTime);
    if (Number.isNaN(parsed)) problems.push('startTime must be an ISO-8601 time or epoch milliseconds');
    else startTime = parsed;
  }
  const clock = options.clock ?? base?.clock ?? 'realtime';
  if (clock !== 'realtime' && clock !== 'manual') problems.push('clock must be "realtime" or "manual"');
  const outcomes = { ...(base?.outcomes ?? DEFAULT_OUTCOMES), ...options.outcomes };
  if (Object.values(outcomes).some((v) => typeof v !== 'number' || v < 0) || outcomes.success + outcomes.fail + outcomes.timeout <= 0) {
    problems.push('outcomes must be non-negative weights { success, fail, timeout } with a positive sum');
  }
  const text = (name: string, value: unknown, fallback: string) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0 || value.length > 256) problems.push(`${name} must be a string of 1 to 256 characters`);
    return typeof value === 'string' ? value : fallback;
  };
  const throttle = (value: unknown, fallback: number | null): number | null => {
    if (value === undefined) return fallback;
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      problems.push('throttlePerMinute must be a positive integer, or null for no throttle');
      return fallback;
    }
    return value;
  };
  const resolved = {
    seed: int('seed', options.seed, 0, 2 ** 31 - 1, base?.seed ?? DEFAULTS.seed),
    devices: int('devices', options.devices, 1, 200_000, base?.devices ?? DEFAULTS.devices),
    throttlePerMinute: throttle(options.throttlePerMinute, base === undefined ? DEFAULTS.throttlePerMinute : base.throttlePerMinute),
    startTime,
    clock,
    appId: text('appId', options.appId, base?.appId ?? DEFAULTS.appId),
    secret: text('secret', options.secret, base?.secret ?? DEFAULTS.secret),
    outcomes,
  };
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  return resolved;
}
