/**
 * The services, one per concept: what resolvers (and the background actors) call. A set is made per request, so its
 * DataLoaders and reads belong to that request alone, over the process-wide parts below.
 */
import { platformApis, type Platform, type PlatformApis } from '../datasources/index.js';
import type { CallScope } from '../datasources/platform/client.js';
import type { Mirror } from '../sync/mirror.js';
import type { AuditTrail } from './audit.service.js';
import { BatchTasksService } from './batch-tasks.service.js';
import { DevicesService } from './devices.service.js';
import { DynamicGroupsService, type DynamicGroupStore } from './dynamic-groups.service.js';
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
  /** Dynamic groups (with the mirror only). */
  dynamicGroups?: DynamicGroupStore;
  /** True when the platform is the emulator started by this process. */
  embeddedEmulator: boolean;
  /** The audit trail (unset: nothing recorded, as in tests of the pipeline alone). */
  audit?: AuditTrail;
}

export interface Services {
  upgradeTasks: UpgradeTasksService;
  devices: DevicesService;
  packages: PackagesService;
  batchTasks: BatchTasksService;
  rollouts: RolloutsForCaller;
  dynamicGroups: DynamicGroupsService;
  health: HealthService;
  live: LiveService;
  audit?: AuditTrail;
}

/**
 * A caller's scope: its calls' deadline, place in the call budget's queue and client (mutable until it runs);
 * `platformRead` is set once any of its services asks the platform (or its caches) for anything.
 */
export type RequestScope = CallScope & { client: string; platformRead?: boolean };

export function servicesFor(deps: ServiceDependencies, scope: RequestScope): Services {
  return new RequestServices(deps, scope);
}

/**
 * One request's services, each made when first used: most requests touch one or two concepts, and a subscription
 * holds its context for as long as it is open (only its change stream is used).
 */
class RequestServices implements Services {
  readonly #deps: ServiceDependencies;
  readonly #scope: RequestScope;
  #apis?: PlatformApis;
  #upgradeTasks?: UpgradeTasksService;
  #devices?: DevicesService;
  #packages?: PackagesService;
  #batchTasks?: BatchTasksService;
  #rollouts?: RolloutsForCaller;
  #dynamicGroups?: DynamicGroupsService;
  #health?: HealthService;
  #live?: LiveService;

  constructor(deps: ServiceDependencies, scope: RequestScope) {
    this.#deps = deps;
    this.#scope = scope;
  }

  get #platformApis(): PlatformApis {
    return (this.#apis ??= noticed(platformApis(this.#deps.platform, this.#scope), this.#scope));
  }

  get upgradeTasks(): UpgradeTasksService {
    return (this.#upgradeTasks ??= new UpgradeTasksService(this.#platformApis.upgradeTasks, this.#deps.idempotency, this.#deps.mirror));
  }

  get devices(): DevicesService {
    const { platform, mirror } = this.#deps;
    return (this.#devices ??= new DevicesService(this.#platformApis.devices, platform.client.appId, this.#scope.deadline, this.#platformApis.packages, mirror));
  }

  get packages(): PackagesService {
    return (this.#packages ??= new PackagesService(this.#platformApis.packages, this.devices, this.#deps.mirror));
  }

  get batchTasks(): BatchTasksService {
    const { platform, idempotency, mirror } = this.#deps;
    return (this.#batchTasks ??= new BatchTasksService(this.#platformApis.batchTasks, this.devices, idempotency, platform.client.appId, mirror));
  }

  get rollouts(): RolloutsForCaller {
    return (this.#rollouts ??= new RolloutsForCaller(this.#deps.rollouts, { scope: this.#scope, upgradeTasks: this.upgradeTasks, packages: this.packages }));
  }

  get dynamicGroups(): DynamicGroupsService {
    return (this.#dynamicGroups ??= new DynamicGroupsService(this.devices, this.#deps.dynamicGroups));
  }

  get health(): HealthService {
    const { platform, embeddedEmulator, mirror } = this.#deps;
    return (this.#health ??= new HealthService(platform.client, this.#scope, embeddedEmulator, mirror, platform.budget));
  }

  get live(): LiveService {
    return (this.#live ??= new LiveService(this.#deps.mirror, this.#deps.rollouts));
  }

  /** Process-wide: a record holds nothing of one request's reads. */
  get audit(): AuditTrail | undefined {
    return this.#deps.audit;
  }
}

/** The APIs, each of which marks the scope as having read the platform when any of its methods is taken to be called. */
function noticed(apis: PlatformApis, scope: RequestScope): PlatformApis {
  const watch = <T extends object>(api: T): T =>
    new Proxy(api, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value === 'function') scope.platformRead = true;
        return value;
      },
    });
  return {
    upgradeTasks: watch(apis.upgradeTasks),
    devices: watch(apis.devices),
    packages: watch(apis.packages),
    batchTasks: watch(apis.batchTasks),
    subscriptions: watch(apis.subscriptions),
  };
}
