/** `npm run build` runs this: writes the schema's SDL to schema.graphql at the repository root. */
import { fileURLToPath } from 'node:url';
import { buildGatewaySchema } from './build-schema.js';

/** This file runs as dist/src/emit-schema.js. */
export const SCHEMA_FILE = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

await buildGatewaySchema(SCHEMA_FILE);
