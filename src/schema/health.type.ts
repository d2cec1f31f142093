import { Field, Int, ObjectType } from 'type-graphql';
import { MirrorState } from './enums.js';
import { DateTimeScalar } from './scalars.js';
import type * as domain from '../domain/health.js';

// Every field names its GraphQL type explicitly, so the schema does not depend on emitted decorator metadata.
@ObjectType({ description: 'The calls one client has counted in the window of the call budget.' })
export class ClientCalls implements domain.ClientCalls {
  @Field(() => String, { description: "as viewer.client names it (anonymous, key-<8 hex digits>), or the gateway's own: mirror, rollouts, gateway (its own probes), ~reserve:<replica> (slots a replica keeps leased for a store outage)" }) client!: string;
  @Field(() => Int) used!: number;
}

@ObjectType({ description: "The application's call budget (NORTHBOUND_RATE_LIMIT) as it stands: read from the gateway's ledger, no platform call." })
export class CallBudget implements domain.BudgetStatus {
  @Field(() => Int, { description: "calls counted in the current window, every client's (and, with replicas, every replica's)" }) used!: number;
  @Field(() => Int, { description: 'the most calls the window may hold' }) limit!: number;
  @Field(() => Int, { description: 'the sliding window the limit applies to' }) windowSeconds!: number;
  @Field(() => Int, {
    description: "in how many seconds the window's oldest call leaves it, freeing a slot (0 when it holds none); the gateway keeps each call a second past windowSeconds, as the platform counts it on arrival",
  })
  resetsInSeconds!: number;
  @Field(() => [ClientCalls], { description: "most calls first; a read key sees its own line alone, an operate key every client's; the caller's own line is always there (0 before its first call of the window)" }) byClient!: ClientCalls[];
}

@ObjectType({ description: "The gateway's view of its platform connection, checked (one platform call) when a field of the check is asked for: loginOk, error, upstreamCode, budgetExhausted, budgetRetryAfterSeconds or checkedAt." })
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

  @Field(() => CallBudget, {
    nullable: true,
    description: 'The call budget as it stands. Costs no platform call, nor does the platform check run for it: a query of budget alone asks the platform nothing.',
  })
  budget?: CallBudget | null;
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
