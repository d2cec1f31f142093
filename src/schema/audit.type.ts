import { IsOptional, Length, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection, ConnectionArgs } from './connection.js';
import { ApiRole, AuditOutcome, RolloutEvent } from './enums.js';
import { DateTimeScalar } from './scalars.js';

@ObjectType({ description: 'One mutation call, recorded once it was answered (kept GATEWAY_AUDIT_DAYS days).' })
export class AuditRecord {
  @Field(() => ID) id!: string;
  @Field(() => DateTimeScalar, { description: 'when the call came' }) at!: string;
  @Field(() => String, { description: "the API key's name (key- and 8 hex digits of its SHA-256, or anonymous); never the key" }) client!: string;
  @Field(() => ApiRole) role!: ApiRole;
  @Field(() => String, { description: 'the mutation field called, such as pauseRollout' }) operation!: string;
  @Field(() => String, { description: "SHA-256 (hex) of the call's arguments as canonical JSON: equal inputs, equal digests" }) inputDigest!: string;
  @Field(() => [ID], { description: 'the ids it named or made: rollout, upgrade task (operationId), batch task' }) targetIds!: string[];
  @Field(() => AuditOutcome) outcome!: AuditOutcome;
  @Field(() => String, { nullable: true, description: "the error's extensions.code, when the outcome is ERROR" }) errorCode?: string | null;
  @Field(() => Boolean, { description: "an idempotent replay: answered with an earlier call's result, nothing done again" }) replayed!: boolean;
  @Field(() => String, { nullable: true, description: "the request's id (x-request-id, the request log line); null for the rollout orchestrator's own changes" }) requestId?: string | null;
}

@ObjectType()
export class AuditRecordConnection extends Connection(AuditRecord, 'AuditRecord') {}

@InputType({ description: 'Every condition given must hold.' })
export class AuditLogFilter {
  @Field(() => String, { nullable: true, description: 'the mutation field, such as createRollout' })
  @IsOptional()
  @Length(1, 128)
  operation?: string;

  @Field(() => String, { nullable: true, description: "an API key's name, as viewer { client } shows it" })
  @IsOptional()
  @Length(1, 128)
  client?: string;

  @Field(() => AuditOutcome, { nullable: true }) outcome?: AuditOutcome;
  @Field(() => DateTimeScalar, { nullable: true, description: 'at or after this time' }) since?: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: 'before this time' }) until?: Date;

  @Field(() => ID, { nullable: true, description: 'calls that named or made this id' })
  @IsOptional()
  @Length(1, 256)
  targetId?: string;
}

@ArgsType()
export class AuditLogArgs extends ConnectionArgs {
  @Field(() => AuditLogFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: AuditLogFilter;
}

@ObjectType({ description: "One step of a rollout's history, oldest first." })
export class RolloutHistoryEntry {
  @Field(() => DateTimeScalar) at!: string;
  @Field(() => RolloutEvent) event!: RolloutEvent;
  @Field(() => Int, { nullable: true, description: 'the wave that moved (WAVE_STARTED, WAVE_FINISHED)' }) waveIndex?: number | null;
  @Field(() => AuditRecord, { nullable: true, description: 'the command (COMMAND)' }) record?: AuditRecord | null;
}
