// How the gateway names an API key wherever it shows one (viewer { client }, the budget's lines, the audit log,
// traces): `key-` and the first 8 hex digits of its SHA-256, never the key (README.md, Keys and roles).
import { createHash } from 'node:crypto';

export const clientNameOf = (key: string): string => `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
