import { ArgsType, Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection, ConnectionArgs } from './connection.js';
import { DeviceOrder } from './enums.js';
import { DateTimeScalar, JSONObjectScalar } from './scalars.js';

@ObjectType({
  description:
    "A named, saved device filter (the gateway's own; not the platform's static DeviceGroup): its members are the devices the filter matches now, from the mirror. Usable as a rollout's target (targets.dynamicGroupId), and followed by a continuous rollout.",
})
export class DynamicGroup {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'unique regardless of case' }) name!: string;
  @Field(() => JSONObjectScalar, { description: 'the DeviceFilter as saved' }) filter!: Record<string, unknown>;
  @Field(() => DateTimeScalar) createdAt!: string;
  @Field(() => DateTimeScalar, { description: 'when it was created or last renamed' }) updatedAt!: string;
  @Field(() => Int, { description: 'how many devices the filter matches now' }) memberCount!: number;
}

@ObjectType()
export class DynamicGroupConnection extends Connection(DynamicGroup, 'DynamicGroup') {}

@ArgsType()
export class DynamicGroupMembersArgs extends ConnectionArgs {
  @Field(() => DeviceOrder, { defaultValue: DeviceOrder.NAME }) orderBy!: DeviceOrder;
}
