/**
 * The services, one per concept: what resolvers (and the background actors) call. A set is made per request, so its
 * DataLoaders and reads belong to that request alone, over the process-wide parts below.
 */
import { platformApis, type Platform } from '../datasources/index.js';
import type { CallScope } from '../datasources/platform/client.js';
import type { Mirror } from '../sync/mirror.js';
import { BatchTasksService } from './batch-tasks.service.js';
import { DevicesService } from './devices.service.js';
import type { Idempotency } from './exactly-once.js';
import { HealthService } from './health.service.js';
import { LiveService } from './live.service.js';
import { PackagesService } from './packages.service.js';
import { RolloutsForCaller, type RolloutService } from './rollouts.service.js';
import { UpgradeTasksService } from './upgrade-tasks.service.js';

/** What every request's services share, for the life of the process. */
export interface ServiceDependencies {
  platform: Platform;
  /** Creates that happen exactly once (keys in the store, shared by all requests and replicas). */
  idempotency: Idempotency;
  /** The fleet mirror; unset when it is off (MIRROR_BUDGET_SHARE=0). */
  mirror?: Mirror;
  /** Rollouts (with the mirror only). */
  rollouts?: RolloutService;
  /** True when the platform is the emulator started by this process. */
  embeddedEmulator: boolean;
}

export interface Services {
  upgradeTasks: UpgradeTasksService;
  devices: DevicesService;
  packages: PackagesService;
  batchTasks: BatchTasksService;
  rollouts: RolloutsForCaller;
  health: HealthService;
  live: LiveService;
}

/** A caller's scope: its calls' deadline, place in the call budget's queue and client (mutable until it runs). */
export type RequestScope = CallScope & { client: string };

export function servicesFor(deps: ServiceDependencies, scope: RequestScope): Services {
  const apis = platformApis(deps.platform, scope);
  const { mirror, idempotency } = deps;
  const appId = deps.platform.client.appId;
  const upgradeTasks = new UpgradeTasksService(apis.upgradeTasks, idempotency, mirror);
  const devices = new DevicesService(apis.devices, appId, scope.deadline, apis.packages, mirror);
  const packages = new PackagesService(apis.packages, devices, mirror);
  return {
    upgradeTasks,
    devices,
    packages,
    batchTasks: new BatchTasksService(apis.batchTasks, devices, idempotency, appId, mirror),
    rollouts: new RolloutsForCaller(deps.rollouts, { scope, upgradeTasks, packages }),
    health: new HealthService(deps.platform.client, scope, deps.embeddedEmulator, mirror),
    live: new LiveService(mirror, deps.rollouts),
  };
}
