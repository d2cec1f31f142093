/** Devices on the platform. There is no multi-id lookup: a batch is a bounded set of parallel single lookups. */
import pLimit from 'p-limit';
import type { Device } from '../domain/devices.js';
import type { ListWindow, Page } from '../domain/values.js';
import { Api, learned, listPage, lookupEach, LOOKUP_CONCURRENCY } from './api.js';
import { record } from './normalize.js';
import { ENDPOINTS, pageLimit } from './platform/endpoints.js';

export class DevicesApi extends Api {
  /** `appId`: a device of another application that authorised ours. */
  async find(id: string, appId?: string): Promise<Device | null> {
    const key = `${appId ?? ''}|${id}`;
    const cached = this.caches.devices.get(key);
    if (cached) return cached;
    const raw = await this.lookup(ENDPOINTS.device, { path: { deviceId: id }, searchParams: { appId } });
    if (raw === null) return null;
    const device = learned(this.normalize.device(record(raw)));
    this.caches.devices.set(key, device);
    return device;
  }

  /** The platform's device now, whatever is cached (a repair of what a notification may have got wrong). */
  readAgain(id: string): Promise<Device | null> {
    this.caches.devices.delete(`|${id}`);
    return this.find(id);
  }

  /** Devices by id, in the order of `ids`, a bounded number at once; each id gets its device, null or its own error. */
  findMany(ids: readonly string[]): Promise<(Device | null | Error)[]> {
    return lookupEach(ids, (id) => this.find(id));
  }

  /**
   * Devices known to be of one product (an upgrade task's targets), in the order of `ids`. The gateway either reads
   * them one by one, or lists the whole device type (250 a page) when the counts say that costs fewer calls — one
   * read tells the type, one the type's size.
   */
  async findOfOneProduct(ids: readonly string[]): Promise<(Device | null)[]> {
    const found = new Map<string, Device | null>();
    const missing = [...new Set(ids)].filter((id) => {
      const cached = this.caches.devices.get(`|${id}`);
      if (cached) found.set(id, cached);
      return !cached;
    });
    const [probeId, ...rest] = missing;
    if (probeId !== undefined) {
      const probe = await this.find(probeId);
      found.set(probeId, probe);
      const deviceType = probe?.deviceType;
      // Listing costs the count plus at least one page: it can only win from four devices on.
      if (deviceType !== undefined && rest.length > 3) {
        const size = await this.countOfType(deviceType);
        if (Math.ceil(size / pageLimit(ENDPOINTS.devices)) < rest.length) {
          const listed = new Map((await this.listOfType(deviceType, size)).map((device) => [device.id, device]));
          for (const device of listed.values()) this.caches.devices.set(`|${device.id}`, device);
          for (const id of rest) {
            const device = listed.get(id);
            if (device) found.set(id, device);
          }
        }
      }
      // Whatever the listing did not show (or all, when one by one was cheaper).
      const leftover = rest.filter((id) => !found.has(id));
      const limit = pLimit(LOOKUP_CONCURRENCY);
      const single = await Promise.all(leftover.map((id) => limit(() => this.find(id))));
      leftover.forEach((id, i) => found.set(id, single[i] ?? null));
    }
    return ids.map((id) => found.get(id) ?? null);
  }

  /** A window of all the application's devices. */
  list(window: ListWindow): Promise<Page<Device>> {
    return this.readList({ endpoint: ENDPOINTS.devices, window, key: 'devices', convert: (raw) => learned(this.normalize.device(record(raw))) });
  }

  private async countOfType(deviceType: string): Promise<number> {
    const page = listPage(await this.call(ENDPOINTS.devices, { searchParams: { deviceType, pageNo: 0, pageSize: 1 } }), 'devices', (raw) => raw);
    return page.totalCount;
  }

  private async listOfType(deviceType: string, size: number): Promise<Device[]> {
    const page = await this.readList({
      endpoint: ENDPOINTS.devices,
      window: { start: 0, count: size },
      options: { searchParams: { deviceType } },
      key: 'devices',
      convert: (raw) => this.normalize.device(record(raw)),
      knownTotal: size,
    });
    return page.items;
  }
}
