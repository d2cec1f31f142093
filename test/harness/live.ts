// What tests of live updates share: a graphql-ws client, a subscription collected until done, and /metrics samples.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestGateway } from './gateway.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function wsClient(gateway: TestGateway, apiKey?: string): Client {
  return createClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: apiKey ? { 'x-api-key': apiKey } : {}, retryAttempts: 0 });
}

/** Collects what a subscription sends until `done` says so (or the time is up). */
export function collect(client: Client, query: string, variables: Record<string, unknown>, done: (value: Json) => boolean, ms = 30_000): Promise<Json[]> {
  const values: Json[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscription not done in ${ms} ms: ${JSON.stringify(values).slice(0, 500)}`)), ms);
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (value) => {
          values.push(value);
          if (done(value)) {
            clearTimeout(timer);
            unsubscribe();
            resolve(values);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => undefined,
      },
    );
  });
}

/** One sample of a Prometheus exposition text (the first whose labels include `labels`). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** The gateway's metric `northbound_gateway_<name>` now. */
export async function metric(gateway: TestGateway, name: string, labels?: Record<string, string>): Promise<number> {
  const value = sample((await gateway.request('/metrics')).text, `northbound_gateway_${name}`, labels);
  if (value === undefined) throw new Error(`no metric northbound_gateway_${name}`);
  return value;
}
