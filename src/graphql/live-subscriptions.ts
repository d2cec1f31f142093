/** How many subscriptions a transport holds open: the proof that a dropped or completed one is released. */
import type { ExecutionArgs, ExecutionResult } from 'graphql';

type Subscribe = (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;

export class LiveSubscriptions {
  /** Subscriptions whose event stream is open: from `subscribe` to their end, return or failure. */
  count = 0;

  /** `subscribe`, counting each event stream it opens until that stream ends. */
  counting(subscribe: Subscribe): Subscribe {
    return async (args) => {
      const result = await subscribe(args);
      if (!(Symbol.asyncIterator in result)) return result;
      this.count += 1;
      let open = true;
      const end = () => {
        if (open) this.count -= 1;
        open = false;
      };
      const ended = <T>(step: IteratorResult<T>): IteratorResult<T> => {
        if (step.done) end();
        return step;
      };
      const counted: AsyncGenerator<ExecutionResult> = {
        next: () => result.next().then(ended, (error: unknown) => {
          end();
          throw error;
        }),
        return: (value) => result.return(value).finally(end),
        throw: (error) => result.throw(error).finally(end),
        [Symbol.asyncIterator]: () => counted,
      };
      return counted;
    };
  }
}
