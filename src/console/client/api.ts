import { Client, fetchExchange, mapExchange, subscriptionExchange, cacheExchange, type CombinedError } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import { ViewerDocument } from './generated/graphql';

export type Role = 'read' | 'operate';

export const API_KEY_HEADER = 'x-api-key';
/** Kept for the tab's life only: closing the tab forgets the key. */
const STORAGE_KEY = 'northbound-console-api-key';

export function storedKey(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function storeKey(key: string | undefined): void {
  if (key === undefined) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, key);
}

export type RoleResult = { ok: true; role: Role } | { ok: false; message: string };

/** What the key may do, as the gateway says (`viewer`): nothing is guessed from a refusal. */
export async function roleOfKey(client: Client): Promise<RoleResult> {
  const { data, error } = await client.query(ViewerDocument, {}, { requestPolicy: 'network-only' }).toPromise();
  if (isUnauthenticated(error)) return { ok: false, message: 'The gateway does not know this key.' };
  if (error) return { ok: false, message: errorText(error) };
  if (!data) return { ok: false, message: 'The gateway did not say who this key is.' };
  return { ok: true, role: data.viewer.role === 'OPERATE' ? 'operate' : 'read' };
}

/**
 * urql: small, maintained, with a document cache that refetches a query when a mutation returns a type it holds,
 * and subscriptions handed to graphql-ws (the protocol the gateway serves on the same path).
 */
export function createApiClient(endpoint: string, key: string | undefined, onUnauthenticated: () => void): { client: Client; close(): void } {
  const headers: Record<string, string> = key === undefined ? {} : { [API_KEY_HEADER]: key };
  const wsUrl = new URL(endpoint, location.href);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = createWsClient({
    url: wsUrl.href,
    connectionParams: headers,
    lazy: true,
    // Reconnects after a restart of the gateway; 4403 (a key withdrawn) is not worth retrying.
    retryAttempts: 20,
    shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4403),
    on: {
      closed: (event) => {
        if (event instanceof CloseEvent && event.code === 4403) onUnauthenticated();
      },
    },
  });
  const client = new Client({
    url: endpoint,
    fetchOptions: () => ({ headers }),
    // POST: the gateway refuses GET operations without a preflight header (CSRF prevention).
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    exchanges: [
      // A key withdrawn while the page is open (the gateway restarted without it): back to the key form.
      mapExchange({ onError: (error) => isUnauthenticated(error) && onUnauthenticated() }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { client, close: () => void ws.dispose() };
}

export interface ValidationError {
  path: string;
  message: string;
}

/** The field paths and messages of a BAD_USER_INPUT (`extensions.validationErrors`). */
export function validationErrors(error: CombinedError | undefined): ValidationError[] {
  return (error?.graphQLErrors ?? []).flatMap((e) => (e.extensions?.validationErrors as ValidationError[] | undefined) ?? []);
}

/** One line for a person: the gateway's messages, without urql's "[GraphQL]" prefix. */
export function errorText(error: CombinedError): string {
  if (error.networkError) return `The gateway cannot be reached (${error.networkError.message}).`;
  return error.graphQLErrors.map((e) => e.message).join(' ');
}

export function isUnauthenticated(error: CombinedError | undefined): boolean {
  return (error?.graphQLErrors ?? []).some((e) => e.extensions?.code === 'UNAUTHENTICATED') || error?.response?.status === 401;
}
