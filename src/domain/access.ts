/** What a client key may do: read, or also create and command (tasks, rollouts). */
import type { ValueOf } from './values.js';

/** The roles as GATEWAY_API_KEYS spells them (values), and as GraphQL names them (keys). */
export const ApiRole = Object.freeze({ READ: 'read', OPERATE: 'operate' } as const);
export type ApiRole = ValueOf<typeof ApiRole>;
export const API_ROLES: readonly ApiRole[] = Object.values(ApiRole);

/** Who is asking, as the gateway knows them: a role, and the name its calls are counted under. */
export interface Viewer {
  role: ApiRole;
  /** `anonymous` (no API keys), or `key-` and the first 8 hex digits of the key's SHA-256. */
  client: string;
}
