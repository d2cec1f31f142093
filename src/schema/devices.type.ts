import { ArgsType, Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { INHERIT_HINT, REFERENCE_DATA_HINT } from './cache-control.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_TERMS } from '../domain/device-filter.js';
import { Connection, ConnectionArgs } from './connection.js';
import { DeviceConditions } from './device-filter.type.js';
import { DeviceOrder, DeviceStatus } from './enums.js';
import { DateTimeScalar } from './scalars.js';
import type * as domain from '../domain/devices.js';

@ObjectType()
@Directive(REFERENCE_DATA_HINT)
export class Device implements domain.Device {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: 'The gateway a sub-device hangs off; its own id when directly connected.' })
  gatewayId?: string;
  @Field(() => String, { nullable: true }) nodeType?: string;
  @Field(() => String, { nullable: true }) nodeId?: string;
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => String, { nullable: true }) manufacturerId?: string;
  @Field(() => String, { nullable: true }) manufacturerName?: string;
  @Field(() => String, { nullable: true }) deviceType?: string;
  @Field(() => String, { nullable: true }) model?: string;
  @Field(() => String, { nullable: true }) protocolType?: string;
  @Field(() => String, { nullable: true }) swVersion?: string;
  @Field(() => String, { nullable: true }) fwVersion?: string;
  @Field(() => String, { nullable: true }) hwVersion?: string;
  @Field(() => String, { nullable: true }) serialNumber?: string;
  @Field(() => String, { nullable: true }) mac?: string;
  @Field(() => String, { nullable: true }) location?: string;
  @Field(() => DeviceStatus, { nullable: true }) status?: DeviceStatus;
  @Field(() => String, { nullable: true }) statusDetail?: string;
  @Field(() => String, { nullable: true }) signalStrength?: string;
  @Field(() => String, { nullable: true }) batteryLevel?: string;
  @Field(() => DateTimeScalar, { nullable: true }) createdAt?: string;
  @Field(() => DateTimeScalar, { nullable: true }) lastModifiedAt?: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the gateway last learned this state from the platform (a read or a notification).' })
  syncedAt?: string;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class DeviceConnection extends Connection(Device, 'Device') {}

@InputType({
  description: `Devices by what the mirror knows of them; every field given must match. The flat fields compare one value; where holds operators per field; and, or and not combine filters (at most ${MAX_FILTER_DEPTH} deep, ${MAX_FILTER_TERMS} conditions).`,
})
export class DeviceFilter implements domain.DeviceFilter {
  @Field(() => [DeviceFilter], { nullable: true, description: 'every one matches' }) and?: DeviceFilter[];
  @Field(() => [DeviceFilter], { nullable: true, description: 'at least one matches' }) or?: DeviceFilter[];
  @Field(() => DeviceFilter, { nullable: true, description: 'does not match' }) not?: DeviceFilter;
  @Field(() => DeviceConditions, { nullable: true, description: 'operators per field: {fwVersion: {gte: "1.2", lt: "2"}, location: {in: ["Harbor"]}}' })
  where?: DeviceConditions;
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

@ArgsType()
export class FleetArgs extends ConnectionArgs {
  @Field(() => DeviceFilter, { nullable: true }) filter?: DeviceFilter;
  @Field(() => DeviceOrder, { defaultValue: DeviceOrder.NAME }) orderBy!: DeviceOrder;
}

@ObjectType()
export class StatusCount implements domain.StatusCount {
  @Field(() => DeviceStatus, { nullable: true }) status?: DeviceStatus | null;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class VersionCount implements domain.VersionCount {
  @Field(() => String, { nullable: true }) version?: string | null;
  @Field(() => Int) count!: number;
  @Field(() => Int, { description: 'of which ONLINE' }) online!: number;
}

@ObjectType()
export class KeyCount implements domain.KeyCount {
  @Field(() => String, { nullable: true }) key?: string | null;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'The fleet at a glance, from the mirror.' })
export class FleetSummary implements domain.FleetSummary {
  @Field(() => Int) total!: number;
  @Field(() => [StatusCount]) byStatus!: StatusCount[];
  @Field(() => [VersionCount], { description: 'most devices first' }) byFwVersion!: VersionCount[];
  @Field(() => [VersionCount], { description: 'most devices first' }) bySwVersion!: VersionCount[];
  @Field(() => [KeyCount]) byDeviceType!: KeyCount[];
}
