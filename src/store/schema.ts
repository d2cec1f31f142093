/** The store's tables, as Kysely sees them. Times are epoch milliseconds, so both engines compare them alike. */
import type { ColumnType, Generated, Kysely } from 'kysely';

export interface IdempotencyKeyTable {
  /** Who sent the key: keys are scoped per client, as payment APIs scope them per account. */
  client: string;
  key: string;
  /** SHA-256 of the canonical input: the same key with another input is refused. */
  fingerprint: string;
  state: 'pending' | 'done' | 'unknown';
  /** The id the create returned (or that a reconcile claimed); unique, so no two keys claim one task. */
  result: string | null;
  /** When the create was sent (this process's clock). */
  sent_at: number;
  /**
   * When it was sent on the platform's clock (the earliest that clock can have read): a reconcile looks only at what
   * the platform made after it. Null when the platform's clock was not known.
   */
  platform_sent_at: number | null;
  /** Until when the process that sent it may still be waiting for the answer; past it, the outcome is unknown. */
  lease_until: number;
  expires_at: number;
}

export interface BudgetBucketTable {
  /** The platform application whose budget the calls spent. */
  app: string;
  client: string;
  /** The bucket the calls were counted in (its start, epoch ms; buckets are a 61st of the window). */
  at: number;
  calls: number;
  /** When its latest call was counted: all of them stay counted until that one leaves the window. */
  last: number;
}

/** Mirrored objects: the domain model as JSON in `data`, with the columns queries filter and sort by. */
export interface MirrorDeviceTable {
  id: string;
  name: string | null;
  name_lower: string | null;
  gateway_id: string | null;
  device_type: string | null;
  model: string | null;
  manufacturer_name: string | null;
  protocol_type: string | null;
  fw_version: string | null;
  sw_version: string | null;
  status: string | null;
  created_at: number | null;
  last_modified_at: number | null;
  node_type: string | null;
  manufacturer_id: string | null;
  hw_version: string | null;
  serial_number: string | null;
  mac: string | null;
  location: string | null;
  /** Versions' sort keys (domain/device-filter.ts versionKey): null for a version of another form. */
  fw_version_key: string | null;
  sw_version_key: string | null;
  hw_version_key: string | null;
  data: string;
  synced_at: number;
  /** The full sync that last saw it: a device no complete sync saw any more was deleted on the platform. */
  sync_round: number;
  /** JSON `[digest, takenAt][]`: the notifications applied to it lately (a re-sent older one is not applied again). */
  recent_pushes: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface MirrorOperationTable {
  id: string;
  type: string;
  status: string;
  device_type: string | null;
  model: string | null;
  manufacturer_name: string | null;
  created_at: number | null;
  data: string;
  synced_at: number;
  sync_round: number;
  subtasks_synced_at: number | null;
  subtasks_status: string | null;
  subtasks_total: number | null;
}

export interface MirrorOperationDeviceTable {
  operation_id: string;
  device_id: string;
}

export interface MirrorSubtaskTable {
  id: string;
  operation_id: string;
  /** Its place in the platform's order of the task's subtasks. */
  position: number;
  device_id: string;
  status: string;
  step: string | null;
  data: string;
  synced_at: number;
}

export interface MirrorPackageTable {
  id: string;
  uploaded_at: number | null;
  data: string;
  synced_at: number;
  sync_round: number;
}

export interface MirrorGroupTable {
  id: string;
  position: number;
  data: string;
  synced_at: number;
  sync_round: number;
  /** When its members were last read; null until they are (migration 0005). */
  members_synced_at: number | null;
}

export interface MirrorGroupMemberTable {
  group_id: string;
  position: number;
  device_id: string;
}

export interface MirrorBatchTaskTable {
  id: string;
  first_seen_at: number;
  data: string;
  synced_at: number;
}

export interface MirrorMetaTable {
  key: string;
  value: string;
}

export interface RolloutTable {
  id: string;
  client: string;
  name: string | null;
  type: string;
  file_id: string;
  target_version: string | null;
  state: string;
  halt_reason: string | null;
  soak_minutes: number;
  threshold_percent: number | null;
  threshold_min_finished: number | null;
  threshold_base_failed: Generated<number>;
  threshold_base_finished: Generated<number>;
  policy: string;
  total: number;
  source_operation_id: string | null;
  created_at: number;
  updated_at: number;
  start_at: number | null;
  maintenance_windows: string | null;
}

export interface RolloutWaveTable {
  rollout_id: string;
  wave_index: number;
  state: string;
  device_ids: string;
  size: number;
  started_at: number | null;
  finished_at: number | null;
  soak_until: number | null;
}

export interface RolloutTaskTable {
  rollout_id: string;
  wave_index: number;
  part: number;
  device_ids: string;
  operation_id: string | null;
  created_at: number | null;
  window_start: number | null;
  window_end: number | null;
  cut_devices: number | null;
  continues_part: number | null;
}

export interface StoreLeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface DynamicGroupTable {
  id: string;
  name: string;
  /** The name in lower case: unique, so two groups never differ in case only. */
  name_key: string;
  filter: string;
  created_at: number;
  updated_at: number;
}

export interface ContinuousRolloutTable {
  rollout_id: string;
  group_id: string;
  waves: string;
  stopped_at: number | null;
}

export interface ContinuousRolloutDeviceTable {
  rollout_id: string;
  device_id: string;
  wave_index: number;
}

/** The access token the replicas of one application share, sealed (see migration 0004). */
export interface PlatformTokenTable {
  app: string;
  sealed: string;
  expires_at: number;
  updated_at: number;
}

/** One mutation call (see migration 0012 and domain/audit.ts). */
export interface AuditLogTable {
  id: string;
  at: number;
  client: string;
  role: string;
  operation: string;
  input_digest: string;
  /** JSON array. */
  target_ids: string;
  outcome: string;
  error_code: string | null;
  /** 1: an idempotent replay. */
  replayed: number;
  request_id: string | null;
}

/** Each id an audited call touched, for the filter on one id. */
export interface AuditTargetTable {
  target_id: string;
  audit_id: string;
  at: number;
}

export interface StoreSchema {
  idempotency_keys: IdempotencyKeyTable;
  budget_buckets: BudgetBucketTable;
  mirror_devices: MirrorDeviceTable;
  mirror_operations: MirrorOperationTable;
  mirror_operation_devices: MirrorOperationDeviceTable;
  mirror_subtasks: MirrorSubtaskTable;
  mirror_packages: MirrorPackageTable;
  mirror_groups: MirrorGroupTable;
  mirror_group_members: MirrorGroupMemberTable;
  mirror_batch_tasks: MirrorBatchTaskTable;
  mirror_meta: MirrorMetaTable;
  rollouts: RolloutTable;
  rollout_waves: RolloutWaveTable;
  rollout_tasks: RolloutTaskTable;
  store_leases: StoreLeaseTable;
  platform_tokens: PlatformTokenTable;
  dynamic_groups: DynamicGroupTable;
  continuous_rollouts: ContinuousRolloutTable;
  continuous_rollout_devices: ContinuousRolloutDeviceTable;
  audit_log: AuditLogTable;
  audit_targets: AuditTargetTable;
}

export type StoreDb = Kysely<StoreSchema>;
