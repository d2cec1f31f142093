// The fuzz test's senders: one per transport (HTTP, graphql-ws, graphql-sse), each `send(operation)` answering what
// a client would see.
import { Agent, request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import type { Answer } from './verdict.js';

export interface SentOperation {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** The variables as JSON text, sent as they are (JSON too deep for JSON.stringify); instead of `variables`. */
  rawVariables?: string;
  /**
   * For a subscription the gateway should accept: how long to wait for a refusal before completing it. Unset, a
   * subscription is waited for until it is refused or answered.
   */
  subscriptionWindowMs?: number;
}

export interface Transport {
  name: string;
  /** False: a subscription is refused (BAD_REQUEST) rather than served. */
  servesSubscriptions: boolean;
  send(operation: SentOperation): Promise<Answer>;
  close(): Promise<void>;
}

/** Past this, an operation counts as unanswered (far above the bound the test checks, so a slow answer is seen). */
const GIVE_UP_MS = 30_000;

/** The request's JSON: `{ query, variables, operationName }`. */
function operationBody({ query, variables, rawVariables, operationName }: SentOperation): string {
  const fields = [`"query":${JSON.stringify(query)}`];
  if (rawVariables !== undefined) fields.push(`"variables":${rawVariables}`);
  else if (variables !== undefined) fields.push(`"variables":${JSON.stringify(variables)}`);
  if (operationName !== undefined) fields.push(`"operationName":${JSON.stringify(operationName)}`);
  return `{${fields.join(',')}}`;
}

function headersFor(body: string, accept: string, apiKey: string | undefined): Record<string, string> {
  return { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), accept, ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }) };
}

/** POST /graphql as a GraphQL-over-HTTP client sends it. */
export function httpTransport(url: string, apiKey?: string): Transport {
  // Connections of its own, taken in turn (fifo) so that none idles: one left idle past the server's keep-alive
  // timeout is closed under the next request sent on it ("other side closed"), which is no answer of the gateway's.
  const agent = new Agent({ keepAlive: true, scheduling: 'fifo' });
  return {
    name: 'http',
    servesSubscriptions: false,
    send: (operation) => post(url, apiKey, agent, operation),
    close: async () => agent.destroy(),
  };
}

function post(url: string, apiKey: string | undefined, agent: Agent, operation: SentOperation): Promise<Answer> {
  const started = performance.now();
  const body = operationBody(operation);
  const headers = headersFor(body, 'application/graphql-response+json, application/json;q=0.9', apiKey);
  return new Promise((resolve) => {
    const request = httpRequest(url, { method: 'POST', agent, headers, timeout: GIVE_UP_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString();
        const answer = { status: response.statusCode, ms: performance.now() - started };
        try {
          resolve({ ...answer, body: JSON.parse(text) });
        } catch {
          resolve({ ...answer, failure: `HTTP ${response.statusCode}, a body that is not JSON: ${text.slice(0, 300)}` });
        }
      });
    });
    request.once('timeout', () => request.destroy(new Error(`no answer in ${GIVE_UP_MS} ms`)));
    request.once('error', (error) => resolve({ failure: `request failed: ${String(error)}`, ms: performance.now() - started }));
    request.end(body);
  });
}

/**
 * graphql-sse's distinct connections mode: each operation a POST to the stream path, read until its one result (or,
 * for a subscription, its first event or the end of its window). A refusal before the stream (no key, too many
 * streams) is JSON with an HTTP status; the pipeline's refusals come on the stream, as over WebSocket.
 */
export function sseTransport(url: string, apiKey?: string): Transport {
  const agent = new Agent({ keepAlive: true, scheduling: 'fifo' });
  return {
    name: 'sse',
    servesSubscriptions: true,
    send: (operation) => stream(`${url}/stream`, apiKey, agent, operation),
    close: async () => agent.destroy(),
  };
}

function stream(url: string, apiKey: string | undefined, agent: Agent, operation: SentOperation): Promise<Answer> {
  const started = performance.now();
  const body = operationBody(operation);
  const headers = headersFor(body, 'text/event-stream', apiKey);
  return new Promise((resolve) => {
    let settled = false;
    let window: NodeJS.Timeout | undefined;
    const finish = (answer: Omit<Answer, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(window);
      request.destroy();
      resolve({ ...answer, ms: performance.now() - started });
    };
    const request = httpRequest(url, { method: 'POST', agent, headers, timeout: GIVE_UP_MS }, (response) => {
      const chunks: string[] = [];
      response.setEncoding('utf8');
      if (!response.headers['content-type']?.startsWith('text/event-stream')) {
        response.on('data', (chunk: string) => chunks.push(chunk));
        response.once('end', () => {
          try {
            finish({ status: response.statusCode, body: JSON.parse(chunks.join('')) });
          } catch {
            finish({ failure: `HTTP ${response.statusCode}, a body that is neither a stream nor JSON: ${chunks.join('').slice(0, 300)}` });
          }
        });
        return;
      }
      if (operation.subscriptionWindowMs !== undefined) window = setTimeout(() => finish({ subscribed: true }), operation.subscriptionWindowMs);
      const results: unknown[] = [];
      let pending = '';
      response.on('data', (chunk: string) => {
        pending += chunk;
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const type = /^event: (\w+)$/m.exec(event)?.[1];
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (type === 'next' && data !== undefined) {
            results.push(JSON.parse(data));
            if (operation.subscriptionWindowMs !== undefined) finish({ body: results[0] });
          }
          if (type === 'complete') finish(results.length === 1 ? { body: results[0] } : { failure: `completed after ${results.length} results` });
        }
      });
      response.once('end', () => finish({ failure: `the stream ended after ${results.length} results, without complete` }));
    });
    request.once('timeout', () => finish({ failure: `no answer in ${GIVE_UP_MS} ms` }));
    request.once('error', (error) => finish({ failure: `request failed: ${String(error)}` }));
    request.end(body);
  });
}

/** graphql-ws over `connections` sockets, taken in turn (opened on first use, again after a close). */
export function webSocketTransport(url: string, apiKey?: string, connections = 4): Transport {
  const sockets: (Promise<GraphqlWsSocket> | undefined)[] = Array.from({ length: connections });
  let turn = 0;
  const socket = (slot: number): Promise<GraphqlWsSocket> => {
    const open = sockets[slot];
    return open ?? (sockets[slot] = GraphqlWsSocket.open(url.replace(/^http/, 'ws'), apiKey, () => (sockets[slot] = undefined)));
  };
  return {
    name: 'websocket',
    servesSubscriptions: true,
    async send(operation) {
      const started = performance.now();
      try {
        return await (await socket(turn++ % connections)).send(operation);
      } catch (error) {
        return { failure: `no connection: ${String(error)}`, ms: performance.now() - started };
      }
    },
    close: async () => {
      await Promise.all(sockets.map(async (open) => (await open?.catch(() => undefined))?.close()));
    },
  };
}

interface Sink {
  next(payload: unknown): void;
  error(payload: unknown): void;
  complete(): void;
}

/**
 * The graphql-transport-ws protocol, by hand rather than graphql-ws's client: an operation goes out as the text it is
 * given (the variables may be JSON too deep for JSON.stringify), and nothing is checked before the gateway sees it.
 */
class GraphqlWsSocket {
  readonly #sinks = new Map<string, Sink>();
  #ids = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.#receive(String(data)));
    // A failing socket closes; its operations fail then (below).
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      for (const sink of this.#sinks.values()) sink.error(new Error(`socket closed ${code} ${String(reason)}`));
      this.#sinks.clear();
    });
  }

  static open(url: string, apiKey: string | undefined, onClose: () => void): Promise<GraphqlWsSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws');
      socket.once('close', onClose);
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: apiKey === undefined ? {} : { 'x-api-key': apiKey } })));
      socket.once('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') resolve(new GraphqlWsSocket(socket));
        else reject(new Error(`no connection_ack: ${String(data)}`));
      });
    });
  }

  #receive(text: string): void {
    const message = JSON.parse(text) as { id?: string; type: string; payload?: unknown };
    if (message.type === 'ping') this.socket.send(JSON.stringify({ type: 'pong' }));
    const sink = message.id === undefined ? undefined : this.#sinks.get(message.id);
    if (!sink) return;
    if (message.type === 'next') sink.next(message.payload);
    if (message.type === 'error' || message.type === 'complete') this.#sinks.delete(message.id as string);
    if (message.type === 'error') sink.error(message.payload);
    if (message.type === 'complete') sink.complete();
  }

  send(operation: SentOperation): Promise<Answer> {
    const { subscriptionWindowMs } = operation;
    const started = performance.now();
    const id = String(++this.#ids);
    return new Promise((resolve) => {
      const results: unknown[] = [];
      let settled = false;
      /** `complete`: the client ends the operation (the server has not). */
      const finish = (answer: Omit<Answer, 'ms'>, complete = false) => {
        if (settled) return;
        settled = true;
        this.#sinks.delete(id);
        clearTimeout(window);
        clearTimeout(giveUp);
        if (complete && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ id, type: 'complete' }));
        resolve({ ...answer, ms: performance.now() - started });
      };
      const window = subscriptionWindowMs === undefined ? undefined : setTimeout(() => finish({ subscribed: true }, true), subscriptionWindowMs);
      const giveUp = setTimeout(() => finish({ failure: `no answer in ${GIVE_UP_MS} ms` }, true), GIVE_UP_MS);
      this.#sinks.set(id, {
        next: (result) => {
          results.push(result);
          // A subscription's first event (or its errors) is all this test needs of it.
          if (subscriptionWindowMs !== undefined) finish({ body: result }, true);
        },
        // A list: the operation's refusal (an `error` message); an Error: the socket closed.
        error: (error) => finish(Array.isArray(error) ? { body: { errors: error } } : { failure: String(error) }),
        complete: () => finish(results.length === 1 ? { body: results[0] } : { failure: `completed after ${results.length} results` }),
      });
      this.socket.send(`{"id":${JSON.stringify(id)},"type":"subscribe","payload":${operationBody(operation)}}`);
    });
  }

  close(): void {
    this.socket.close(1000);
  }
}
