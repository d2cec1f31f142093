/**
 * `npm run build` runs this: writes the schema's SDL to schema.graphql at the repository root, unless the file is
 * newer than every compiled module (the incremental compile rewrote none since): then it is already the code's.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This file runs as dist/src/graphql/emit-schema.js. */
const SCHEMA_FILE = fileURLToPath(new URL('../../../schema.graphql', import.meta.url));
const COMPILED = fileURLToPath(new URL('..', import.meta.url));

if (await upToDate()) {
  console.log('schema.graphql: up to date');
} else {
  // Loaded only when needed: the schema's modules take most of a second to load.
  const { buildGatewaySchema } = await import('./build-schema.js');
  await buildGatewaySchema(SCHEMA_FILE);
}

async function upToDate(): Promise<boolean> {
  const written = await stat(SCHEMA_FILE).then(
    (file) => file.mtimeMs,
    () => undefined,
  );
  if (written === undefined) return false;
  const modules = (await readdir(COMPILED, { recursive: true })).filter((path) => path.endsWith('.js'));
  for (const path of modules) {
    if ((await stat(join(COMPILED, path))).mtimeMs >= written) return false;
  }
  return true;
}
