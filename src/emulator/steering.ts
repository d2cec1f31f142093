/**
 * POST /_emulator/outcomes: rates that replace the seeded outcome weights for upgrade runs and batch commands that
 * start after the call, fleet-wide or for listed devices. The draws stay the seeded ones, so a given seed and call
 * sequence still gives the same outcomes.
 */
import type { UpgradeSteer } from './model.js';
import { isObject } from './json.js';

export interface SteeringRule {
  upgrade?: UpgradeSteer;
  batchFailureRate?: number;
}

const RATES = ['upgradeFailureRate', 'upgradeTimeoutRate', 'batchFailureRate'] as const;

/** Reads a control-API body; returns the rule and its devices, or the problem. */
export function parseSteering(body: unknown, knownDevice: (id: string) => boolean): { rule: SteeringRule; deviceIds?: string[] } | string {
  if (!isObject(body)) return 'The outcomes body is a JSON object.';
  const unknown = Object.keys(body).filter((k) => k !== 'deviceIds' && !(RATES as readonly string[]).includes(k));
  if (unknown.length > 0) return `Unknown outcome fields: ${unknown.join(', ')}.`;
  for (const name of RATES) {
    const value = body[name];
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0 && value <= 1))) return `${name} must be a number from 0 to 1.`;
  }
  const { upgradeFailureRate, upgradeTimeoutRate, batchFailureRate, deviceIds } = body as Record<string, unknown>;
  if (upgradeFailureRate === undefined && upgradeTimeoutRate === undefined && batchFailureRate === undefined) {
    return `Give at least one of ${RATES.join(', ')}.`;
  }
  const rule: SteeringRule = {};
  if (upgradeFailureRate !== undefined || upgradeTimeoutRate !== undefined) {
    const failureRate = (upgradeFailureRate as number | undefined) ?? 0;
    const timeoutRate = (upgradeTimeoutRate as number | undefined) ?? 0;
    if (failureRate + timeoutRate > 1) return 'upgradeFailureRate + upgradeTimeoutRate must not exceed 1.';
    rule.upgrade = { failureRate, timeoutRate };
  }
  if (batchFailureRate !== undefined) rule.batchFailureRate = batchFailureRate as number;
  if (deviceIds === undefined) return { rule };
  if (!Array.isArray(deviceIds) || deviceIds.length === 0 || !deviceIds.every((d) => typeof d === 'string')) {
    return 'deviceIds must be a non-empty list of device ids.';
  }
  const missing = (deviceIds as string[]).filter((id) => !knownDevice(id));
  if (missing.length > 0) return `Unknown deviceIds: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}.`;
  return { rule, deviceIds: deviceIds as string[] };
}

export interface SteeringView {
  fleetWide: SteeringRule;
  devices: Record<string, SteeringRule>;
}

export class Steering {
  private fleetWide: SteeringRule = {};
  private readonly perDevice = new Map<string, SteeringRule>();

  /** A later rule replaces what an earlier one said about the same engine, for the same devices. */
  set(rule: SteeringRule, deviceIds?: readonly string[]): void {
    if (!deviceIds) {
      this.fleetWide = { ...this.fleetWide, ...rule };
      return;
    }
    for (const id of deviceIds) this.perDevice.set(id, { ...this.perDevice.get(id), ...rule });
  }

  clear(): void {
    this.fleetWide = {};
    this.perDevice.clear();
  }

  upgradeFor(deviceId: string): UpgradeSteer | undefined {
    return this.perDevice.get(deviceId)?.upgrade ?? this.fleetWide.upgrade;
  }

  batchFailureRateFor(deviceId: string): number | undefined {
    return this.perDevice.get(deviceId)?.batchFailureRate ?? this.fleetWide.batchFailureRate;
  }

  view(): SteeringView {
    return { fleetWide: this.fleetWide, devices: Object.fromEntries(this.perDevice) };
  }

  /** Back to what a view of it said (a saved state). */
  load(view: SteeringView): void {
    this.fleetWide = view.fleetWide;
    this.perDevice.clear();
    for (const [id, rule] of Object.entries(view.devices)) this.perDevice.set(id, rule);
  }
}
