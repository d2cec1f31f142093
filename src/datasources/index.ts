/** The platform, by area: every call of one set shares one scope (deadline, priority, client). */
import { BatchTasksApi } from './batch-tasks.api.js';
import type { PlatformCaches } from './caches.js';
import { DevicesApi } from './devices.api.js';
import type { Normalizer } from './normalize.js';
import { PackagesApi } from './packages.api.js';
import type { CallScope, PlatformClient } from './platform/client.js';
import type { RateBudget } from './platform/rate-budget.js';
import { SubscriptionsApi } from './subscriptions.api.js';
import { UpgradeTasksApi } from './upgrade-tasks.api.js';

export interface PlatformApis {
  upgradeTasks: UpgradeTasksApi;
  devices: DevicesApi;
  packages: PackagesApi;
  batchTasks: BatchTasksApi;
  subscriptions: SubscriptionsApi;
}

/** The platform's process-wide parts: its one client and call budget, the payload reader and the shared caches. */
export interface Platform {
  client: PlatformClient;
  normalizer: Normalizer;
  caches: PlatformCaches;
  /** The client's call budget, to read how it stands (reading it costs no platform call). */
  budget?: RateBudget;
}

export function platformApis({ client, normalizer, caches }: Platform, scope?: CallScope): PlatformApis {
  return {
    upgradeTasks: new UpgradeTasksApi(client, normalizer, caches, scope),
    devices: new DevicesApi(client, normalizer, caches, scope),
    packages: new PackagesApi(client, normalizer, caches, scope),
    batchTasks: new BatchTasksApi(client, normalizer, caches, scope),
    subscriptions: new SubscriptionsApi(client, normalizer, caches, scope),
  };
}
