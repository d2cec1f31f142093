/**
 * The platform's state as plain JSON and back: the fleet as it stands (versions, pins, registrations, deletions),
 * every task with its subtasks and details, subscriptions, steered outcomes and the emulated time. Closures on the
 * clock are not state: a restored platform puts back what each unfinished task waits for (see `restore` in the
 * engines). Shared objects (a device's product, a task's package, a subtask's task) are written once and named.
 */
import type { App, BatchTask, Device, DeviceGroup, Operation, Product, Subtask, UpgradePackage } from './model.js';
import type { EmulatorSettings } from './options.js';
import type { Platform, RestoredPlatform } from './platform.js';
import { pushTo } from './random.js';
import type { SteeringView } from './steering.js';
import type { Subscription } from './subscriptions.js';

/** Bumped when the shape changes incompatibly; a file of another format is refused, never misread. */
export const SNAPSHOT_FORMAT = 1;

type SavedApp = Omit<App, 'readableApps'> & { readableApps: string[] };
type SavedDevice = Omit<Device, 'product'> & { product: number };
type SavedPackage = Omit<UpgradePackage, 'product'> & { product: number };
type SavedSubtask = Omit<Subtask, 'operation'>;
type SavedOperation = Omit<Operation, 'pkg' | 'subtasks'> & { fileId: string; subtasks: SavedSubtask[] };

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** The platform's identity: made with its data, kept across restarts, new after a reset. */
  identity: string;
  /** The emulated time when saved: the clock goes on from there. */
  now: number;
  settings: EmulatorSettings;
  products: Product[];
  apps: SavedApp[];
  /** Each application's devices, oldest registration first. */
  devices: SavedDevice[];
  groups: DeviceGroup[];
  packages: SavedPackage[];
  /** Deleted packages that tasks still name. */
  retiredPackages: SavedPackage[];
  operations: SavedOperation[];
  batchTasks: BatchTask[];
  subscriptions: Subscription[];
  steering: SteeringView;
}

export function snapshotOf(platform: Platform, identity: string, throttlePerMinute: number | null): Snapshot {
  const { fleet } = platform;
  const productIndex = (product: Product): number => fleet.products.indexOf(product);
  const savePackage = ({ product, ...pkg }: UpgradePackage): SavedPackage => ({ ...pkg, product: productIndex(product) });
  const listed = new Set(fleet.packages);
  const retired = new Map<string, UpgradePackage>();
  for (const operation of platform.upgrades.operations) if (!listed.has(operation.pkg)) retired.set(operation.pkg.fileId, operation.pkg);
  return {
    format: SNAPSHOT_FORMAT,
    identity,
    now: platform.clock.now(),
    settings: { ...platform.options, throttlePerMinute },
    products: fleet.products,
    apps: [...fleet.apps.values()].map((app) => ({ ...app, readableApps: [...app.readableApps] })),
    devices: [...fleet.devicesByApp.values()].flat().map(({ product, ...device }) => ({ ...device, product: productIndex(product) })),
    groups: fleet.groups,
    packages: fleet.packages.map(savePackage),
    retiredPackages: [...retired.values()].map(savePackage),
    operations: platform.upgrades.operations.map(({ pkg, subtasks, ...operation }) => ({
      ...operation,
      fileId: pkg.fileId,
      subtasks: subtasks.map(({ operation: _task, ...subtask }) => subtask),
    })),
    batchTasks: platform.batches.tasks,
    subscriptions: [...platform.subscriptions.all()],
    steering: platform.steering.view(),
  };
}

/** The platform's parts from a snapshot; throws on a reference that points nowhere (a damaged file). */
export function restoredFrom(snapshot: Snapshot): RestoredPlatform {
  const { products } = snapshot;
  const product = (index: number): Product => {
    const found = products[index];
    if (!found) throw new Error(`product #${index} is not in the file`);
    return found;
  };
  const loadPackage = (saved: SavedPackage): UpgradePackage => ({ ...saved, product: product(saved.product) });
  const packages = snapshot.packages.map(loadPackage);
  const byFileId = new Map([...snapshot.retiredPackages.map(loadPackage), ...packages].map((p) => [p.fileId, p]));
  const devices = new Map<string, Device>();
  const devicesByApp = new Map<string, Device[]>();
  for (const saved of snapshot.devices) {
    const device: Device = { ...saved, product: product(saved.product) };
    devices.set(device.deviceId, device);
    pushTo(devicesByApp, device.appId, device);
  }
  const operations = snapshot.operations.map(({ fileId, subtasks, ...saved }) => {
    const pkg = byFileId.get(fileId);
    if (!pkg) throw new Error(`task ${saved.operationId} names package ${fileId}, which is not in the file`);
    const operation: Operation = { ...saved, pkg, subtasks: [] };
    operation.subtasks = subtasks.map((subtask) => ({ ...subtask, operation }));
    return operation;
  });
  const apps = new Map(snapshot.apps.map((app) => [app.appId, { ...app, readableApps: new Set(app.readableApps) }]));
  return {
    now: snapshot.now,
    fleet: { apps, products, devices, devicesByApp, groups: snapshot.groups, packages },
    operations,
    batchTasks: snapshot.batchTasks,
    subscriptions: snapshot.subscriptions,
    steering: snapshot.steering,
  };
}
