/** Who is calling: the API key a request presents (the `x-api-key` header, or a WebSocket's `connectionParams`). */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { ApiRole } from '../domain/access.js';

export const API_KEY_HEADER = 'x-api-key';

/** The client of an open gateway (no API keys): every caller shares it. */
export const ANONYMOUS_CLIENT = 'anonymous';

export interface Caller {
  role: ApiRole;
  client: string;
}

/**
 * The configured API keys, kept only as SHA-256 digests. A presented key is hashed and compared with every digest in
 * constant time (`timingSafeEqual`, no early exit), so neither a map lookup's nor a string comparison's timing tells
 * an attacker how much of a key they have right, or which keys exist.
 */
export class ApiKeys {
  readonly #entries: { digest: Buffer; caller: Caller }[];

  constructor(keys: ReadonlyMap<string, ApiRole>) {
    this.#entries = [...keys].map(([key, role]) => {
      const keyDigest = digest(key);
      // A short prefix of the digest names the key in logs and metrics without revealing it.
      return { digest: keyDigest, caller: { role, client: `key-${keyDigest.toString('hex').slice(0, 8)}` } };
    });
  }

  /** The role of the presented key, or undefined when it is not one of ours (or missing). */
  roleOf(presented: string | undefined): ApiRole | undefined {
    return this.identify(presented)?.role;
  }

  /** The caller behind the presented key, or undefined when it is not one of ours (or missing). */
  identify(presented: string | undefined): Caller | undefined {
    const candidate = digest(presented ?? '');
    let caller: Caller | undefined;
    for (const entry of this.#entries) {
      const match = timingSafeEqual(entry.digest, candidate);
      caller = match && presented !== undefined ? entry.caller : caller;
    }
    return caller;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The caller behind a presented API key; throws UNAUTHENTICATED when keys are configured and it is not one. */
export function authenticate(presented: string | undefined, keys: ApiKeys | undefined): Caller {
  if (keys === undefined) return { role: 'operate', client: ANONYMOUS_CLIENT };
  const caller = keys.identify(presented);
  if (caller === undefined) {
    throw new GraphQLError(`missing or unknown API key (send it in the ${API_KEY_HEADER} header)`, {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
  return caller;
}
