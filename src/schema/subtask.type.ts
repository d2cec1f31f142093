import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { INHERIT_HINT } from './cache-control.js';
import { Connection } from './connection.js';
import { OperationType, SubtaskStatus } from './enums.js';
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
}

@ObjectType()
@Directive(INHERIT_HINT)
export class SubtaskConnection extends Connection(Subtask, 'Subtask') {}
