import { ArgsType, Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { INHERIT_HINT } from './cache-control.js';
import { Connection, ConnectionArgs } from './connection.js';
import { BatchTaskDetailStatus, BatchTaskStatus } from './enums.js';
import { DateTimeScalar, JSONObjectScalar } from './scalars.js';
import type * as domain from '../domain/batch-tasks.js';

@ObjectType()
@Directive(INHERIT_HINT)
export class Tag implements domain.Tag {
  @Field(() => String) name!: string;
  @Field(() => String) value!: string;
}

@ObjectType({ description: 'An error the platform reported for one item.' })
@Directive(INHERIT_HINT)
export class UpstreamError implements domain.UpstreamError {
  @Field(() => String) code!: string;
  @Field(() => String, { nullable: true }) description?: string;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class BatchTaskStats implements domain.BatchTaskStats {
  @Field(() => Int) total!: number;
  @Field(() => Int) success!: number;
  @Field(() => Int) fail!: number;
  @Field(() => Int) timeout!: number;
  @Field(() => Int, { description: 'subtasks that expired before they were executed' }) expired!: number;
  @Field(() => Int, { description: 'success + fail + timeout' }) completed!: number;
  @Field(() => Float, { description: "completed / total as a fraction 0..1, rounded to 4 places (the platform's per-mille progress)" })
  progress!: number;
  @Field(() => Float, { description: "success / total as a fraction 0..1, rounded to 4 places (the platform's per-mille success rate)" })
  successRate!: number;
}

@ObjectType({ description: 'A batch task: one device command sent to many devices.' })
export class BatchTask implements domain.BatchTask {
  /** Not a field of its own: `devices` resolves them. */
  deviceIds!: string[];

  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) appId?: string;
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) operator?: string;
  @Field(() => String, { nullable: true, description: 'taskFrom' }) source?: string;
  @Field(() => String) type!: string;
  @Field(() => BatchTaskStatus) status!: BatchTaskStatus;
  @Field(() => DateTimeScalar, { nullable: true }) startedAt?: string;
  @Field(() => Int, { nullable: true, description: 'Minutes, as on create (the platform reports seconds; rounded to the minute).' })
  timeout?: number;
  @Field(() => BatchTaskStats) stats!: BatchTaskStats;
  @Field(() => JSONObjectScalar, { nullable: true }) param?: Record<string, unknown>;
  @Field(() => [Tag]) tags!: Tag[];
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the gateway last learned this state from the platform (a read or a notification).' })
  syncedAt?: string;
}

@ObjectType({ description: 'One device\'s part of a batch task.' })
@Directive(INHERIT_HINT)
export class BatchTaskDetail implements domain.BatchTaskDetail {
  @Field(() => BatchTaskDetailStatus) status!: BatchTaskDetailStatus;
  @Field(() => String, { nullable: true }) output?: string;
  @Field(() => UpstreamError, { nullable: true }) error?: UpstreamError;
  @Field(() => ID, { nullable: true }) deviceId?: string;
  @Field(() => ID, { nullable: true }) commandId?: string;
  @Field(() => JSONObjectScalar, { nullable: true }) param?: Record<string, unknown>;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class BatchTaskDetailConnection extends Connection(BatchTaskDetail, 'BatchTaskDetail') {}

@ArgsType()
export class BatchTaskDetailArgs extends ConnectionArgs {
  @Field(() => BatchTaskDetailStatus, { nullable: true })
  status?: BatchTaskDetailStatus;
}

@ObjectType()
@Directive(INHERIT_HINT)
export class BatchTaskConnection extends Connection(BatchTask, 'BatchTask') {}
