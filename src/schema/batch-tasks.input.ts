import { IsOptional, IsUrl, Length, Max, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { BatchTargetType } from './enums.js';
import { MAX_GROUP_ID_LENGTH } from '../domain/ids.js';
import { GroupNames, MaxItems, MaxText, PlatformId, Rule, isGiven, platformCode } from './rules.js';
import { JSONObjectScalar } from './scalars.js';

/** The platform's code for any invalid batch-task input. */
const INVALID = '100022';

const needs = (type: BatchTargetType, field: string) =>
  Rule<BatchTargetInput>(`requiredFor${type}`, INVALID, `${field} is required with type ${type}`, (v, t) => t.type !== type || isGiven(v));

@InputType({ description: 'The devices to address; the field the type names is required.' })
export class BatchTargetInput {
  @Field(() => BatchTargetType)
  type!: BatchTargetType;

  @Field(() => [ID], { nullable: true, description: 'DEVICE_LIST: the device ids.' })
  @needs(BatchTargetType.DEVICE_LIST, 'deviceIds')
  @MaxItems(10_000, INVALID, 'devices')
  @PlatformId(INVALID)
  deviceIds?: string[];

  @Field(() => String, { nullable: true, description: 'DEVICE_TYPE: the device type (with manufacturerId and model to narrow it).' })
  @needs(BatchTargetType.DEVICE_TYPE, 'deviceType')
  @MaxText(256, INVALID, 'deviceType')
  deviceType?: string;

  @Field(() => String, { nullable: true })
  @MaxText(256, INVALID, 'manufacturerId')
  manufacturerId?: string;

  @Field(() => String, { nullable: true })
  @MaxText(256, INVALID, 'model')
  model?: string;

  @Field(() => String, { nullable: true, description: 'DEVICE_AREA: the location.' })
  @needs(BatchTargetType.DEVICE_AREA, 'location')
  @MaxText(2048, INVALID, 'location')
  location?: string;

  @Field(() => [String], { nullable: true, description: 'GROUP_LIST: group names; GROUP_ID_LIST: group ids.' })
  @needs(BatchTargetType.GROUP_LIST, 'groups')
  @needs(BatchTargetType.GROUP_ID_LIST, 'groups')
  @MaxText(256, INVALID, 'a group')
  @GroupNames<BatchTargetInput>(INVALID, (t) => t.type === BatchTargetType.GROUP_LIST)
  @Rule<BatchTargetInput>('groupId', INVALID, `a device group id has at most ${MAX_GROUP_ID_LENGTH} characters`, (v, t) =>
    t.type !== BatchTargetType.GROUP_ID_LIST || !Array.isArray(v) || v.every((id) => typeof id === 'string' && id.length <= MAX_GROUP_ID_LENGTH),
  )
  groups?: string[];
}

@InputType({ description: 'The command each device receives.' })
export class DeviceCommandInput {
  @Field(() => String)
  @Length(1, 64, platformCode(INVALID, 'serviceId has 1 to 64 characters'))
  serviceId!: string;

  @Field(() => String)
  @Length(1, 128, platformCode(INVALID, 'method has 1 to 128 characters'))
  method!: string;

  @Field(() => JSONObjectScalar, { nullable: true })
  paras?: Record<string, unknown>;
}

@InputType()
export class TagInput {
  @Field(() => String)
  @Length(1, 256, platformCode(INVALID))
  name!: string;

  @Field(() => String)
  @Length(0, 256, platformCode(INVALID))
  value!: string;
}

@InputType()
export class CreateBatchTaskInput {
  @Field(() => String)
  @Length(1, 256, platformCode(INVALID, 'name has 1 to 256 characters'))
  name!: string;

  @Field(() => String, { defaultValue: 'DeviceCmd', description: 'The platform documents one task type for this API: DeviceCmd.' })
  @Rule('supportedType', INVALID, 'type must be DeviceCmd', (v) => v === 'DeviceCmd')
  type = 'DeviceCmd';

  @Field(() => Int, { description: 'Minutes, 10 to 2880 (BatchTask.timeout reads back in minutes too).' })
  @Min(10, platformCode(INVALID, 'timeout is at least 10 minutes'))
  @Max(2880, platformCode(INVALID, 'timeout is at most 2880 minutes'))
  timeout!: number;

  @Field(() => BatchTargetInput)
  @ValidateNested()
  target!: BatchTargetInput;

  @Field(() => DeviceCommandInput)
  @ValidateNested()
  command!: DeviceCommandInput;

  @Field(() => String, { nullable: true, description: 'Where the platform pushes each command result.' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, platformCode(INVALID, 'callbackUrl must be an http(s) URL'))
  callbackUrl?: string;

  @Field(() => [TagInput], { nullable: true })
  @IsOptional()
  @ValidateNested()
  tags?: TagInput[];

  @Field(() => String, { nullable: true, description: 'The same key with the same input within 24 h returns the first result and creates nothing.' })
  @IsOptional()
  @Length(1, 128)
  idempotencyKey?: string;
}

@ObjectType()
export class CreateBatchTaskPayload {
  @Field(() => ID)
  taskId!: string;
}
