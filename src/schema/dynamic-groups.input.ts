import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { DeviceFilter } from './devices.type.js';
import { PlatformId } from './rules.js';

@InputType({ description: 'A name (1 to 128 characters, no leading or trailing spaces, unique regardless of case) and the filter to save.' })
export class CreateDynamicGroupInput {
  @Field(() => String) name!: string;
  @Field(() => DeviceFilter) filter!: DeviceFilter;
}

@ArgsType()
export class RenameDynamicGroupArgs {
  @Field(() => ID)
  @PlatformId(undefined)
  id!: string;

  @Field(() => String) name!: string;
}
