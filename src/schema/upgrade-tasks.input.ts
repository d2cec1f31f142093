import { IsOptional, Length, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ExecuteType } from './enums.js';
import { GroupNames, Rule, isGiven, MaxItems, MaxText, PlatformId } from './rules.js';
import { DateTimeScalar } from './scalars.js';

/** The platform's limits (firmwareUpgrade / softwareUpgrade). */
export const MAX_TARGETS = 256;
const MAX_TEXT = 256;
const MIN_WINDOW_MS = 5 * 60_000;
/** A start this close to now is not "in the past": the request takes a moment to reach the platform. */
const CLOCK_TOLERANCE_MS = 60_000;

/** Whole seconds, as the platform reads its compact times (yyyyMMddTHHmmssZ). */
const time = (value: unknown) => Math.floor((value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN) / 1000) * 1000;

@InputType({ description: 'Exactly one of deviceIds / deviceGroups (each 1..256); groups need deviceType, model and manufacturerName.' })
export class OperationTargetsInput {
  @Field(() => [ID], { nullable: true })
  @MaxItems(MAX_TARGETS, '123024', 'devices')
  @PlatformId('120015')
  @Rule<OperationTargetsInput>('targetsGiven', '123022', 'give deviceIds or deviceGroups', (_, t) => isGiven(t.deviceIds) || isGiven(t.deviceGroups))
  @Rule<OperationTargetsInput>('notBothTargets', '123023', 'give deviceIds or deviceGroups, not both', (_, t) => !(isGiven(t.deviceIds) && isGiven(t.deviceGroups)))
  deviceIds?: string[];

  @Field(() => [String], { nullable: true, description: 'Device group names.' })
  @MaxItems(MAX_TARGETS, '123024', 'device groups')
  @MaxText(MAX_TEXT, '120015', 'a group name')
  @GroupNames(undefined)
  deviceGroups?: string[];

  @Field(() => String, { nullable: true })
  @MaxText(MAX_TEXT, '120015', 'deviceType')
  @Rule<OperationTargetsInput>('requiredWithGroups', '123020', 'deviceType is required with deviceGroups', (v, t) => !isGiven(t.deviceGroups) || isGiven(v))
  deviceType?: string;

  @Field(() => String, { nullable: true })
  @MaxText(MAX_TEXT, '120015', 'model')
  @Rule<OperationTargetsInput>('requiredWithGroups', '123021', 'model is required with deviceGroups', (v, t) => !isGiven(t.deviceGroups) || isGiven(v))
  model?: string;

  @Field(() => String, { nullable: true })
  @MaxText(MAX_TEXT, '120015', 'manufacturerName')
  @Rule<OperationTargetsInput>('requiredWithGroups', '123019', 'manufacturerName is required with deviceGroups', (v, t) => !isGiven(t.deviceGroups) || isGiven(v))
  manufacturerName?: string;
}

@InputType({ description: 'When the upgrade runs. CUSTOM needs a window that starts now or later and lasts more than 5 minutes.' })
export class OperationPolicyInput {
  @Field(() => ExecuteType, { defaultValue: ExecuteType.NOW })
  executeType: ExecuteType = ExecuteType.NOW;

  @Field(() => DateTimeScalar, { nullable: true })
  @Rule<OperationPolicyInput>('requiredForCustom', '123026', 'startTime is required with executeType CUSTOM', (v, p) => p.executeType !== ExecuteType.CUSTOM || isGiven(v))
  @Rule<OperationPolicyInput>('notAfterEnd', '123032', 'startTime must not be later than endTime', (v, p) => !(time(v) > time(p.endTime)))
  @Rule<OperationPolicyInput>('notInPast', '123033', 'startTime must not be in the past', (v, p) =>
    p.executeType !== ExecuteType.CUSTOM || !(time(v) < Date.now() - CLOCK_TOLERANCE_MS),
  )
  startTime?: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Rule<OperationPolicyInput>('requiredForCustom', '123026', 'endTime is required with executeType CUSTOM', (v, p) => p.executeType !== ExecuteType.CUSTOM || isGiven(v))
  @Rule<OperationPolicyInput>('windowLongerThan5Minutes', '123034', 'endTime must be more than 5 minutes after startTime', (v, p) =>
    !(time(v) - time(p.startTime) <= MIN_WINDOW_MS),
  )
  endTime?: Date;

  @Field(() => Boolean, { defaultValue: false, description: 'Run failed subtasks again (retryTimes times).' })
  retry = false;

  @Field(() => Int, { nullable: true, description: '1..5; required with retry.' })
  @Rule<OperationPolicyInput>('requiredWithRetry', '123028', 'retryTimes is required with retry', (v, p) => !p.retry || isGiven(v))
  @Rule('range1to5', '123028', 'retryTimes is from 1 to 5', (v) => v === undefined || v === null || (typeof v === 'number' && v >= 1 && v <= 5))
  retryTimes?: number;
}

@InputType()
export class CreateUpgradeTaskInput {
  @Field(() => ID, { description: 'The package to install (fileId).' })
  @PlatformId('120015')
  fileId!: string;

  @Field(() => OperationTargetsInput)
  @ValidateNested()
  targets!: OperationTargetsInput;

  @Field(() => OperationPolicyInput, { nullable: true, description: 'Defaults to executeType NOW, no retry.' })
  @IsOptional()
  @ValidateNested()
  policy?: OperationPolicyInput;

  @Field(() => String, { nullable: true, description: 'The same key with the same input within 24 h returns the first result and creates nothing.' })
  @IsOptional()
  @Length(1, 128)
  idempotencyKey?: string;
}

@ObjectType()
export class CreateUpgradeTaskPayload {
  @Field(() => ID)
  operationId!: string;

}
