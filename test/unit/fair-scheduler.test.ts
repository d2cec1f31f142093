// The order in which subscription events are executed: a few at once, each client's queue in turn.
import { describe, expect, it } from 'vitest';
import { FairScheduler } from '../../src/graphql/live-events.js';

/** A task that records when it starts and ends when `release` is called for it. */
function recorder() {
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const task = (name: string) => () => {
    started.push(name);
    return new Promise<string>((resolve) => releases.set(name, () => resolve(name)));
  };
  const release = async (name: string) => {
    releases.get(name)?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { started, task, release };
}

describe('FairScheduler', () => {
  it('runs at most `concurrency` tasks at once, and the next as soon as one ends', async () => {
    const scheduler = new FairScheduler(2);
    const { started, task, release } = recorder();
    const done = ['a1', 'a2', 'a3'].map((name) => scheduler.run('a', task(name)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual(['a1', 'a2']);
    expect(scheduler.queued).toBe(1);
    await release('a1');
    expect(started).toEqual(['a1', 'a2', 'a3']);
    await release('a2');
    await release('a3');
    expect(await Promise.all(done)).toEqual(['a1', 'a2', 'a3']);
    expect(scheduler.queued).toBe(0);
  });

  it("serves clients in turn: a client's thousand queued tasks delay another's by one turn", async () => {
    const scheduler = new FairScheduler(1);
    const { started, task, release } = recorder();
    for (let i = 1; i <= 1000; i++) void scheduler.run('noisy', task(`n${i}`));
    void scheduler.run('quiet', task('q1'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual(['n1']);
    await release('n1');
    expect(started).toEqual(['n1', 'q1']);
    await release('q1');
    expect(started).toEqual(['n1', 'q1', 'n2']);
  });

  it('passes a failure to its caller and goes on with the next', async () => {
    const scheduler = new FairScheduler(1);
    const failed = scheduler.run('a', () => Promise.reject(new Error('store away')));
    const next = scheduler.run('a', () => Promise.resolve('next'));
    await expect(failed).rejects.toThrow('store away');
    expect(await next).toBe('next');
  });
});
