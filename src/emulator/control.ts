/**
 * The control API (DESIGN.md §4): counters, reset, clock, faults, credentials, steered outcomes, device changes and
 * read-only state views.
 */
import type { TokenStore } from './auth.js';
import { formatBatchTask, formatDevice, formatOperation, formatSubtask } from './format.js';
import { faultProblem, type FaultRule, type Faults } from './faults.js';
import type { Notifier } from './notifier.js';
import { platformOptions, type EmulatorOptions, type EmulatorSettings } from './options.js';
import type { Reply } from './routes.js';
import { MALFORMED_BODY } from './routes.js';
import { toCompact } from './time.js';
import { isObject } from './json.js';
import { AUTHORISED_APP, FROZEN_APP, UNAUTHORISED_APP } from './fleet.js';
import type { DeviceChange, Platform } from './platform.js';
import type { DeviceStatus } from './model.js';
import { parseSteering } from './steering.js';
import type { EmulatorStats } from './stats.js';

const STATUSES: readonly DeviceStatus[] = ['ONLINE', 'OFFLINE', 'INACTIVE', 'ABNORMAL'];

/** Reads a device change (or a new device's fields, `model` among them); returns it or the problem. */
function parseDeviceChange(body: unknown, fields = ['status', 'fwVersion', 'swVersion', 'name']): DeviceChange | string {
  if (body === MALFORMED_BODY || !isObject(body)) return `The body is a JSON object { ${fields.map((f) => `"${f}"?`).join(', ')} }.`;
  const unknown = Object.keys(body).filter((k) => !fields.includes(k));
  if (unknown.length > 0) return `Unknown device fields: ${unknown.join(', ')}.`;
  if (Object.keys(body).length === 0 && !fields.includes('model')) return 'Nothing to change: give status, fwVersion, swVersion or name.';
  const { status, model: _model, ...texts } = body;
  if (status !== undefined && !STATUSES.includes(status as DeviceStatus)) return `status must be one of ${STATUSES.join(', ')}.`;
  for (const [field, value] of Object.entries(texts)) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 256) return `${field} must be a string of 1 to 256 characters.`;
  }
  return body as DeviceChange;
}

/**
 * What the control routes act on: the emulator's state that outlives a reset. index.ts's Emulator implements it, so
 * the routes need not import the server that dispatches to them.
 */
export interface ControlledEmulator {
  readonly platform: Platform;
  readonly throttlePerMinute: number | null;
  readonly stats: EmulatorStats;
  readonly tokens: TokenStore;
  readonly faults: Faults;
  readonly notifier: Notifier;
  reset(options: EmulatorSettings): void;
}

interface ControlRoute {
  method: string;
  pattern: RegExp;
  handle(emulator: ControlledEmulator, body: unknown, captures: string[]): Reply;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const bad = (error: string): Reply => ({ status: 400, body: { error } });
const notFound = (what: string): Reply => ({ status: 404, body: { error: `No ${what} with that id.` } });

function clockView(emulator: ControlledEmulator) {
  const { clock } = emulator.platform;
  return { now: new Date(clock.now()).toISOString(), compact: toCompact(clock.now()), mode: clock.mode, pendingEvents: clock.pending() };
}

export const controlRoutes: ControlRoute[] = [
  {
    method: 'GET',
    pattern: /^\/_emulator\/stats$/,
    handle: (emulator) => {
      const { sent, failed, retried, dropped } = emulator.notifier;
      return ok({ ...emulator.stats, notifications: { sent, failed, retried, dropped } });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/reset$/,
    handle(emulator, body) {
      if (body === MALFORMED_BODY || !isObject(body)) return bad('The reset body is a JSON object of options.');
      const allowed = ['seed', 'devices', 'startTime', 'clock', 'throttlePerMinute', 'appId', 'secret', 'outcomes'];
      const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
      if (unknown.length > 0) return bad(`Unknown reset options: ${unknown.join(', ')}.`);
      const { options } = emulator.platform;
      try {
        emulator.reset(platformOptions(body as EmulatorOptions, { ...options, throttlePerMinute: emulator.throttlePerMinute }));
      } catch (error) {
        return bad((error as Error).message);
      }
      return ok({ reset: true, clock: clockView(emulator), devices: emulator.platform.options.devices });
    },
  },
  { method: 'GET', pattern: /^\/_emulator\/clock$/, handle: (emulator) => ok(clockView(emulator)) },
  {
    method: 'POST',
    pattern: /^\/_emulator\/clock$/,
    handle(emulator, body) {
      const seconds = isObject(body) ? body.advanceSeconds : undefined;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        return bad('Send { "advanceSeconds": n } with n >= 0.');
      }
      emulator.platform.clock.advance(seconds);
      return ok(clockView(emulator));
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/faults$/,
    handle(emulator, body) {
      const problem = faultProblem(body);
      if (problem) return bad(problem);
      const rule = body as FaultRule;
      if (rule.expireTokens) emulator.tokens.expireAll();
      const { expireTokens: _once, ...lasting } = rule;
      if (Object.keys(lasting).some((k) => k !== 'routes')) emulator.faults.add(lasting);
      return ok({ faults: emulator.faults.list() });
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_emulator\/faults$/,
    handle(emulator) {
      emulator.faults.clear();
      return ok({ faults: [] });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/outcomes$/,
    handle(emulator, body) {
      const { platform } = emulator;
      const parsed = parseSteering(body === MALFORMED_BODY ? undefined : body, (id) => platform.fleet.devices.has(id));
      if (typeof parsed === 'string') return bad(parsed);
      platform.steering.set(parsed.rule, parsed.deviceIds);
      return ok({ outcomes: platform.steering.view() });
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_emulator\/outcomes$/,
    handle(emulator) {
      emulator.platform.steering.clear();
      return ok({ outcomes: emulator.platform.steering.view() });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/devices$/,
    handle(emulator, body) {
      const { platform } = emulator;
      const fields = parseDeviceChange(body, ['model', 'status', 'fwVersion', 'swVersion', 'name']);
      if (typeof fields === 'string') return bad(fields);
      const { model } = body as { model?: unknown };
      const product = model === undefined ? platform.fleet.products[0] : platform.fleet.products.find((p) => p.model === model);
      if (!product) return bad(`model must be one of ${platform.fleet.products.map((p) => p.model).join(', ')}.`);
      const device = platform.registerDevice(product, fields);
      return { status: 201, body: formatDevice(device, platform.clock.now()) };
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/devices\/([^/]+)$/,
    handle(emulator, body, [id]) {
      const { platform } = emulator;
      const device = platform.fleet.devices.get(id as string);
      if (!device) return notFound('device');
      const change = parseDeviceChange(body);
      if (typeof change === 'string') return bad(change);
      const changed = platform.changeDevice(device, change);
      return ok({ changed, ...formatDevice(device, platform.clock.now()) });
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_emulator\/devices\/([^/]+)$/,
    handle(emulator, _body, [id]) {
      const { platform } = emulator;
      const device = platform.fleet.devices.get(id as string);
      if (!device) return notFound('device');
      if (!platform.deleteDevice(device)) return { status: 409, body: { error: 'An upgrade still waits or runs on this device.' } };
      return ok({ deleted: device.deviceId });
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/credentials$/,
    handle(emulator) {
      const { appId, secret } = emulator.platform.options;
      const apps = [...emulator.platform.fleet.apps.values()].map((a) => ({
        appId: a.appId,
        role:
          a.appId === appId ? 'main'
          : a.appId === AUTHORISED_APP ? 'authorised the main app'
          : a.appId === UNAUTHORISED_APP ? 'has not authorised the main app'
          : a.appId === FROZEN_APP ? 'frozen'
          : 'other',
        ...(a.appId === FROZEN_APP ? { secret: a.secret } : {}),
      }));
      return ok({ appId, secret, apps });
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/state\/devices\/([^/]+)$/,
    handle(emulator, _body, [id]) {
      const { platform } = emulator;
      const device = platform.fleet.devices.get(id as string);
      return device ? ok({ appId: device.appId, upgrading: device.upgrading, ...formatDevice(device, platform.clock.now(), true) }) : notFound('device');
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/state\/operations\/([^/]+)$/,
    handle(emulator, _body, [id]) {
      const { platform } = emulator;
      const operation = platform.upgrades.byId.get(id as string);
      return operation
        ? ok({ appId: operation.appId, ...formatOperation(operation), subtasks: operation.subtasks.map(formatSubtask) })
        : notFound('operation');
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/state\/batchTasks\/([^/]+)$/,
    handle(emulator, _body, [id]) {
      const { platform } = emulator;
      const task = platform.batches.byId.get(id as string);
      return task
        ? ok({ ...formatBatchTask(task, true), details: task.details.map((d) => ({ ...d, error: d.error })) })
        : notFound('batch task');
    },
  },
];
