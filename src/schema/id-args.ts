import { ArgsType, Field, ID } from 'type-graphql';
import { PlatformId } from './rules.js';

/** The argument of a lookup by id; a malformed id is BAD_USER_INPUT before any platform call, an unknown one null. */
@ArgsType()
export class IdArgs {
  @Field(() => ID)
  @PlatformId(undefined)
  id!: string;
}
