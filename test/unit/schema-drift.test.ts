// schema.graphql is what clients and codegen read: it must be exactly what the code builds.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { buildGatewaySchema } from '../../src/graphql/build-schema.js';

it('the committed schema.graphql matches the schema the code builds (run `npm run build` to refresh it)', async () => {
  const built = join(mkdtempSync(join(tmpdir(), 'schema-')), 'schema.graphql');
  await buildGatewaySchema(built);
  const committed = readFileSync(fileURLToPath(new URL('../../schema.graphql', import.meta.url)), 'utf8');
  expect(readFileSync(built, 'utf8')).toBe(committed);
});
