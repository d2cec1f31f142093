/**
 * The domain's enums, registered as GraphQL enums: one declaration each (in src/domain), so a domain object
 * serializes as it is and the compiler checks every use against the same values.
 */
import { registerEnumType } from 'type-graphql';
import { ApiRole } from '../domain/access.js';
import { AuditOutcome, RolloutEvent } from '../domain/audit.js';
import { BatchTargetType, BatchTaskDetailStatus, BatchTaskStatus } from '../domain/batch-tasks.js';
import { DeviceField, DeviceOrder, DeviceStatus } from '../domain/devices.js';
import { MirrorState } from '../domain/health.js';
import { PackageType } from '../domain/packages.js';
import { RolloutState, WaveState } from '../domain/rollouts.js';
import { ScheduleWait, Weekday } from '../domain/maintenance-windows.js';
import { ExecuteType, OperationStatus, OperationType, SubtaskStatus, UpgradeStep } from '../domain/upgrade-tasks.js';

export { ApiRole, AuditOutcome, BatchTargetType, BatchTaskDetailStatus, BatchTaskStatus, DeviceField, DeviceOrder, DeviceStatus, ExecuteType, MirrorState, OperationStatus, OperationType, PackageType, RolloutEvent, RolloutState, ScheduleWait, SubtaskStatus, UpgradeStep, WaveState, Weekday };

registerEnumType(OperationType, { name: 'OperationType', description: 'platform: firmware_upgrade, software_upgrade' });
registerEnumType(OperationStatus, { name: 'OperationStatus', description: 'platform: wait, processing, success, failed (also fail, FAIL), stop' });
registerEnumType(SubtaskStatus, { name: 'SubtaskStatus', description: 'platform: wait, processing, success, fail, stop, timeout' });
registerEnumType(ExecuteType, { name: 'ExecuteType', description: 'platform: now, device_online, custom' });
registerEnumType(DeviceStatus, { name: 'DeviceStatus' });
registerEnumType(BatchTaskStatus, { name: 'BatchTaskStatus', description: 'platform: Pending, Running, Complete, Timeout' });
registerEnumType(BatchTaskDetailStatus, { name: 'BatchTaskDetailStatus', description: 'platform: Pending, WaitResult, Success, Fail, Timeout' });
registerEnumType(PackageType, { name: 'PackageType', description: 'platform: firmwarePackage, softwarePackage' });
registerEnumType(UpgradeStep, { name: 'UpgradeStep', description: 'From state-change notifications: fw step 0-3, sw idle/downloading/downloaded/updating' });
registerEnumType(BatchTargetType, { name: 'BatchTargetType', description: "Which devices a batch task addresses (the platform's param.type)." });
registerEnumType(DeviceOrder, { name: 'DeviceOrder' });
registerEnumType(AuditOutcome, { name: 'AuditOutcome', description: 'ERROR: the call was answered with an error (its code in errorCode)' });
registerEnumType(RolloutEvent, { name: 'RolloutEvent', description: "COMMAND: an operator's mutation; HALTED, COMPLETED: the orchestrator's (both with their audit record); WAVE_STARTED, WAVE_FINISHED: a wave moving" });
registerEnumType(DeviceField, { name: 'DeviceField', description: 'A mirrored device field devices are counted by (fleetAggregate)' });
registerEnumType(ApiRole, { name: 'ApiRole', description: 'GATEWAY_API_KEYS: read may query; operate may also create and command' });
registerEnumType(MirrorState, { name: 'MirrorState', description: 'STALE: the last full sync is older than its period and push is off' });
registerEnumType(RolloutState, {
  name: 'RolloutState',
  valuesConfig: {
    PAUSED: { description: 'no further wave starts; the running wave goes on (the platform cannot stop a task)' },
    HALTED: { description: 'the failure threshold was crossed, or the platform refused a task: no further task until resumed' },
  },
});
registerEnumType(WaveState, { name: 'WaveState', valuesConfig: { SOAKING: { description: "the wave's tasks have ended; soakMinutes pass before the next wave" } } });
registerEnumType(Weekday, { name: 'Weekday' });
registerEnumType(ScheduleWait, {
  name: 'ScheduleWait',
  valuesConfig: {
    START_AT: { description: 'the rollout starts at startAt' },
    MAINTENANCE_WINDOW: { description: 'no maintenance window is open: the next opens at nextWindowAt' },
    POLICY_WINDOW_CLOSED: { description: "the policy's CUSTOM window (its only window) has closed" },
  },
});
