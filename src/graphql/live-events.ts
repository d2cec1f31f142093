/**
 * The work of subscriptions, bounded. Each change event re-executes its subscribers' selections; left alone, one key's
 * many costly subscriptions would make one event into hundreds of executions at once, holding every store connection
 * while other clients' requests time out. So:
 * - a key's live subscriptions may cost at most GATEWAY_MAX_LIVE_COST_PER_KEY in all (estimated as the cost limit
 *   estimates a query), so one event's work for one key is bounded;
 * - subscribers with the same document, variables, operation and caller share one execution per event;
 * - executions of events wait their turn, a few at once in all, taken from the keys' queues in turn: a key with a
 *   thousand queued executions delays another key's next one by at most one turn.
 */
import type { ExecutionResult } from 'graphql';
import type { Caller } from './auth.js';

/** Event executions at once in the process: well under the PostgreSQL pool (10), which requests need too. */
export const CONCURRENT_EVENT_EXECUTIONS = 4;

/** The transports that serve subscriptions. */
export type LiveTransport = 'websocket' | 'sse';

export interface LiveSubscription {
  transport: LiveTransport;
  caller: Caller;
  /** The document's text, operation name and variables: subscribers equal in all of them and the caller share. */
  shape: string;
  cost: number;
}

export interface LiveStats {
  /** Subscriptions open now, by transport. */
  subscriptions: Record<LiveTransport, number>;
  /** Event executions run (one per distinct subscriber shape per event). */
  executions: number;
  /** Events answered with another subscriber's execution. */
  shared: number;
  /** Event executions waiting for their turn. */
  queued: number;
}

export class LiveEvents {
  readonly #maxCostPerKey: number;
  readonly #costs = new Map<string, number>();
  readonly #scheduler = new FairScheduler(CONCURRENT_EVENT_EXECUTIONS);
  /** Per event (an object, emitted once to every listener), the executions made of it by shape. */
  readonly #executions = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  readonly #subscriptions: Record<LiveTransport, number> = { websocket: 0, sse: 0 };
  #executed = 0;
  #shared = 0;

  constructor(maxCostPerKey: number) {
    this.#maxCostPerKey = maxCostPerKey;
  }

  get stats(): LiveStats {
    return { subscriptions: { ...this.#subscriptions }, executions: this.#executed, shared: this.#shared, queued: this.#scheduler.queued };
  }

  /** Counts a subscription in its key's cost; undefined (and nothing counted) when the key has no room for it. */
  open({ transport, caller, cost }: LiveSubscription): (() => void) | undefined {
    const spent = this.#costs.get(caller.client) ?? 0;
    if (spent + cost > this.#maxCostPerKey) return undefined;
    this.#costs.set(caller.client, spent + cost);
    this.#subscriptions[transport] += 1;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.#subscriptions[transport] -= 1;
      const left = (this.#costs.get(caller.client) ?? 0) - cost;
      if (left > 0) this.#costs.set(caller.client, left);
      else this.#costs.delete(caller.client);
    };
  }

  /** What a key may spend on live subscriptions, and what it spends now. */
  budgetOf(caller: Caller): { max: number; spent: number } {
    return { max: this.#maxCostPerKey, spent: this.#costs.get(caller.client) ?? 0 };
  }

  /** The subscription's answer to one event: shared with its equals, executed in the caller's turn. */
  answer(subscription: LiveSubscription, event: unknown, execute: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
    const run = () => this.#scheduler.run(subscription.caller.client, () => ((this.#executed += 1), execute()));
    if (typeof event !== 'object' || event === null) return run();
    let byShape = this.#executions.get(event);
    if (!byShape) this.#executions.set(event, (byShape = new Map()));
    const key = `${subscription.caller.client}\0${subscription.caller.role}\0${subscription.shape}`;
    const earlier = byShape.get(key);
    if (earlier) {
      this.#shared += 1;
      return earlier;
    }
    const answer = run();
    byShape.set(key, answer);
    return answer;
  }
}

interface ClientQueue {
  waiting: (() => void)[];
  running: number;
  /** The turn at which one of its tasks last started (0: never, or not since it was last idle). */
  lastServed: number;
}

/** Runs tasks a few at once; the next to start is the oldest task of the client served least recently. */
export class FairScheduler {
  readonly #concurrency: number;
  /** Clients with tasks waiting or running; forgotten when they have neither. */
  readonly #clients = new Map<string, ClientQueue>();
  #running = 0;
  #queued = 0;
  #turns = 0;

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  get queued(): number {
    return this.#queued;
  }

  run<T>(client: string, task: () => Promise<T>): Promise<T> {
    let state = this.#clients.get(client);
    if (!state) this.#clients.set(client, (state = { waiting: [], running: 0, lastServed: 0 }));
    const own = state;
    return new Promise<T>((resolve, reject) => {
      own.waiting.push(() => {
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            this.#running -= 1;
            own.running -= 1;
            if (own.running === 0 && own.waiting.length === 0) this.#clients.delete(client);
            this.#next();
          });
      });
      this.#queued += 1;
      this.#next();
    });
  }

  #next(): void {
    while (this.#running < this.#concurrency) {
      let next: ClientQueue | undefined;
      for (const state of this.#clients.values()) {
        if (state.waiting.length > 0 && (!next || state.lastServed < next.lastServed)) next = state;
      }
      if (!next) return;
      next.lastServed = ++this.#turns;
      next.running += 1;
      this.#running += 1;
      this.#queued -= 1;
      (next.waiting.shift() as () => void)();
    }
  }
}
