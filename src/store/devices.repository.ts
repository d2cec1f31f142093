import { expressionBuilder, sql, type ExpressionBuilder, type Transaction } from 'kysely';
import { versionKey } from '../domain/device-filter.js';
import type { Device, DeviceField, DeviceFilter, DeviceOrder, DeviceStatus, FleetSummary, VersionCount } from '../domain/devices.js';
import type { FleetAggregate } from '../domain/fleet-analytics.js';
import type { ListWindow, Page } from '../domain/values.js';
import { deviceWhere, FIELD_COLUMNS, fleetSource, type Engine } from './device-filter.js';
import { chunks, revive, time, type Mirrored } from './mirrored.js';
import type { StoreDb, StoreSchema } from './schema.js';

/** What became of a pushed device state. */
export type PushOutcome = 'applied' | 'unchanged' | 'replayed' | 'stale';

/** The platform re-sends an unanswered notification for 10 minutes: a replay comes within this. */
const PUSHES_KEPT_MS = 15 * 60_000;
const MAX_PUSHES_KEPT = 32;

/** The mirrored devices: written by the sync, read by lookups and the fleet queries the platform cannot answer. */
export class DevicesRepository {
  constructor(
    private readonly db: StoreDb,
    private readonly engine: Engine,
  ) {}

  /** Devices as read by a sync or a lookup; an older state never replaces a newer one. */
  async putDevices(devices: readonly Device[], syncedAt: number, round: number): Promise<void> {
    if (devices.length === 0) return;
    await this.db.transaction().execute((tx) => upsertDevices(tx, devices.map((d) => deviceRow(d, syncedAt, round))));
  }

  /** A device state learned at `at` (a result notice's new version, say): applied unless the mirror learned a later one. */
  async applyDevice(device: Device, at: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('mirror_devices').select(['synced_at', 'sync_round']).where('id', '=', device.id).executeTakeFirst();
      if (existing && existing.synced_at > at) return false;
      await upsertDevices(tx, [deviceRow(device, at, existing?.sync_round ?? 0)]);
      return true;
    });
  }

  /**
   * A device as a notification reported it (`digest` names the notification's content). A push carries no time of
   * its own: one applied before (the platform re-sends what it got no answer for) is `replayed`, never applied again,
   * since a newer state may have followed it; `stale` when the mirror learned a later state by a read.
   */
  async applyPush(device: Device, digest: string, at: number): Promise<PushOutcome> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('mirror_devices').select(['synced_at', 'sync_round', 'recent_pushes']).where('id', '=', device.id).executeTakeFirst();
      const recent = (JSON.parse(existing?.recent_pushes ?? '[]') as [string, number][]).filter(([, takenAt]) => takenAt > at - PUSHES_KEPT_MS);
      if (recent.at(-1)?.[0] === digest) return 'unchanged';
      if (recent.some(([seen]) => seen === digest)) return 'replayed';
      if (existing && existing.synced_at > at) return 'stale';
      await upsertDevices(tx, [deviceRow(device, at, existing?.sync_round ?? 0)]);
      const pushes = JSON.stringify([...recent, [digest, at]].slice(-MAX_PUSHES_KEPT));
      await tx.updateTable('mirror_devices').set({ recent_pushes: pushes }).where('id', '=', device.id).execute();
      return 'applied';
    });
  }

  async deleteDevice(id: string): Promise<void> {
    await this.db.deleteFrom('mirror_devices').where('id', '=', id).execute();
    await this.db.deleteFrom('mirror_group_members').where('device_id', '=', id).execute();
  }

  /** After a complete pass over the platform's devices: those it no longer lists are gone. */
  async dropDevicesBefore(round: number, startedAt: number): Promise<number> {
    const dropped = await this.db.deleteFrom('mirror_devices').where('sync_round', '<', round).where('synced_at', '<', startedAt).executeTakeFirst();
    return Number(dropped.numDeletedRows);
  }

  async device(id: string): Promise<Mirrored<Device> | undefined> {
    const row = await this.db.selectFrom('mirror_devices').select(['data', 'synced_at']).where('id', '=', id).executeTakeFirst();
    return row && revive<Device>(row);
  }

  /** Which of `ids` the mirror holds, reading ids alone (the platform-call estimate asks before anything runs). */
  async heldIds(ids: readonly string[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (const chunk of chunks([...new Set(ids)], 500)) {
      const rows = await this.db.selectFrom('mirror_devices').select('id').where('id', 'in', chunk).execute();
      for (const row of rows) held.add(row.id);
    }
    return held;
  }

  /** Many devices in one read (a dashboard's, say); those the mirror does not hold are missing from the map. */
  async devices(ids: readonly string[]): Promise<Map<string, Mirrored<Device>>> {
    const found = new Map<string, Mirrored<Device>>();
    for (const chunk of chunks([...new Set(ids)], 500)) {
      const rows = await this.db.selectFrom('mirror_devices').select(['id', 'data', 'synced_at']).where('id', 'in', chunk).execute();
      for (const row of rows) found.set(row.id, revive<Device>(row));
    }
    return found;
  }

  async fleet(filter: DeviceFilter, order: DeviceOrder, window: ListWindow): Promise<Page<Mirrored<Device>>> {
    const where = (eb: ExpressionBuilder<StoreSchema, 'mirror_devices'>) => deviceWhere(eb, filter, this.engine);
    const [total, rows] = await Promise.all([
      this.db.selectFrom('mirror_devices').select((eb) => eb.fn.countAll<number | string>().as('n')).where(where).executeTakeFirstOrThrow(),
      this.db
        .selectFrom('mirror_devices')
        .select(['data', 'synced_at'])
        .where(where)
        .orderBy(order === 'NAME' ? 'name_lower' : order === 'CREATED_AT' ? 'created_at' : 'last_modified_at')
        .orderBy('id')
        .limit(window.count)
        .offset(window.start)
        .execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => revive<Device>(r)) };
  }

  /** The ids of the devices a filter matches, by name (at most `limit`). */
  async fleetIds(filter: DeviceFilter, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('mirror_devices').select('id').where((eb) => deviceWhere(eb, filter, this.engine)).orderBy('name_lower').orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async fleetSummary(filter: DeviceFilter): Promise<FleetSummary> {
    const [byStatus, byFw, bySw, byType] = await Promise.all([
      this.countBy(filter, 'status'),
      this.versionCounts(filter, 'fw_version'),
      this.versionCounts(filter, 'sw_version'),
      this.countBy(filter, 'device_type'),
    ]);
    return {
      total: byStatus.reduce((sum, r) => sum + r.count, 0),
      byStatus: byStatus.map((r) => ({ status: r.key as DeviceStatus | null, count: r.count })),
      byFwVersion: byFw,
      bySwVersion: bySw,
      byDeviceType: byType.map(({ key, count }) => ({ key, count })),
    };
  }

  /** Devices per version (and of them ONLINE), most devices first. */
  async versionCounts(filter: DeviceFilter, column: 'fw_version' | 'sw_version'): Promise<VersionCount[]> {
    return (await this.countBy(filter, column)).map((r) => ({ version: r.key, count: r.count, online: r.online }));
  }

  /**
   * Devices per bucket of `groupBy`'s values, most devices first (then by the values, none last); the totals over
   * every bucket come with each row (window functions), so one statement answers.
   */
  async aggregate(filter: DeviceFilter, groupBy: readonly DeviceField[], first: number): Promise<FleetAggregate> {
    const columns = groupBy.map((field) => sql.ref(FIELD_COLUMNS[field]));
    const { rows } = await sql<Record<string, string | null> & { n: number | string; buckets: number | string; total: number | string }>`
      select ${sql.join(columns.map((c, i) => sql`${c} as ${sql.ref(`k${i}`)}`))},
        count(*) as n, count(*) over () as buckets, sum(count(*)) over () as total
      from ${fleetSource(filter, this.engine)} where ${deviceWhere(expressionBuilder<StoreSchema, 'mirror_devices'>(), filter, this.engine)}
      group by ${sql.join(columns)}
      order by n desc, ${sql.join(columns.map((c) => sql`${c} is null, ${c}`))}
      limit ${first}`.execute(this.db);
    const head = rows[0];
    return {
      groupBy: [...groupBy],
      total: head ? Number(head.total) : 0,
      bucketCount: head ? Number(head.buckets) : 0,
      buckets: rows.map((r) => ({ values: groupBy.map((_, i) => r[`k${i}`] ?? null), count: Number(r.n) })),
    };
  }

  private async countBy(filter: DeviceFilter, column: 'status' | 'fw_version' | 'sw_version' | 'device_type') {
    const key = sql.ref(column);
    const { rows } = await sql<{ key: string | null; n: number | string; online: number | string | null }>`
      select ${key} as key, count(*) as n, sum(case when status = 'ONLINE' then 1 else 0 end) as online
      from ${fleetSource(filter, this.engine)} where ${deviceWhere(expressionBuilder<StoreSchema, 'mirror_devices'>(), filter, this.engine)}
      group by ${key} order by n desc, ${key}`.execute(this.db);
    return rows.map((r) => ({ key: r.key, count: Number(r.n), online: Number(r.online ?? 0) }));
  }
}

/** Inserts or updates devices, unless the stored state was learned later. */
async function upsertDevices(tx: Transaction<StoreSchema>, rows: ReturnType<typeof deviceRow>[]): Promise<void> {
  for (const chunk of chunks(rows, 200)) {
    await tx
      .insertInto('mirror_devices')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            name_lower: eb.ref('excluded.name_lower'),
            gateway_id: eb.ref('excluded.gateway_id'),
            device_type: eb.ref('excluded.device_type'),
            model: eb.ref('excluded.model'),
            manufacturer_name: eb.ref('excluded.manufacturer_name'),
            protocol_type: eb.ref('excluded.protocol_type'),
            fw_version: eb.ref('excluded.fw_version'),
            sw_version: eb.ref('excluded.sw_version'),
            status: eb.ref('excluded.status'),
            created_at: eb.ref('excluded.created_at'),
            last_modified_at: eb.ref('excluded.last_modified_at'),
            node_type: eb.ref('excluded.node_type'),
            manufacturer_id: eb.ref('excluded.manufacturer_id'),
            hw_version: eb.ref('excluded.hw_version'),
            serial_number: eb.ref('excluded.serial_number'),
            mac: eb.ref('excluded.mac'),
            location: eb.ref('excluded.location'),
            fw_version_key: eb.ref('excluded.fw_version_key'),
            sw_version_key: eb.ref('excluded.sw_version_key'),
            hw_version_key: eb.ref('excluded.hw_version_key'),
            data: eb.ref('excluded.data'),
            synced_at: eb.ref('excluded.synced_at'),
            sync_round: eb.ref('excluded.sync_round'),
          }))
          .where('mirror_devices.synced_at', '<=', (eb) => eb.ref('excluded.synced_at')),
      )
      .execute();
  }
}

function deviceRow(d: Device, syncedAt: number, round: number) {
  return {
    id: d.id,
    name: d.name ?? null,
    name_lower: d.name?.toLowerCase() ?? null,
    gateway_id: d.gatewayId ?? null,
    device_type: d.deviceType ?? null,
    model: d.model ?? null,
    manufacturer_name: d.manufacturerName ?? null,
    protocol_type: d.protocolType ?? null,
    fw_version: d.fwVersion ?? null,
    sw_version: d.swVersion ?? null,
    status: d.status ?? null,
    created_at: time(d.createdAt),
    last_modified_at: time(d.lastModifiedAt),
    node_type: d.nodeType ?? null,
    manufacturer_id: d.manufacturerId ?? null,
    hw_version: d.hwVersion ?? null,
    serial_number: d.serialNumber ?? null,
    mac: d.mac ?? null,
    location: d.location ?? null,
    fw_version_key: d.fwVersion === undefined ? null : versionKey(d.fwVersion),
    sw_version_key: d.swVersion === undefined ? null : versionKey(d.swVersion),
    hw_version_key: d.hwVersion === undefined ? null : versionKey(d.hwVersion),
    data: JSON.stringify(d),
    synced_at: syncedAt,
    sync_round: round,
  };
}
