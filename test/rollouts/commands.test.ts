// pauseRollout, resumeRollout and cancelRollout say whether they took effect: two operators racing the same command
// get exactly one answer (the rollout as that call left it) and one STATE_CONFLICT naming the state found, decided by
// compare-and-set in the store; a pause answers PAUSED even when another operator resumes it a moment later. On both
// engines; on PostgreSQL the two operators use two replicas of one store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../harness/gateway.js';
import type { Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { productFixture, startRolloutStack, type Json } from './support.js';

const COMMAND = (name: string) => `mutation($id: ID!) { ${name}(id: $id) { id state updatedAt } }`;
type Command = 'pauseRollout' | 'resumeRollout' | 'cancelRollout';
const ROUNDS = 10;

describe.each(ENGINES)('rollout commands raced by two operators on %s', (engine) => {
  let stack: Stack;
  let operators: [TestGateway, TestGateway];
  let fileId: string;
  let devices: string[];

  beforeAll(async () => {
    stack = await startRolloutStack(engine, { devices: 200 });
    // Replicas share PostgreSQL; a SQLite store has one gateway, which the two operators share.
    operators = [stack.gateway, engine === 'postgres' ? await stack.startGateway({ env: { PORT: '0' } }) : stack.gateway];
    ({ fileId, deviceIds: devices } = await productFixture((query, variables) => stack.gateway.query(query, variables), 'WM100'));
    await stack.platform.control('outcomes', { upgradeFailureRate: 0, upgradeTimeoutRate: 0 });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  /** A running rollout whose first wave's task stays on the platform (its clock does not move here). */
  async function running(targets: string[]): Promise<string> {
    const reply = await stack.gateway.query('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rolloutId } }', {
      input: { fileId, name: 'raced', targets: { deviceIds: targets }, waves: [{ count: 1 }, { count: 1 }] },
    });
    expect(reply.errors).toBeUndefined();
    return reply.data.createRollout.rolloutId;
  }

  /** Both operators send `commands` (one each), the second `lagMs` after the first; the answers in the same order. */
  const race = (id: string, commands: [Command, Command], lagMs = 0): Promise<Json[]> =>
    Promise.all(
      commands.map(async (command, i) => {
        if (i > 0 && lagMs > 0) await new Promise((resolve) => setTimeout(resolve, lagMs));
        return (operators[i] as TestGateway).query(COMMAND(command), { id });
      }),
    );

  const outcome = (reply: Json, command: Command) => (reply.errors ? { conflict: reply.errors[0].extensions.state, code: reply.errors[0].extensions.code } : { took: reply.data[command].state });

  it('the same command sent twice at once takes effect once: one answer, one STATE_CONFLICT with the state found', async () => {
    const id = await running(devices.slice(0, 2));
    for (let round = 0; round < ROUNDS; round++) {
      const paused = (await race(id, ['pauseRollout', 'pauseRollout'])).map((r) => outcome(r, 'pauseRollout'));
      expect(paused).toContainEqual({ took: 'PAUSED' });
      expect(paused).toContainEqual({ conflict: 'PAUSED', code: 'STATE_CONFLICT' });
      const resumed = (await race(id, ['resumeRollout', 'resumeRollout'])).map((r) => outcome(r, 'resumeRollout'));
      expect(resumed).toContainEqual({ took: 'RUNNING' });
      expect(resumed).toContainEqual({ conflict: 'RUNNING', code: 'STATE_CONFLICT' });
    }
    const cancelled = (await race(id, ['cancelRollout', 'cancelRollout'])).map((r) => outcome(r, 'cancelRollout'));
    expect(cancelled).toContainEqual({ took: 'CANCELLED' });
    expect(cancelled).toContainEqual({ conflict: 'CANCELLED', code: 'STATE_CONFLICT' });
    // A state that forbids the command: the same code, and the message says nothing changed.
    const late = await operators[1].query(COMMAND('pauseRollout'), { id });
    expect(late.errors[0]).toMatchObject({ message: `Rollout ${id} is CANCELLED: only a RUNNING rollout can be paused; this call changed nothing.`, extensions: { code: 'STATE_CONFLICT', state: 'CANCELLED', argument: 'id' } });
  }, 60_000);

  it('a pause answers PAUSED and a resume RUNNING, whatever the other operator does a moment later', async () => {
    const id = await running(devices.slice(2, 4));
    // The resume lands before the pause, while it is answered, or after it.
    for (let round = 0; round < 3 * ROUNDS; round++) {
      const [pause, resume] = await race(id, ['pauseRollout', 'resumeRollout'], round % 8);
      expect(outcome(pause, 'pauseRollout')).toEqual({ took: 'PAUSED' });
      // The resume came before the pause (nothing to resume) or after it: it says which.
      expect([{ took: 'RUNNING' }, { conflict: 'RUNNING', code: 'STATE_CONFLICT' }]).toContainEqual(outcome(resume, 'resumeRollout'));
      const now = (await stack.gateway.query('query($id: ID!) { rollout(id: $id) { state } }', { id })).data.rollout.state;
      // What the store holds is what the last command to take effect set.
      expect(now).toBe(resume.errors ? 'PAUSED' : 'RUNNING');
      if (now === 'PAUSED') await stack.gateway.query(COMMAND('resumeRollout'), { id });
    }
    await stack.gateway.query(COMMAND('cancelRollout'), { id });
  }, 60_000);
});
