// A subscription's stream of change events ends the moment its reader stops: a read still waiting for an event is
// answered "done", the listener is gone at once, and the interest it was read for is given up once.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { changes, watching } from '../../src/services/changes.js';

const source = () => ({ events: new EventEmitter<{ change: [{ id: string }] }>() });

describe('changes', () => {
  it('hands over the kept events in order, those sent before a read included', async () => {
    const s = source();
    const stream = changes(s, 'change', (c) => c.id !== 'skip');
    s.events.emit('change', { id: 'a' });
    s.events.emit('change', { id: 'skip' });
    s.events.emit('change', { id: 'b' });
    expect(await stream.next()).toEqual({ done: false, value: { id: 'a' } });
    expect(await stream.next()).toEqual({ done: false, value: { id: 'b' } });
    const waiting = stream.next();
    s.events.emit('change', { id: 'c' });
    expect(await waiting).toEqual({ done: false, value: { id: 'c' } });
  });

  it('ends at once while a read waits for an event, and leaves no listener behind', async () => {
    const s = source();
    const streams = Array.from({ length: 1000 }, () => changes(s, 'change', () => true));
    expect(s.events.listenerCount('change')).toBe(1000);
    const waiting = streams.map((stream) => stream.next());
    await Promise.all(streams.map((stream) => stream.return(undefined)));
    expect(await Promise.all(waiting)).toEqual(streams.map(() => ({ done: true, value: undefined })));
    expect(s.events.listenerCount('change')).toBe(0);
    expect(await streams[0]?.next()).toEqual({ done: true, value: undefined });
  });
});

describe('watching', () => {
  it('gives up its interest once, whether the reader stops or the updates end', async () => {
    const s = source();
    let stops = 0;
    const stream = watching(() => (stops += 1), changes(s, 'change', () => true));
    const waiting = stream.next();
    await stream.return(undefined);
    await stream.return(undefined);
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(stops).toBe(1);
    expect(s.events.listenerCount('change')).toBe(0);
  });
});
