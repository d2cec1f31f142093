/**
 * Change events (the mirror's, the rollouts') as the async iterables GraphQL subscriptions read: one listener per
 * subscription, removed when the client unsubscribes or disconnects. Every subscriber of one task shares what the
 * mirror learns once (a notification, or its one poll of the task when push is off): subscribers cost no platform call.
 */
import { on, type EventEmitter } from 'node:events';

export async function* changes<E extends Record<keyof E, unknown[]>, K extends keyof E & string>(source: { events: EventEmitter<E> }, event: K, keep: (value: E[K][0]) => boolean): AsyncGenerator<E[K][0]> {
  const stop = new AbortController();
  try {
    for await (const [value] of on(source.events as EventEmitter, event, { signal: stop.signal }) as AsyncIterable<E[K]>) {
      if (keep(value as E[K][0])) yield value as E[K][0];
    }
  } finally {
    stop.abort();
  }
}
