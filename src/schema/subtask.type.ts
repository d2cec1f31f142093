import { ArgsType, Directive, Field, ID, ObjectType } from 'type-graphql';
import { INHERIT_HINT } from './cache-control.js';
import { Connection } from './connection.js';
import { OperationType, SubtaskStatus, UpgradeStep } from './enums.js';
import { DateTimeScalar, JSONObjectScalar } from './scalars.js';

@ObjectType({ description: 'One device\'s part of an upgrade task (a subOperation).' })
@Directive(INHERIT_HINT)
export class Subtask {
  @Field(() => ID, { description: 'subOperationId' })
  id!: string;

  @Field(() => OperationType)
  type!: OperationType;

  @Field(() => SubtaskStatus)
  status!: SubtaskStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  createdAt?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  stoppedAt?: string;

  @Field(() => String, { nullable: true, description: 'detailInfo: the failure cause when the subtask failed' })
  detail?: string;

  @Field(() => JSONObjectScalar, { nullable: true })
  extendInfo?: Record<string, unknown>;

  @Field(() => ID)
  deviceId!: string;

  @Field(() => UpgradeStep, { nullable: true, description: "The device's upgrade step while it runs, from the platform's state-change notifications." })
  step?: UpgradeStep | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the gateway last learned this state from the platform (a read or a notification).' })
  syncedAt?: string;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class SubtaskConnection extends Connection(Subtask, 'Subtask') {}

@ArgsType()
export class SubtaskUpdatedArgs {
  @Field(() => ID)
  operationId!: string;

  @Field(() => [SubtaskStatus], { nullable: true, description: 'only subtasks that reached one of these' })
  status?: SubtaskStatus[];
}
