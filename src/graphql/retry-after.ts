import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

/**
 * HTTP's side of `RATE_LIMITED`: any response with such an error carries `Retry-After` (the longest
 * `retryAfterSeconds` among them), so generic HTTP clients and proxies back off without reading GraphQL errors.
 * A response that delivers nothing (no data, or every root field null) and whose every error is `RATE_LIMITED` is
 * also `429`: the request was refused, not answered. A partial answer stays `200`: part of it is data.
 * An error without its own figure (the platform-call estimate refusal, where waiting alone does not help) gets
 * `fallbackSeconds`, a full budget window, so that clients retrying automatically do not hammer the gateway.
 */
export function retryAfterPlugin(fallbackSeconds: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors = [] } = response.body.singleResult;
          const limited = errors.filter(isRateLimited);
          if (limited.length === 0) return;
          const seconds = Math.max(...limited.map((error) => retryAfterSecondsOf(error) ?? fallbackSeconds));
          response.http.headers.set('retry-after', String(Math.max(1, Math.ceil(seconds))));
          const delivered = data !== undefined && data !== null && Object.values(data).some((value) => value !== null);
          if (!delivered && limited.length === errors.length) response.http.status = 429;
        },
      };
    },
  };
}

function isRateLimited(error: GraphQLFormattedError): boolean {
  return error.extensions?.code === 'RATE_LIMITED';
}

function retryAfterSecondsOf(error: GraphQLFormattedError): number | undefined {
  const seconds = error.extensions?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : undefined;
}
