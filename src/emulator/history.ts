/**
 * Generated history: upgrade and batch tasks created at seeded moments over the 30 days before the start time
 * and run through the same engines as API calls, so their subtasks, counts and device versions are consistent
 * by construction. The last few are created just before the start, so that tasks in every state exist.
 */
import type { BatchEngine } from './batch.js';
import type { Clock } from './clock.js';
import type { Fleet } from './fleet.js';
import type { Device, DeviceGroup, ExecuteType, OperateType, Product, UpgradePolicy } from './model.js';
import { Random, pushTo } from './random.js';
import { DAY, HOUR, MINUTE } from './time.js';
import type { UpgradeEngine } from './upgrades.js';

const HISTORY_DAYS = 30;
const COMMANDS = [
  { serviceId: 'Meter', method: 'SET_REPORT_INTERVAL', paras: { interval: 3600 } },
  { serviceId: 'Meter', method: 'READ_NOW', paras: {} },
  { serviceId: 'Config', method: 'SET_THRESHOLD', paras: { level: 3 } },
  { serviceId: 'Light', method: 'SWITCH', paras: { state: 'OFF' } },
];

interface Plan {
  at: number;
  run: () => void;
}

export function replayHistory(
  options: { seed: number; appId: string; startTime: number },
  fleet: Fleet,
  clock: Clock,
  upgrades: UpgradeEngine,
  batches: BatchEngine,
): void {
  const random = new Random(options.seed, 6);
  const devices = fleet.devicesByApp.get(options.appId) ?? [];
  if (devices.length === 0) return;
  const byProduct = new Map<Product, Device[]>();
  for (const d of devices) pushTo(byProduct, d.product, d);
  const products = [...byProduct.keys()];
  // Group-targeted history uses groups holding 1 to 256 devices of the product, as a real rollout ring would.
  const smallGroups = new Map<Product, DeviceGroup[]>();
  for (const group of fleet.groups) {
    if (group.appId !== options.appId) continue;
    const perProduct = new Map<Product, number>();
    for (const id of group.members) {
      const p = (fleet.devices.get(id) as Device).product;
      perProduct.set(p, (perProduct.get(p) ?? 0) + 1);
    }
    for (const [p, count] of perProduct) if (count <= 256) pushTo(smallGroups, p, group);
  }
  const from = options.startTime - HISTORY_DAYS * DAY;
  const plans: Plan[] = [];

  const upgradeCount = clamp(Math.round(devices.length / 10), 20, 500);
  for (let i = 0; i < upgradeCount; i++) {
    const at = from + random.int(0, HISTORY_DAYS * DAY - HOUR);
    const executeType = random.weighted<ExecuteType>([['now', 60], ['device_online', 25], ['custom', 15]]);
    plans.push({ at, run: upgradePlan(random, executeType, at) });
  }
  // Just before the start: one still waiting for its window, one running, one waiting for devices to connect.
  const recent: [ExecuteType, number][] = [['custom', 20 * MINUTE], ['now', 90_000], ['device_online', 10 * MINUTE]];
  for (const [executeType, before] of recent) {
    const at = options.startTime - before;
    plans.push({ at, run: upgradePlan(random, executeType, at) });
  }

  const batchCount = clamp(Math.round(devices.length / 200), 5, 60);
  for (let i = 0; i < batchCount; i++) {
    const at = from + random.int(0, HISTORY_DAYS * DAY - HOUR);
    plans.push({ at, run: batchPlan(random) });
  }

  plans.sort((a, b) => a.at - b.at);
  for (const plan of plans) {
    clock.runUntil(plan.at);
    plan.run();
  }
  clock.runUntil(options.startTime);

  function upgradePlan(random: Random, executeType: ExecuteType, at: number): () => void {
    // Draw everything now, in plan order, so the history does not depend on the order plans run in.
    const operateType: OperateType = random.chance(0.6) ? 'firmware_upgrade' : 'software_upgrade';
    const product = random.weighted(products.map((p) => [p, (byProduct.get(p) as Device[]).length] as const));
    const fileType = operateType === 'firmware_upgrade' ? 'firmwarePackage' : 'softwarePackage';
    const candidates = fleet.packages.filter((p) => p.product === product && p.fileType === fileType && p.uploadTime <= at);
    const pkg = candidates.length > 0 ? random.pick(candidates) : undefined;
    const pool = byProduct.get(product) as Device[];
    const size = Math.min(pool.length, 1 + Math.floor(255 * random.next() ** 3));
    const targets = random.sample(pool, size);
    const groupChoices = smallGroups.get(product) ?? [];
    const group = random.chance(0.15) && groupChoices.length > 0 ? random.pick(groupChoices) : undefined;
    const policy: UpgradePolicy = { executeType, retryType: false };
    if (executeType === 'custom') {
      // At least 30 minutes out, so the custom task created 20 minutes before the start is still waiting then.
      policy.startTime = at + random.int(30, 120) * MINUTE;
      policy.endTime = policy.startTime + random.int(1, 12) * HOUR;
    }
    if (random.chance(0.3)) {
      policy.retryType = true;
      policy.retryTimes = random.int(1, 3);
    }
    const stopAfter = random.chance(0.04) ? random.int(2, 60) * MINUTE : undefined;
    return () => {
      if (!pkg) return;
      const operation = upgrades.create(options.appId, operateType, {
        pkg,
        policy,
        targets: group
          ? {
              deviceGroups: [group.name],
              deviceType: product.deviceType,
              model: product.model,
              manufacturerName: product.manufacturerName,
            }
          : { devices: targets.map((d) => d.deviceId) },
        devices: group ? group.members.map((id) => fleet.devices.get(id) as Device).filter((d) => d.product === product) : targets,
      });
      if (stopAfter !== undefined) upgrades.planStop(operation, at + stopAfter);
    };
  }

  function batchPlan(random: Random): () => void {
    const command = random.pick(COMMANDS);
    const timeoutMinutes = random.pick([10, 30, 60, 240, 1440]);
    const product = random.pick(products);
    const ofType = (byProduct.get(product) as Device[]).map((d) => d.deviceId);
    // Whole device types only where they are small enough to keep start-up fast.
    const listed = random.chance(0.7) || ofType.length > 2000
      ? random.sample(devices, random.int(1, Math.min(100, devices.length))).map((d) => d.deviceId)
      : undefined;
    const taskName = `${command.method.toLowerCase()}-${random.hex(6)}`;
    const tags = random.chance(0.5) ? [{ tagName: 'team', tagValue: 'fleetops' }] : [];
    const operator = random.pick(['admin', 'fleetops']);
    const taskFrom = random.pick(['Portal', 'Northbound']);
    return () => {
      const param = listed
        ? { type: 'DeviceList', deviceList: listed, command }
        : { type: 'DeviceType', deviceType: product.deviceType, model: product.model, command };
      batches.create(
        options.appId,
        { taskName, taskType: 'DeviceCmd', timeoutMinutes, param, tags, deviceIds: listed ?? ofType },
        operator,
        taskFrom,
      );
    };
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
