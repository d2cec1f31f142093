import { ArgsType, Directive, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';
import { INHERIT_HINT } from './cache-control.js';
import { Connection, ConnectionArgs } from './connection.js';
import { ExecuteType, OperationStatus, OperationType, SubtaskStatus, UpgradeStep } from './enums.js';
import { DateTimeScalar, JSONObjectScalar } from './scalars.js';
import type * as domain from '../domain/upgrade-tasks.js';

@ObjectType({ description: 'Who an upgrade task targets: a device list, or device groups narrowed to one product.' })
@Directive(INHERIT_HINT)
export class OperationTargets implements domain.OperationTargets {
  @Field(() => [ID])
  deviceIds!: string[];

  @Field(() => [String])
  deviceGroups!: string[];

  @Field(() => String, { nullable: true })
  deviceType?: string;

  @Field(() => String, { nullable: true })
  model?: string;

  @Field(() => String, { nullable: true })
  manufacturerName?: string;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class OperationPolicy implements domain.OperationPolicy {
  @Field(() => ExecuteType)
  executeType!: ExecuteType;

  @Field(() => DateTimeScalar, { nullable: true })
  startTime?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  endTime?: string;

  @Field(() => Boolean)
  retry!: boolean;

  @Field(() => Int, { nullable: true })
  retryTimes?: number;
}

@ObjectType({ description: "Subtask counts by status (the platform's staResult)." })
@Directive(INHERIT_HINT)
export class OperationStats implements domain.OperationStats {
  @Field(() => Int) total!: number;
  @Field(() => Int) wait!: number;
  @Field(() => Int) processing!: number;
  @Field(() => Int) success!: number;
  @Field(() => Int) fail!: number;
  @Field(() => Int) stop!: number;
  @Field(() => Int) timeout!: number;

  @Field(() => Int, { description: 'success + fail + stop + timeout' })
  completed!: number;

  @Field(() => Float, { description: 'completed / total as a fraction 0..1, rounded to 4 places; 0 when total is 0' })
  progress!: number;

  @Field(() => Float, { nullable: true, description: 'success / total as a fraction 0..1, rounded to 4 places; null when total is 0' })
  successRate?: number;
}

@ObjectType({ description: 'An upgrade task: one firmware or software package rolled out to up to 256 devices or groups.' })
export class Operation implements domain.Operation {
  @Field(() => ID, { description: 'operationId' })
  id!: string;

  @Field(() => OperationType)
  type!: OperationType;

  @Field(() => OperationStatus)
  status!: OperationStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  createdAt?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  stoppedAt?: string;

  @Field(() => OperationTargets)
  targets!: OperationTargets;

  @Field(() => OperationPolicy, { nullable: true })
  policy?: OperationPolicy;

  @Field(() => OperationStats)
  stats!: OperationStats;

  @Field(() => String, { nullable: true, description: 'extendPara.fileVersion: the version the task installs' })
  targetVersion?: string;

  @Field(() => JSONObjectScalar, { nullable: true })
  extendPara?: Record<string, unknown>;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the gateway last learned this state from the platform (a read or a notification).' })
  syncedAt?: string;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class OperationConnection extends Connection(Operation, 'Operation') {}

@InputType()
export class OperationFilter implements domain.OperationFilter {
  @Field(() => OperationType, { nullable: true })
  type?: OperationType;

  @Field(() => OperationStatus, { nullable: true })
  status?: OperationStatus;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(256)
  deviceType?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(256)
  model?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(256)
  manufacturerName?: string;

  @Field(() => ID, { nullable: true, description: 'Only tasks that target this device.' })
  @IsOptional()
  @MaxLength(256)
  deviceId?: string;
}

@ArgsType()
export class SubtaskArgs extends ConnectionArgs {
  @Field(() => SubtaskStatus, { nullable: true })
  status?: SubtaskStatus;
}

@ObjectType({ description: 'One device\'s part of an upgrade task (a subOperation).' })
@Directive(INHERIT_HINT)
export class Subtask implements domain.Subtask {
  /** Not a field of its own: `operation` resolves it. */
  operationId!: string;

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
