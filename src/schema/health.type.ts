import { Field, Int, ObjectType } from 'type-graphql';
import { MirrorState } from './enums.js';
import { DateTimeScalar } from './scalars.js';
import type * as domain from '../domain/health.js';

// Every field names its GraphQL type explicitly, so the schema does not depend on emitted decorator metadata.
@ObjectType({ description: "The gateway's view of its platform connection, checked when queried." })
export class Health implements domain.PlatformHealth {
  @Field(() => String, { description: 'Base URL of the northbound API the gateway talks to.' })
  platformUrl!: string;

  @Field(() => Boolean, { description: 'True when the platform is the emulator embedded in this gateway.' })
  emulator!: boolean;

  @Field(() => Boolean, {
    description: 'True when the gateway holds a token (reused or from a fresh login) that the platform accepted on an authenticated call.',
  })
  loginOk!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'When loginOk is false: the error code of the failure, as in extensions.code (e.g. UPSTREAM_AUTH_FAILED).',
  })
  error?: string;

  @Field(() => String, {
    nullable: true,
    description: "When loginOk is false: the platform's error_code (e.g. 100208), or the transport failure (e.g. ECONNREFUSED).",
  })
  upstreamCode?: string;

  @Field(() => Boolean, {
    description:
      "True when the application's call budget had no slot for this check before the request's deadline: the platform was not asked, and loginOk says only whether the gateway holds a token it believes valid.",
  })
  budgetExhausted!: boolean;

  @Field(() => Int, { nullable: true, description: 'When budgetExhausted: in how many seconds the budget expects a free slot.' })
  budgetRetryAfterSeconds?: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When this check ran.' })
  checkedAt?: Date;
}

@ObjectType()
export class NotificationStatus implements domain.NotificationStatus {
  @Field(() => [String], { description: 'the notification types the gateway is subscribed to' }) subscribed!: string[];
  @Field(() => Int, { description: 'notifications taken since this process started (kept in the journal, answered 200)' }) received!: number;
  @Field(() => Int, { description: 'malformed or forged notifications refused' }) rejected!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastReceivedAt?: string;
  @Field(() => Int, {
    description:
      'notifications taken (kept in the journal, answered 200) and not applied to the mirror yet: above 0 while the store cannot take them, back to 0 within seconds of its return',
  })
  pending!: number;
  @Field(() => DateTimeScalar, { nullable: true, description: 'when the oldest pending notification was received' }) oldestPendingAt?: string;
}

@ObjectType({ description: 'The fleet mirror: what the gateway keeps of the platform, and how fresh it is.' })
export class MirrorStatus implements domain.MirrorStatus {
  @Field(() => MirrorState) state!: MirrorState;
  @Field(() => Int) devices!: number;
  @Field(() => Int) operations!: number;
  @Field(() => Int) subtasks!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastFullSyncAt?: string;
  @Field(() => DateTimeScalar, { nullable: true }) nextFullSyncAt?: string;
  @Field(() => Number, { description: 'the share of the call budget that background sync may use while clients wait' }) budgetShare!: number;
  @Field(() => NotificationStatus) notifications!: NotificationStatus;
}
