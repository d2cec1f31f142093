import type { DeviceGroup, UpgradePackage, UpgradePackageFilter } from '../domain/packages.js';
import type { ListWindow, Page } from '../domain/values.js';
import { revive, time, type Mirrored } from './mirrored.js';
import type { StoreDb } from './schema.js';

/** The mirrored upgrade packages and device groups (with their members, once read). */
export class PackagesRepository {
  constructor(private readonly db: StoreDb) {}

  async putPackages(packages: readonly UpgradePackage[], syncedAt: number, round: number): Promise<void> {
    if (packages.length === 0) return;
    await this.db
      .insertInto('mirror_packages')
      .values(packages.map((p) => ({ id: p.id, uploaded_at: time(p.uploadedAt), data: JSON.stringify(p), synced_at: syncedAt, sync_round: round })))
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ uploaded_at: eb.ref('excluded.uploaded_at'), data: eb.ref('excluded.data'), synced_at: eb.ref('excluded.synced_at'), sync_round: eb.ref('excluded.sync_round') })))
      .execute();
  }

  async dropPackagesBefore(round: number): Promise<void> {
    await this.db.deleteFrom('mirror_packages').where('sync_round', '<', round).execute();
  }

  async package(id: string): Promise<Mirrored<UpgradePackage> | undefined> {
    const row = await this.db.selectFrom('mirror_packages').select(['data', 'synced_at']).where('id', '=', id).executeTakeFirst();
    return row && revive<UpgradePackage>(row);
  }

  /** Newest first; filtered in memory (a few hundred packages at most). */
  async packages(filter: UpgradePackageFilter, window: ListWindow): Promise<Page<Mirrored<UpgradePackage>>> {
    const rows = await this.db.selectFrom('mirror_packages').select(['data', 'synced_at']).orderBy('uploaded_at', 'desc').orderBy('id', 'desc').execute();
    const matching = rows
      .map((r) => revive<UpgradePackage>(r))
      .filter(
        (p) =>
          (!filter.type || p.type === filter.type) &&
          (!filter.deviceType || p.deviceType === filter.deviceType) &&
          (!filter.model || p.model === filter.model) &&
          (!filter.manufacturerName || p.manufacturerName === filter.manufacturerName) &&
          (!filter.version || p.version === filter.version),
      );
    return { totalCount: matching.length, items: matching.slice(window.start, window.start + window.count) };
  }

  /** The groups as just listed, in the platform's order; the members already held are kept until read again. */
  async putGroups(groups: readonly DeviceGroup[], syncedAt: number, round: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const [position, group] of groups.entries()) {
        const row = { position, data: JSON.stringify(group), synced_at: syncedAt, sync_round: round };
        await tx.insertInto('mirror_groups').values({ id: group.id, ...row }).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
      }
    });
  }

  /** A group's members as just read, all of them; false (nothing kept) when the mirror does not hold the group. */
  async putGroupMembers(groupId: string, memberIds: readonly string[], syncedAt: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const updated = await tx.updateTable('mirror_groups').set({ members_synced_at: syncedAt }).where('id', '=', groupId).executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await tx.deleteFrom('mirror_group_members').where('group_id', '=', groupId).execute();
      const members = [...new Set(memberIds)];
      for (let start = 0; start < members.length; start += 500) {
        await tx
          .insertInto('mirror_group_members')
          .values(members.slice(start, start + 500).map((device_id, i) => ({ group_id: groupId, position: start + i, device_id })))
          .execute();
      }
      return true;
    });
  }

  /** A held group, and whether its members are (when they were read); undefined when the mirror does not hold it. */
  async group(id: string): Promise<{ group: DeviceGroup; membersSyncedAt: number | undefined } | undefined> {
    const row = await this.db.selectFrom('mirror_groups').select(['data', 'synced_at', 'members_synced_at']).where('id', '=', id).executeTakeFirst();
    return row && { group: revive<DeviceGroup>(row), membersSyncedAt: row.members_synced_at ?? undefined };
  }

  /** Groups whose members were never read, or not since the group was last listed, in the platform's order. */
  async groupsDueMembers(limit: number): Promise<DeviceGroup[]> {
    const rows = await this.db
      .selectFrom('mirror_groups')
      .select(['data', 'synced_at'])
      .where((eb) => eb.or([eb('members_synced_at', 'is', null), eb('members_synced_at', '<', eb.ref('synced_at'))]))
      .orderBy('position')
      .limit(limit)
      .execute();
    return rows.map((r) => revive<DeviceGroup>(r));
  }

  /** After a complete pass over the platform's groups: those it no longer lists are gone, with their members. */
  async dropGroupsBefore(round: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('mirror_group_members').where('group_id', 'in', tx.selectFrom('mirror_groups').select('id').where('sync_round', '<', round)).execute();
      await tx.deleteFrom('mirror_groups').where('sync_round', '<', round).execute();
    });
  }

  async groups(window: ListWindow): Promise<Page<Mirrored<DeviceGroup>>> {
    const [total, rows] = await Promise.all([
      this.db.selectFrom('mirror_groups').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      this.db.selectFrom('mirror_groups').select(['data', 'synced_at']).orderBy('position').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => revive<DeviceGroup>(r)) };
  }

  /** Undefined when the mirror does not hold the group's members (nor the group). */
  async groupMemberIds(groupId: string, window: ListWindow): Promise<Page<string> | undefined> {
    const group = await this.db.selectFrom('mirror_groups').select('members_synced_at').where('id', '=', groupId).executeTakeFirst();
    if (!group || group.members_synced_at === null) return undefined;
    const base = this.db.selectFrom('mirror_group_members').where('group_id', '=', groupId);
    const [total, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      base.select('device_id').orderBy('position').limit(window.count).offset(window.start).execute(),
    ]);
    return { totalCount: Number(total.n), items: rows.map((r) => r.device_id) };
  }
}
