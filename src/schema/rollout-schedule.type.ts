import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { Weekday } from './enums.js';

@ObjectType({ description: 'A recurring window: on these days at this local time in this IANA zone, for this many real minutes.' })
export class MaintenanceWindow {
  @Field(() => [Weekday]) days!: Weekday[];
  @Field(() => String, { description: 'local time it opens, "HH:MM" (24 h); a time skipped by a DST change opens as long after the gap' }) start!: string;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => String, { description: 'IANA time zone, e.g. "Europe/Berlin" or "UTC"' }) timeZone!: string;
}

@InputType({ description: 'Waves start only inside a window; windows that overlap are joined. Checked in full: BAD_USER_INPUT names each field.' })
export class MaintenanceWindowInput {
  @Field(() => [Weekday]) days!: Weekday[];
  @Field(() => String, { description: '"HH:MM", 00:00 to 23:59, local to timeZone' }) start!: string;
  @Field(() => Int, { description: '10 to 10080 (a week)' }) durationMinutes!: number;
  @Field(() => String, { description: 'IANA time zone name' }) timeZone!: string;
}
