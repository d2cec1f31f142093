/**
 * Change events (the mirror's, the rollouts') as the async iterables GraphQL subscriptions read: one listener per
 * subscription, removed when the client unsubscribes or disconnects. Every subscriber of one task shares what the
 * mirror learns once (a notification, or its one poll of the task when push is off): subscribers cost no platform call.
 *
 * Written as an iterator rather than an async generator: a generator waiting for its next event cannot be ended until
 * one comes (its `return()` waits in line), so a subscription completed or dropped meanwhile would hold its listener
 * and its connection's operation slot until a matching event arrived.
 */
import type { EventEmitter } from 'node:events';

let listening = 0;

/** Change listeners held now in this process, one per open stream: 0 once every subscription is released. */
export function changeListeners(): number {
  return listening;
}

export function changes<E extends Record<keyof E, unknown[]>, K extends keyof E & string>(
  source: { events: EventEmitter<E> },
  event: K,
  keep: (value: E[K][0]) => boolean,
): AsyncGenerator<E[K][0]> {
  type Value = E[K][0];
  const emitter = source.events as unknown as EventEmitter;
  const queued: Value[] = [];
  const waiting: ((result: IteratorResult<Value>) => void)[] = [];
  let ended = false;
  const listener = (value: Value) => {
    if (!keep(value)) return;
    const reader = waiting.shift();
    if (reader) reader({ done: false, value });
    else queued.push(value);
  };
  const end = (): Promise<IteratorResult<Value>> => {
    if (!ended) {
      ended = true;
      emitter.off(event, listener);
      listening -= 1;
      queued.length = 0;
      for (const reader of waiting.splice(0)) reader({ done: true, value: undefined });
    }
    return Promise.resolve({ done: true, value: undefined });
  };
  emitter.on(event, listener);
  listening += 1;
  const iterator: AsyncGenerator<Value> = {
    next: () => {
      if (queued.length > 0) return Promise.resolve({ done: false, value: queued.shift() as Value });
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: end,
    throw: (error: unknown) => end().then(() => Promise.reject(error)),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** The updates while the subscriber reads them; when they end or it stops reading, `stop` gives up their interest. */
export function watching<T>(stop: () => void, updates: AsyncGenerator<T>): AsyncGenerator<T> {
  let stopped = false;
  const release = () => {
    if (stopped) return;
    stopped = true;
    stop();
  };
  const iterator: AsyncGenerator<T> = {
    next: () =>
      updates.next().then((result) => {
        if (result.done) release();
        return result;
      }),
    return: (value?: unknown) => {
      release();
      return updates.return(value as T);
    },
    throw: (error: unknown) => {
      release();
      return updates.throw(error);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
