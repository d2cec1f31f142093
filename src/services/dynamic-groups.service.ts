/**
 * Dynamic groups for one request: saved filters, created, renamed and deleted by operators, and their members as the
 * mirror has them now (through the fleet's own filter translation: the filter is the fleet query's, unchanged).
 */
import { randomUUID } from 'node:crypto';
import { filterProblems } from '../domain/device-filter.js';
import type { Device, DeviceFilter, DeviceOrder } from '../domain/devices.js';
import { dynamicGroupNameProblem, type DynamicGroup } from '../domain/dynamic-groups.js';
import { InvalidInputError, mirrorOff, NotFoundError, StateConflictError, type Violation } from '../domain/errors.js';
import type { ListWindow, Page } from '../domain/values.js';
import type { ContinuousRolloutsRepository } from '../store/continuous-rollouts.repository.js';
import type { DynamicGroupsRepository } from '../store/dynamic-groups.repository.js';
import type { DevicesService } from './devices.service.js';

/** The store's parts dynamic groups use; unset when the mirror is off (a group's members are the mirror's). */
export interface DynamicGroupStore {
  groups: DynamicGroupsRepository;
  continuous: ContinuousRolloutsRepository;
}

export class DynamicGroupsService {
  constructor(
    private readonly devices: DevicesService,
    private readonly held: DynamicGroupStore | undefined,
  ) {}

  private get store(): DynamicGroupStore {
    if (!this.held) throw mirrorOff('Dynamic groups');
    return this.held;
  }

  list(window: ListWindow): Promise<Page<DynamicGroup>> {
    return this.store.groups.list(window);
  }

  async find(id: string): Promise<DynamicGroup | null> {
    return (await this.store.groups.find(id)) ?? null;
  }

  /** The filter is checked by the fleet's own rules, so the group's members can always be asked for. */
  async create(name: string, filter: DeviceFilter): Promise<DynamicGroup> {
    const problems = [...nameProblems(name, 'input.name'), ...filterProblems(filter, 'input.filter')];
    if (problems.length > 0) throw InvalidInputError.of(problems);
    const now = Date.now();
    const group: DynamicGroup = { id: randomUUID(), name, filter, createdAt: now, updatedAt: now };
    if (!(await this.store.groups.insert(group))) throw nameTaken(name, 'input.name');
    return group;
  }

  async rename(id: string, name: string): Promise<DynamicGroup> {
    checkName(name, 'name');
    const renamed = await this.store.groups.rename(id, name, Date.now());
    if (renamed === 'taken') throw nameTaken(name, 'name');
    if (!renamed) throw notFound(id);
    return renamed;
  }

  /** Refused (STATE_CONFLICT) while a continuous rollout that has not ended follows the group. */
  async delete(id: string): Promise<string> {
    const { groups, continuous } = this.store;
    if (!(await groups.find(id))) throw notFound(id);
    if (await continuous.followed(id)) {
      throw new StateConflictError(`Dynamic group ${id} is followed by a continuous rollout: stop or cancel it first; this call changed nothing.`, { argument: 'id', state: 'FOLLOWED' });
    }
    if (!(await groups.delete(id))) throw notFound(id);
    return id;
  }

  /** The devices a group's filter matches now (0 platform calls once the mirror is READY). */
  members(filter: DeviceFilter, order: DeviceOrder, window: ListWindow): Promise<Page<Device>> {
    return this.devices.fleet(filter, order, window);
  }

  async memberCount(filter: DeviceFilter): Promise<number> {
    return (await this.devices.fleet(filter, 'NAME', { start: 0, count: 0 })).totalCount;
  }
}

function nameProblems(name: string, path: string): Violation[] {
  const problem = dynamicGroupNameProblem(name);
  return problem ? [{ path, rule: 'groupName', message: `name ${problem}` }] : [];
}

function checkName(name: string, path: string): void {
  const problems = nameProblems(name, path);
  if (problems.length > 0) throw InvalidInputError.of(problems);
}

const nameTaken = (name: string, path: string) => InvalidInputError.of([{ path, rule: 'unique', message: `a dynamic group named "${name}" exists already (names are unique regardless of case)` }]);
const notFound = (id: string) => new NotFoundError(`No dynamic group ${id}.`, { argument: 'id' });
