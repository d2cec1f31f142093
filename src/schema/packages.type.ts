import { IsOptional, MaxLength } from 'class-validator';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { INHERIT_HINT, REFERENCE_DATA_HINT } from './cache-control.js';
import { Connection } from './connection.js';
import { PackageType } from './enums.js';
import { DateTimeScalar } from './scalars.js';
import type * as domain from '../domain/packages.js';

@ObjectType({ description: 'A firmware or software package uploaded to the platform.' })
@Directive(REFERENCE_DATA_HINT)
export class UpgradePackage implements domain.UpgradePackage {
  @Field(() => ID, { description: 'fileId' }) id!: string;
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) version?: string;
  @Field(() => PackageType, { nullable: true }) type?: PackageType;
  @Field(() => String, { nullable: true }) deviceType?: string;
  @Field(() => String, { nullable: true }) model?: string;
  @Field(() => String, { nullable: true }) manufacturerName?: string;
  @Field(() => String, { nullable: true }) protocolType?: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => DateTimeScalar, { nullable: true }) uploadedAt?: string;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class UpgradePackageConnection extends Connection(UpgradePackage, 'UpgradePackage') {}

@InputType()
export class UpgradePackageFilter implements domain.UpgradePackageFilter {
  @Field(() => PackageType, { nullable: true }) type?: PackageType;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(256) deviceType?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(256) model?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(256) manufacturerName?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(256) version?: string;
}

@ObjectType()
@Directive(REFERENCE_DATA_HINT)
export class DeviceGroup implements domain.DeviceGroup {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => Int, { nullable: true, description: 'maxDevNum; 0 = unlimited' }) maxDevices?: number;
  @Field(() => Int, { nullable: true, description: 'curDevNum' }) deviceCount?: number;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class DeviceGroupConnection extends Connection(DeviceGroup, 'DeviceGroup') {}
