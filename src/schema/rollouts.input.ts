import { IsOptional, Length, ValidateNested } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int } from 'type-graphql';
import { OperationType, SubtaskStatus } from './enums.js';
import { DeviceFilter } from './devices.type.js';
import { MaxText, PlatformId } from './rules.js';
import { OperationPolicyInput } from './upgrade-tasks.input.js';
import { DateTimeScalar } from './scalars.js';
import { MaintenanceWindowInput } from './rollout-schedule.type.js';

@InputType({ description: 'Exactly one: a device list, a filter, or a dynamic group, resolved over the mirror when the rollout is created (the list is then fixed, unless the rollout is continuous).' })
export class RolloutTargetsInput {
  @Field(() => [ID], { nullable: true })
  @PlatformId('120015')
  deviceIds?: string[];

  @Field(() => DeviceFilter, { nullable: true })
  filter?: DeviceFilter;

  @Field(() => ID, { nullable: true, description: "a dynamic group's id: its filter, as it stands when the rollout is created" })
  @PlatformId(undefined)
  dynamicGroupId?: string;
}

@InputType({ description: 'Exactly one: count devices, or percent of all targets (rounded up); the last wave takes whatever remains.' })
export class RolloutWaveInput {
  @Field(() => Int, { nullable: true }) count?: number;
  @Field(() => Float, { nullable: true }) percent?: number;
}

@InputType({ description: 'Halt when (fail + timeout) / finished reaches percent, once minFinished devices have finished.' })
export class FailureThresholdInput {
  @Field(() => Float) percent!: number;
  @Field(() => Int, { defaultValue: 1 }) minFinished: number = 1;
}

@InputType()
export class CreateRolloutInput {
  @Field(() => OperationType, { defaultValue: OperationType.FIRMWARE_UPGRADE }) type: OperationType = OperationType.FIRMWARE_UPGRADE;

  @Field(() => ID, { description: 'The package to install (fileId); it must fit every target device (deviceType, model, manufacturer).' })
  @PlatformId('120015')
  fileId!: string;

  @Field(() => String, { nullable: true })
  @MaxText(256, undefined, 'name')
  name?: string;

  @Field(() => RolloutTargetsInput) targets!: RolloutTargetsInput;

  @Field(() => [RolloutWaveInput]) waves!: RolloutWaveInput[];

  @Field(() => Int, { defaultValue: 0, description: 'Minutes to wait after a wave has finished before the next one starts.' }) soakMinutes: number = 0;

  @Field(() => Boolean, {
    defaultValue: false,
    description: 'With targets.dynamicGroupId: devices that come to match the group later are taken in new waves (the same wave rules and threshold), each once, until stopRollout or cancelRollout.',
  })
  continuous: boolean = false;

  @Field(() => FailureThresholdInput, { nullable: true }) failureThreshold?: FailureThresholdInput;

  @Field(() => OperationPolicyInput, { nullable: true, description: "Each wave's tasks' policy; defaults to executeType NOW, no retry." })
  @IsOptional()
  @ValidateNested()
  policy?: OperationPolicyInput;

  @Field(() => DateTimeScalar, { nullable: true, description: "Nothing starts before it (on the platform's clock)." }) startAt?: Date;

  @Field(() => [MaintenanceWindowInput], { nullable: true, description: "Waves start only inside one; each task gets a CUSTOM window to the window's end, and a wave the end cuts continues in the next." })
  maintenanceWindows?: MaintenanceWindowInput[];

  @Field(() => String, { nullable: true, description: 'The same key with the same input within 24 h returns the first rollout and creates nothing.' })
  @IsOptional()
  @Length(1, 128)
  idempotencyKey?: string;
}

@ArgsType()
export class RetryFailedDevicesArgs {
  @Field(() => ID)
  @PlatformId(undefined)
  operationId!: string;

  @Field(() => [SubtaskStatus], { defaultValue: [SubtaskStatus.FAILED, SubtaskStatus.TIMEOUT] })
  statuses!: SubtaskStatus[];

  @Field(() => OperationPolicyInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  policy?: OperationPolicyInput;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  idempotencyKey?: string;
}
