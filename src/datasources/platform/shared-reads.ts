/**
 * Reads in flight, shared between requests: a GET already on its way for the same client, priority and share is not
 * sent again, and its answer (or failure) is every asker's. Nothing is kept once it has ended: a read asked after
 * that goes to the platform. Ten dashboards refreshed together spend one call per list, not ten.
 */
import { retryable } from './replies.js';

interface InFlight {
  deadline: number;
  answer: Promise<unknown>;
}

export class SharedReads {
  readonly #inFlight = new Map<string, InFlight>();
  /** Reads answered by one already in flight. */
  joined = 0;

  /**
   * `read`'s answer, or that of the same read in flight. Only a read that must end no later than this one's deadline
   * is joined; if it fails in a way a new attempt may not meet, this one tries on its own while its deadline allows.
   */
  read(key: string, deadline: number, read: () => Promise<unknown>): Promise<unknown> {
    const shared = this.#inFlight.get(key);
    if (shared && shared.deadline <= deadline) {
      this.joined += 1;
      return shared.answer.catch((error: unknown) => {
        if (retryable(error) && Date.now() < deadline) return read();
        throw error;
      });
    }
    const answer = read();
    if (shared) return answer;
    const entry: InFlight = { deadline, answer };
    this.#inFlight.set(key, entry);
    const forget = () => {
      if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key);
    };
    answer.then(forget, forget);
    return answer;
  }
}

/** The key of a read: who asks, how urgently, and exactly what (the query's parameters in a fixed order). */
export function readKey(scope: { client: string; priority: string; share?: number }, path: string, searchParams?: Record<string, string | number | boolean | undefined>): string {
  const query = searchParams === undefined ? '' : JSON.stringify(Object.entries(searchParams).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${scope.client}\n${scope.priority}\n${scope.share ?? ''}\n${path}\n${query}`;
}
