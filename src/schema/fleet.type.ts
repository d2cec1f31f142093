import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionArgs } from './connection.js';
import { DeviceStatus } from './enums.js';
import { DateTimeScalar } from './scalars.js';

@InputType({ description: 'Devices by what the mirror knows of them; every field given must match.' })
export class DeviceFilter {
  @Field(() => String, { nullable: true }) deviceType?: string;
  @Field(() => String, { nullable: true }) model?: string;
  @Field(() => String, { nullable: true }) manufacturerName?: string;
  @Field(() => String, { nullable: true }) protocolType?: string;
  @Field(() => String, { nullable: true, description: 'equal to' }) fwVersion?: string;
  @Field(() => String, { nullable: true, description: 'equal to' }) swVersion?: string;
  @Field(() => String, { nullable: true, description: 'not equal to (devices reporting none included): the devices a rollout still has to reach' })
  fwVersionNot?: string;
  @Field(() => String, { nullable: true, description: 'not equal to (devices reporting none included)' }) swVersionNot?: string;
  @Field(() => [DeviceStatus], { nullable: true }) status?: DeviceStatus[];
  @Field(() => ID, { nullable: true }) gatewayId?: string;
  @Field(() => ID, { nullable: true, description: 'members of this device group' }) groupId?: string;
  @Field(() => String, { nullable: true, description: 'part of the name, any case' }) nameContains?: string;
}

export enum DeviceOrder {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
  LAST_MODIFIED_AT = 'LAST_MODIFIED_AT',
}
registerEnumType(DeviceOrder, { name: 'DeviceOrder' });

@ArgsType()
export class FleetArgs extends ConnectionArgs {
  @Field(() => DeviceFilter, { nullable: true }) filter?: DeviceFilter;
  @Field(() => DeviceOrder, { defaultValue: DeviceOrder.NAME }) orderBy!: DeviceOrder;
}

@ObjectType()
export class StatusCount {
  @Field(() => DeviceStatus, { nullable: true }) status?: DeviceStatus | null;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class VersionCount {
  @Field(() => String, { nullable: true }) version?: string | null;
  @Field(() => Int) count!: number;
  @Field(() => Int, { description: 'of which ONLINE' }) online!: number;
}

@ObjectType()
export class KeyCount {
  @Field(() => String, { nullable: true }) key?: string | null;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'The fleet at a glance, from the mirror.' })
export class FleetSummary {
  @Field(() => Int) total!: number;
  @Field(() => [StatusCount]) byStatus!: StatusCount[];
  @Field(() => [VersionCount], { description: 'most devices first' }) byFwVersion!: VersionCount[];
  @Field(() => [VersionCount], { description: 'most devices first' }) bySwVersion!: VersionCount[];
  @Field(() => [KeyCount]) byDeviceType!: KeyCount[];
}

export enum MirrorState {
  EMPTY = 'EMPTY',
  SYNCING = 'SYNCING',
  READY = 'READY',
  STALE = 'STALE',
}
registerEnumType(MirrorState, { name: 'MirrorState', description: 'STALE: the last full sync is older than its period and push is off' });

@ObjectType()
export class NotificationStatus {
  @Field(() => [String], { description: 'the notification types the gateway is subscribed to' }) subscribed!: string[];
  @Field(() => Int) received!: number;
  @Field(() => Int, { description: 'malformed or forged notifications refused' }) rejected!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastReceivedAt?: string;
}

@ObjectType({ description: 'The fleet mirror: what the gateway keeps of the platform, and how fresh it is.' })
export class MirrorStatus {
  @Field(() => MirrorState) state!: MirrorState;
  @Field(() => Int) devices!: number;
  @Field(() => Int) operations!: number;
  @Field(() => Int) subtasks!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastFullSyncAt?: string;
  @Field(() => DateTimeScalar, { nullable: true }) nextFullSyncAt?: string;
  @Field(() => Number, { description: 'the share of the call budget that background sync may use while clients wait' }) budgetShare!: number;
  @Field(() => NotificationStatus) notifications!: NotificationStatus;
}
