import { ArgsType, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Connection, ConnectionArgs } from './connection.js';
import { OperationType, RolloutState, ScheduleWait, WaveState } from './enums.js';
import { MaintenanceWindow } from './rollout-schedule.type.js';
import { Operation, OperationPolicy, OperationStats } from './upgrade-tasks.type.js';
import { DateTimeScalar } from './scalars.js';
import { UpgradePackage } from './packages.type.js';

@ObjectType({ description: "One wave of a rollout: its devices, in platform tasks of at most 256 devices each." })
export class RolloutWave {
  @Field(() => Int, { description: 'from 0' }) index!: number;
  @Field(() => Int) size!: number;
  @Field(() => WaveState) state!: WaveState;
  @Field(() => DateTimeScalar, { nullable: true }) startedAt?: string;
  @Field(() => DateTimeScalar, { nullable: true, description: "when the wave's tasks had all ended" }) finishedAt?: string;
  @Field(() => DateTimeScalar, { nullable: true, description: "when the soak after this wave ends, on the platform's clock" }) soakUntil?: string;
  @Field(() => [ID]) deviceIds!: string[];
  @Field(() => [Operation], { description: 'the platform tasks created so far for this wave' }) operations!: Operation[];
  @Field(() => OperationStats, { description: "over the wave's tasks' subtasks (a device its window's end cut counts once: in the task that continues it)" }) stats!: OperationStats;
  @Field(() => Int, { description: "devices a maintenance window's end cut, each taken again by a new task in the next window" }) windowCuts!: number;
}

@ObjectType()
export class FailureThreshold {
  @Field(() => Float) percent!: number;
  @Field(() => Int) minFinished!: number;
}

@ObjectType({ description: "Where a rollout stands against its failure threshold, over all its waves: what the threshold judges, and from when it judges." })
export class ThresholdStanding {
  @Field(() => Int, { description: 'devices failed or timed out (since the rollout was last resumed, when sinceResume)' }) failed!: number;
  @Field(() => Int, { description: 'devices whose upgrade has ended (counted likewise)' }) finished!: number;
  @Field(() => Int, { description: 'the threshold judges once this many devices have finished: its minFinished' }) appliesAt!: number;
  @Field(() => Boolean, { description: 'finished has reached appliesAt: the rollout halts once failed / finished reaches the percent' }) applies!: boolean;
  @Field(() => Boolean, { description: 'the figures count from the last resume of a halted rollout: earlier failures no longer count' }) sinceResume!: boolean;
}

@ObjectType({ description: 'A package brought to many devices in waves, halted when too many fail.' })
export class Rollout {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => OperationType) type!: OperationType;
  @Field(() => RolloutState) state!: RolloutState;
  @Field(() => String, { nullable: true, description: 'why the rollout halted, with the figures' }) haltReason?: string | null;
  @Field(() => ID, { description: 'the package (fileId)' }) fileId!: string;
  @Field(() => UpgradePackage, { nullable: true }) package?: UpgradePackage | null;
  @Field(() => String, { nullable: true, description: "the package's version" }) targetVersion?: string | null;
  @Field(() => DateTimeScalar) createdAt!: string;
  @Field(() => DateTimeScalar) updatedAt!: string;
  @Field(() => Int, { description: 'target devices' }) total!: number;
  @Field(() => OperationStats, { description: "over all waves' subtasks" }) stats!: OperationStats;
  @Field(() => [RolloutWave]) waves!: RolloutWave[];
  @Field(() => Int) soakMinutes!: number;
  @Field(() => FailureThreshold, { nullable: true }) failureThreshold?: FailureThreshold | null;
  @Field(() => ThresholdStanding, { nullable: true, description: 'where the rollout stands against failureThreshold (null without one)' }) thresholdStanding?: ThresholdStanding | null;
  @Field(() => OperationPolicy) policy!: OperationPolicy;
  @Field(() => Operation, { nullable: true, description: 'retryFailedDevices: the task whose devices this rollout retries' }) sourceOperation?: Operation | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'nothing starts before it' }) startAt?: string;
  @Field(() => [MaintenanceWindow]) maintenanceWindows!: MaintenanceWindow[];
  @Field(() => DateTimeScalar, { nullable: true, description: "the next window's opening on the platform's clock (the start, with startAt alone)" }) nextWindowAt?: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'inside a window: when it closes (a task gets a CUSTOM window to then)' }) windowClosesAt?: string;
  @Field(() => ScheduleWait, { nullable: true, description: 'why a RUNNING rollout with work left waits (null: it does not)' }) waitingFor?: ScheduleWait | null;
  @Field(() => String, { nullable: true, description: 'waitingFor, said with its time' }) waitReason?: string | null;
}

@ObjectType()
export class RolloutConnection extends Connection(Rollout, 'Rollout') {}

@ArgsType()
export class RolloutsArgs extends ConnectionArgs {
  @Field(() => RolloutState, { nullable: true }) state?: RolloutState;
}

@ObjectType()
export class CreateRolloutPayload {
  @Field(() => ID) rolloutId!: string;
}
