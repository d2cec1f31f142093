// The node flags the gateway runs with (package.json's config.nodeFlags: npm start, the systemd unit, the container):
// every gateway process a test starts runs with them too.
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { config?: { nodeFlags?: string } };

export const GATEWAY_NODE_FLAGS: readonly string[] = (manifest.config?.nodeFlags ?? '').split(' ').filter(Boolean);
