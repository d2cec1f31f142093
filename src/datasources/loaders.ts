/**
 * Per-request DataLoaders: within one GraphQL request a device, task or package is fetched at most once, however
 * many fields ask for it. The platform has no multi-id lookup, so a batch is a bounded set of parallel single
 * lookups; each key gets its own value, null (does not exist) or error.
 */
import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import { LOOKUP_CONCURRENCY, type PlatformApis } from './apis.js';
import type { Device } from '../domain/devices.js';
import type { Operation } from '../domain/upgrade-tasks.js';
import type { UpgradePackage } from '../domain/packages.js';

export interface Loaders {
  device: DataLoader<string, Device | null>;
  operation: DataLoader<string, Operation | null>;
  upgradePackage: DataLoader<string, UpgradePackage | null>;
}

function byId<T>(find: (id: string) => Promise<T | null>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const limit = pLimit(LOOKUP_CONCURRENCY);
    return Promise.all(ids.map((id) => limit(() => find(id)).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
  });
}

export function createLoaders(apis: PlatformApis): Loaders {
  return {
    // Devices the mirror holds come in one read for the whole batch.
    device: new DataLoader<string, Device | null>((ids) => apis.devices.findMany(ids)),
    operation: byId((id) => apis.operations.find(id)),
    upgradePackage: byId((id) => apis.upgradePackages.find(id)),
  };
}
