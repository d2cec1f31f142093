/**
 * The one translation of a DeviceFilter to SQL, for both engines. Every condition is two-valued (a device without a
 * value gives false, never NULL), so `not` is the exact complement of what it wraps.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { patternPieces, versionKey } from '../domain/device-filter.js';
import type { DeviceConditions, DeviceField, DeviceFilter, StatusCondition, TextCondition, TimeBound, TimeCondition, VersionCondition } from '../domain/devices.js';
import type { StoreSchema } from './schema.js';

export type Engine = 'sqlite' | 'postgres';
type Eb = ExpressionBuilder<StoreSchema, 'mirror_devices'>;
type Condition = Expression<SqlBool>;

/** The column each countable field is stored in. */
export const FIELD_COLUMNS = {
  ID: 'id',
  NAME: 'name',
  GATEWAY_ID: 'gateway_id',
  NODE_TYPE: 'node_type',
  MANUFACTURER_ID: 'manufacturer_id',
  MANUFACTURER_NAME: 'manufacturer_name',
  DEVICE_TYPE: 'device_type',
  MODEL: 'model',
  PROTOCOL_TYPE: 'protocol_type',
  FW_VERSION: 'fw_version',
  SW_VERSION: 'sw_version',
  HW_VERSION: 'hw_version',
  SERIAL_NUMBER: 'serial_number',
  MAC: 'mac',
  LOCATION: 'location',
  STATUS: 'status',
} as const satisfies Record<DeviceField, string>;

const TEXT_COLUMNS = {
  id: 'id',
  name: 'name',
  gatewayId: 'gateway_id',
  nodeType: 'node_type',
  manufacturerId: 'manufacturer_id',
  manufacturerName: 'manufacturer_name',
  deviceType: 'device_type',
  model: 'model',
  protocolType: 'protocol_type',
  serialNumber: 'serial_number',
  mac: 'mac',
  location: 'location',
  status: 'status',
} as const;
const VERSION_COLUMNS = { fwVersion: ['fw_version', 'fw_version_key'], swVersion: ['sw_version', 'sw_version_key'], hwVersion: ['hw_version', 'hw_version_key'] } as const;
const TIME_COLUMNS = { createdAt: 'created_at', lastModifiedAt: 'last_modified_at', syncedAt: 'synced_at' } as const;

const FALSE = sql<SqlBool>`1 = 0`;

/**
 * What counts of the fleet read: on SQLite, with a filter, the covering index of every filterable column (migration
 * 0009), which SQLite's planner would pass over for the table (it sizes rows by their declared types, not the JSON
 * they hold): a scan of it reads a sixth of the pages. PostgreSQL plans with real sizes.
 */
export function fleetSource(filter: DeviceFilter, engine: Engine) {
  const filtered = Object.values(filter).some((value) => value !== undefined && value !== null);
  return engine === 'sqlite' && filtered ? sql`mirror_devices indexed by mirror_devices_fleet` : sql`mirror_devices`;
}

export function deviceWhere(eb: Eb, f: DeviceFilter, engine: Engine): Condition {
  const parts: Condition[] = [];
  // The flat fields, in the meaning they always had.
  if (f.deviceType !== undefined) parts.push(text(eb, 'device_type', { eq: f.deviceType }, engine));
  if (f.model !== undefined) parts.push(text(eb, 'model', { eq: f.model }, engine));
  if (f.manufacturerName !== undefined) parts.push(text(eb, 'manufacturer_name', { eq: f.manufacturerName }, engine));
  if (f.protocolType !== undefined) parts.push(text(eb, 'protocol_type', { eq: f.protocolType }, engine));
  if (f.fwVersion !== undefined) parts.push(text(eb, 'fw_version', { eq: f.fwVersion }, engine));
  if (f.swVersion !== undefined) parts.push(text(eb, 'sw_version', { eq: f.swVersion }, engine));
  // "Not this version" includes devices that report none: they still have to be reached.
  if (f.fwVersionNot !== undefined) parts.push(text(eb, 'fw_version', { ne: f.fwVersionNot }, engine));
  if (f.swVersionNot !== undefined) parts.push(text(eb, 'sw_version', { ne: f.swVersionNot }, engine));
  if (f.status !== undefined) parts.push(text(eb, 'status', { in: f.status }, engine));
  if (f.gatewayId !== undefined) parts.push(text(eb, 'gateway_id', { eq: f.gatewayId }, engine));
  if (f.groupId !== undefined) parts.push(eb('id', 'in', eb.selectFrom('mirror_group_members').select('device_id').where('group_id', '=', f.groupId)));
  if (f.nameContains !== undefined) {
    // A literal part of the name: LIKE's wildcards in it are escaped, with the escape character named for SQLite.
    const pattern = `%${f.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    parts.push(sql<SqlBool>`(${sql.ref('name_lower')} is not null and ${sql.ref('name_lower')} like ${pattern} escape '\\')`);
  }
  if (f.where) parts.push(...conditions(eb, f.where, engine));
  for (const nested of f.and ?? []) parts.push(deviceWhere(eb, nested, engine));
  if (f.or) parts.push(eb.or(f.or.map((nested) => deviceWhere(eb, nested, engine))));
  if (f.not) parts.push(eb.not(deviceWhere(eb, f.not, engine)));
  return eb.and(parts);
}

function conditions(eb: Eb, where: DeviceConditions, engine: Engine): Condition[] {
  const parts: Condition[] = [];
  for (const [field, column] of Object.entries(TEXT_COLUMNS)) {
    const condition = where[field as keyof typeof TEXT_COLUMNS];
    if (condition) parts.push(text(eb, column, condition, engine));
  }
  for (const [field, [column, keyColumn]] of Object.entries(VERSION_COLUMNS)) {
    const condition = where[field as keyof typeof VERSION_COLUMNS];
    if (condition) parts.push(text(eb, column, condition, engine), versionRange(eb, keyColumn, condition));
  }
  for (const [field, column] of Object.entries(TIME_COLUMNS)) {
    const condition = where[field as keyof typeof TIME_COLUMNS];
    if (condition) parts.push(timeRange(eb, column, condition));
  }
  return parts;
}

/** `column op value` for a device that has a value; false for one that has none. */
const present = (column: string, test: Condition): Condition => sql<SqlBool>`(${sql.ref(column)} is not null and ${test})`;

function text(eb: Eb, column: string, c: TextCondition | StatusCondition, engine: Engine): Condition {
  const ref = sql.ref(column);
  const parts: Condition[] = [];
  const isIn = (values: readonly string[]) => (values.length === 0 ? FALSE : present(column, sql<SqlBool>`${ref} in (${sql.join(values)})`));
  if (c.eq != null) parts.push(present(column, sql<SqlBool>`${ref} = ${c.eq}`));
  if (c.ne != null) parts.push(eb.not(present(column, sql<SqlBool>`${ref} = ${c.ne}`)));
  if (c.in != null) parts.push(isIn(c.in));
  if (c.notIn != null) parts.push(eb.not(isIn(c.notIn)));
  if ('prefix' in c && c.prefix != null) parts.push(present(column, matches(ref, [{ text: c.prefix }, { any: 'run' }], engine)));
  if ('like' in c && c.like != null) parts.push(present(column, matches(ref, patternPieces(c.like), engine)));
  if (c.isNull != null) parts.push(c.isNull ? sql<SqlBool>`${ref} is null` : sql<SqlBool>`${ref} is not null`);
  return eb.and(parts);
}

/**
 * A case-sensitive wildcard match on both engines: GLOB on SQLite (its LIKE ignores case), LIKE on PostgreSQL. A
 * literal prefix lets either use an index.
 */
function matches(ref: ReturnType<typeof sql.ref>, pieces: ReturnType<typeof patternPieces>, engine: Engine): Condition {
  if (engine === 'sqlite') {
    const glob = pieces.map((p) => ('text' in p ? p.text.replace(/[[*?]/g, (ch) => `[${ch}]`) : p.any === 'run' ? '*' : '?')).join('');
    return sql<SqlBool>`${ref} glob ${glob}`;
  }
  const like = pieces.map((p) => ('text' in p ? p.text.replace(/[\\%_]/g, (ch) => `\\${ch}`) : p.any === 'run' ? '%' : '_')).join('');
  return sql<SqlBool>`${ref} like ${like}`;
}

/** Ranges on the version's sort key (validated comparable at the edge; a device's version of another form has none). */
function versionRange(eb: Eb, keyColumn: string, c: VersionCondition): Condition {
  const ref = sql.ref(keyColumn);
  const bound = (op: string, version: string | undefined) => {
    const key = version === undefined || version === null ? null : versionKey(version);
    return key === null ? [] : [present(keyColumn, sql<SqlBool>`${ref} ${sql.raw(op)} ${key}`)];
  };
  return eb.and([...bound('>', c.gt), ...bound('>=', c.gte), ...bound('<', c.lt), ...bound('<=', c.lte)]);
}

function timeRange(eb: Eb, column: string, c: TimeCondition): Condition {
  const ref = sql.ref(column);
  const ms = (t: TimeBound) => (t instanceof Date ? t.getTime() : Date.parse(t));
  const bound = (op: string, t: TimeBound | undefined) => (t == null ? [] : [present(column, sql<SqlBool>`${ref} ${sql.raw(op)} ${ms(t)}`)]);
  const isNull = c.isNull == null ? [] : [c.isNull ? sql<SqlBool>`${ref} is null` : sql<SqlBool>`${ref} is not null`];
  return eb.and([...bound('>', c.gt), ...bound('>=', c.gte), ...bound('<', c.lt), ...bound('<=', c.lte), ...isNull]);
}
