/** What a resolver gets with every call: who asks, and this request's services (resolvers call nothing else). */
import type { ApiRole } from '../domain/access.js';
import type { RequestScope, Services } from '../services/index.js';

export interface ResolverContext {
  requestId: string;
  role: ApiRole;
  client: string;
  /** The request's deadline and place in the call budget's queue. */
  scope: RequestScope;
  services: Services;
}
