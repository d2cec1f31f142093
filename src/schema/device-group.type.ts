import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { INHERIT_HINT, REFERENCE_DATA_HINT } from './cache-control.js';
import { Connection } from './connection.js';

@ObjectType()
@Directive(REFERENCE_DATA_HINT)
export class DeviceGroup {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => Int, { nullable: true, description: 'maxDevNum; 0 = unlimited' }) maxDevices?: number;
  @Field(() => Int, { nullable: true, description: 'curDevNum' }) deviceCount?: number;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class DeviceGroupConnection extends Connection(DeviceGroup, 'DeviceGroup') {}
