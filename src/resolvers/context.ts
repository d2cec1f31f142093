/** What a resolver gets with every call: who asks, and this request's services (resolvers call nothing else). */
import type { ApiRole } from '../domain/access.js';
import type { RequestScope, Services } from '../services/index.js';

export interface ResolverContext {
  requestId: string;
  /** The caller's role; an open gateway (no API keys configured) treats every caller as `operate`. */
  role: ApiRole;
  /** Who is calling, for the call budget's fairness and for logs: `anonymous` or `key-<digest prefix>`. */
  client: string;
  /** The request's deadline and place in the call budget's queue. */
  scope: RequestScope;
  services: Services;
}
