import { Field, InputType } from 'type-graphql';
import type * as domain from '../domain/devices.js';
import { DeviceStatus } from './enums.js';
import { DateTimeScalar } from './scalars.js';

// Per-field operator inputs (as Hasura's and Prisma's `where`): every operator given must hold. A device without a
// value matches only `ne`, `notIn` and `isNull: true`, so `not` is always the complement of what it wraps.

@InputType({ description: 'Conditions on a text field; every operator given must hold. Matching is case-sensitive.' })
export class TextCondition implements domain.TextCondition {
  @Field(() => String, { nullable: true }) eq?: string;
  @Field(() => String, { nullable: true, description: 'not equal to (devices without a value included)' }) ne?: string;
  @Field(() => [String], { nullable: true, description: 'one of (at most 1000)' }) in?: string[];
  @Field(() => [String], { nullable: true, description: 'none of (devices without a value included)' }) notIn?: string[];
  @Field(() => String, { nullable: true, description: 'starts with' }) prefix?: string;
  @Field(() => String, { nullable: true, description: 'wildcard pattern: * any run of characters, ? one character, e.g. "WM?00" or "*-Harbor-*"' })
  like?: string;
  @Field(() => Boolean, { nullable: true, description: 'true: devices without a value; false: with one' }) isNull?: boolean;
}

@InputType({
  description:
    'Text operators on the version as reported, and ranges on versions compared part by part: V1.2.10 > V1.2.9, 2 = 2.0 = V2.0.0, a leading run of letters ignored ("1.2" and "V1.2" alike). A version of another form (1.2-rc1) matches no range; a bound of another form is refused.',
})
export class VersionCondition extends TextCondition implements domain.VersionCondition {
  @Field(() => String, { nullable: true }) gt?: string;
  @Field(() => String, { nullable: true }) gte?: string;
  @Field(() => String, { nullable: true }) lt?: string;
  @Field(() => String, { nullable: true }) lte?: string;
}

@InputType({ description: 'A range of times; every bound given must hold. A device without the time matches only isNull: true.' })
export class TimeCondition implements domain.TimeCondition {
  @Field(() => DateTimeScalar, { nullable: true }) gt?: Date;
  @Field(() => DateTimeScalar, { nullable: true }) gte?: Date;
  @Field(() => DateTimeScalar, { nullable: true }) lt?: Date;
  @Field(() => DateTimeScalar, { nullable: true }) lte?: Date;
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

@InputType()
export class StatusCondition implements domain.StatusCondition {
  @Field(() => DeviceStatus, { nullable: true }) eq?: DeviceStatus;
  @Field(() => DeviceStatus, { nullable: true }) ne?: DeviceStatus;
  @Field(() => [DeviceStatus], { nullable: true }) in?: DeviceStatus[];
  @Field(() => [DeviceStatus], { nullable: true }) notIn?: DeviceStatus[];
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

@InputType({ description: 'A condition per mirrored device field; every one given must hold.' })
export class DeviceConditions implements domain.DeviceConditions {
  @Field(() => TextCondition, { nullable: true }) id?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) name?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) gatewayId?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) nodeType?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) manufacturerId?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) manufacturerName?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) deviceType?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) model?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) protocolType?: TextCondition;
  @Field(() => VersionCondition, { nullable: true }) fwVersion?: VersionCondition;
  @Field(() => VersionCondition, { nullable: true }) swVersion?: VersionCondition;
  @Field(() => VersionCondition, { nullable: true }) hwVersion?: VersionCondition;
  @Field(() => TextCondition, { nullable: true }) serialNumber?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) mac?: TextCondition;
  @Field(() => TextCondition, { nullable: true }) location?: TextCondition;
  @Field(() => StatusCondition, { nullable: true }) status?: StatusCondition;
  @Field(() => TimeCondition, { nullable: true }) createdAt?: TimeCondition;
  @Field(() => TimeCondition, { nullable: true, description: "the platform's last change to the device (going online or offline among them): last seen" })
  lastModifiedAt?: TimeCondition;
  @Field(() => TimeCondition, { nullable: true, description: 'when the gateway last learned its state' }) syncedAt?: TimeCondition;
}
