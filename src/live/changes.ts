/**
 * The mirror's change events as the async iterables GraphQL subscriptions read: one listener per subscription,
 * removed when the client unsubscribes or disconnects. Every subscriber of one task shares what the mirror learns
 * once (a notification, or its one poll of the task when push is off): subscribers cost no platform call.
 */
import { on } from 'node:events';
import type { Mirror, MirrorEvents } from '../mirror/mirror.js';

export async function* changes<K extends keyof MirrorEvents>(mirror: Mirror, event: K, keep: (value: MirrorEvents[K][0]) => boolean): AsyncGenerator<MirrorEvents[K][0]> {
  const stop = new AbortController();
  try {
    for await (const [value] of on(mirror.events, event, { signal: stop.signal }) as AsyncIterable<MirrorEvents[K]>) {
      if (keep(value)) yield value;
    }
  } finally {
    stop.abort();
  }
}
