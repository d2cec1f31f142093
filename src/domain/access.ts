/** What a client key may do: read, or also create and command (tasks, rollouts). */
export type ApiRole = 'read' | 'operate';
export const API_ROLES: readonly ApiRole[] = ['read', 'operate'];
