import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type GraphQLFormattedError, print } from 'graphql';
import { type Env, loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/server.js';

/** A gateway on free ports with a small embedded emulator; `env` adds or overrides variables. */
export async function startGateway(env: Env = {}): Promise<Gateway> {
  const loaded = loadConfig({ PORT: '0', EMULATOR_PORT: '0', EMULATOR_DEVICES: '20', LOG_LEVEL: 'error', ...env });
  if (!loaded.ok) throw new Error(`test configuration invalid:\n${loaded.errors.join('\n')}`);
  return createGateway(loaded.config);
}

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

/** POSTs a typed document over real HTTP, as any client would. */
export async function execute<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<TData>, 'status'>;
  return { status: response.status, ...body };
}
