import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { INHERIT_HINT, REFERENCE_DATA_HINT } from './cache-control.js';
import { Connection } from './connection.js';
import { DeviceStatus } from './enums.js';
import { DateTimeScalar } from './scalars.js';

@ObjectType()
@Directive(REFERENCE_DATA_HINT)
export class Device {
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
