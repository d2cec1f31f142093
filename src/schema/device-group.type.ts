import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection.js';

@ObjectType()
export class DeviceGroup {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => Int, { nullable: true, description: 'maxDevNum; 0 = unlimited' }) maxDevices?: number;
  @Field(() => Int, { nullable: true, description: 'curDevNum' }) deviceCount?: number;
}

@ObjectType()
export class DeviceGroupConnection extends Connection(DeviceGroup, 'DeviceGroup') {}
