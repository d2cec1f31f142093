/**
 * The HTTP server's graceful close. Once closing has begun, every response says `Connection: close`, so a kept-alive
 * client opens a new connection (to another replica) for its next request instead of meeting a reset; a request that
 * arrives meanwhile on a kept-alive connection is still answered. New connections are refused at once; idle
 * kept-alive connections are closed once no request is left running, and every connection after the grace period.
 */
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { ApolloServerPlugin } from '@apollo/server';

const DEFAULT_GRACE_MS = 10_000;

export class HttpDrain {
  readonly #server: Server;
  readonly #running = new Set<ServerResponse>();
  #closing = false;
  #idle: (() => void) | undefined;

  constructor(server: Server) {
    this.#server = server;
    // Ahead of the application, which may answer before a later listener runs.
    server.prependListener('request', (_req, res: ServerResponse) => {
      if (this.#closing) res.setHeader('connection', 'close');
      this.#running.add(res);
      res.once('close', () => {
        this.#running.delete(res);
        if (this.#running.size === 0) this.#idle?.();
      });
    });
  }

  /** Resolves when every connection has closed (all of them are cut after `graceMs`). */
  async close(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    if (!this.#server.listening) return;
    this.#closing = true;
    for (const res of this.#running) if (!res.headersSent) res.setHeader('connection', 'close');
    // net's close stops accepting but, unlike http's, leaves idle kept-alive connections open for their next request.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.#server, () => resolve()));
    const idle = new Promise<void>((resolve) => {
      this.#idle = resolve;
      if (this.#running.size === 0) resolve();
    });
    const grace = setTimeout(() => this.#server.closeAllConnections(), graceMs);
    await idle;
    this.#server.closeIdleConnections();
    await closed;
    clearTimeout(grace);
  }
}

/** Apollo Server's drain phase (it keeps executing operations meanwhile), done by `drain`. */
export function httpDrainPlugin(drain: HttpDrain): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return { drainServer: () => drain.close() };
    },
  };
}
