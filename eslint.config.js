import { join } from 'node:path';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------------------------------
// Layer rules (docs/DESIGN.md §1): an import in src/ may only go down this table, or sideways within one folder.
// Checked by eslint-plugin-boundaries; import cycles are checked apart, by madge (npm run lint:cycles).
// ---------------------------------------------------------------------------------------------------------------------

/** Each layer and what it may import, besides itself. A folder listed here need not exist yet. */
const LAYERS = {
  // src/main.ts, src/server.ts, src/config.ts: the composition root builds and wires every layer, and the
  // configuration is every layer's settings; nothing else imports them.
  root: '*',
  config: '*',
  // The HTTP shell: the endpoint page, CORS, the drain, the operators' pages and the health and metrics routes.
  http: ['graphql', 'observability', 'playground', 'services', 'sync', 'datasources', 'store', 'domain', 'logging'],
  playground: ['http', 'graphql', 'services', 'sync', 'datasources', 'store', 'domain', 'logging'],
  console: ['http', 'playground', 'graphql', 'services', 'sync', 'datasources', 'store', 'domain', 'logging'],
  observability: ['graphql', 'services', 'sync', 'datasources', 'store', 'domain', 'logging'],
  // The GraphQL layer maps the platform's failures (PlatformError, the call budget's refusals) to extensions.code.
  graphql: ['resolvers', 'schema', 'services', 'datasources', 'domain', 'logging'],
  resolvers: ['services', 'schema', 'domain'],
  schema: ['domain'],
  services: ['sync', 'datasources', 'store', 'domain', 'logging'],
  sync: ['datasources', 'store', 'domain', 'logging'],
  datasources: ['domain', 'logging'],
  store: ['domain', 'logging'],
  domain: [],
  logging: [],
  // Reached by URL only; the root may load it on demand (see the emulator policy below).
  emulator: [],
  // Browser code, bundled apart: outside the layers, but it must not pull in the emulator either.
  client: '*',
};

// The composition root and config are single files, which boundaries classifies as file categories; every other
// layer is a folder, an element. First match wins: the browser clients come before the folders that hold them.
const FILE_LAYERS = { root: 'src/{main,server}.ts', config: 'src/config{.ts,/*.ts}' };
const FOLDER_LAYERS = [
  ['client', ['src/playground/client', 'src/console/client']],
  ...Object.keys(LAYERS)
    .filter((type) => type !== 'client' && !(type in FILE_LAYERS))
    .map((type) => [type, `src/${type}`]),
];

/** The entity selector of some layers (a file category or an element type each). */
const layers = (types) => {
  const files = types.filter((type) => type in FILE_LAYERS);
  const folders = types.filter((type) => !(type in FILE_LAYERS));
  return [
    ...(folders.length > 0 ? [{ element: { types: folders } }] : []),
    ...(files.length > 0 ? [{ file: { categories: files } }] : []),
  ];
};

const everyLayerButEmulator = Object.keys(LAYERS).filter((type) => type !== 'emulator');

const layerPolicies = [
  // A layer that may import nothing needs no policy: the rule's default disallows.
  ...Object.entries(LAYERS)
    .filter(([, allowed]) => allowed.length > 0)
    .map(([type, allowed]) => ({
      from: layers([type]),
      allow: { to: layers(allowed === '*' ? everyLayerButEmulator : allowed) },
    })),
  // The emulator stays out of the gateway's process unless asked for: only a dynamic import (or a type, which is
  // erased) from the composition root reaches it.
  {
    from: layers(['root']),
    allow: { to: layers(['emulator']), dependency: [{ nodeKind: 'dynamic-import' }, { kind: 'type' }] },
  },
];

const layerScope = {
  files: ['src/**/*.ts', 'src/**/*.tsx'],
  plugins: { boundaries },
  settings: {
    'boundaries/root-path': import.meta.dirname,
    'boundaries/elements': FOLDER_LAYERS.map(([type, pattern]) => ({ type, pattern, partialMatch: false })),
    'boundaries/files': Object.entries(FILE_LAYERS).map(([category, pattern]) => ({ category, pattern })),
    // Re-exports and dynamic imports are dependencies too: `export * from` must not bypass a rule.
    'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
    // NodeNext imports name the emitted '.js' file: resolve it to the '.ts' source as tsc does.
    'import/resolver': { typescript: { project: join(import.meta.dirname, 'tsconfig.json') } },
  },
  rules: {
    'boundaries/dependencies': ['error', { default: 'disallow', checkUnknownLocals: true, policies: layerPolicies }],
    // A file under src/ that belongs to no layer would escape every rule: it must be placed in one.
    'boundaries/no-unknown-files': 'error',
  },
};

export default defineConfig(
  // Build output and generated code are not ours to lint.
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'src/generated/', 'test/generated/', 'src/console/client/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `const { omitted, ...rest } = x` is how a property is dropped from a copy; `omitted` is meant to be unused.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // A file past this has more than one concept in it (DESIGN §1).
      'max-lines': ['error', { max: 400 }],
    },
  },
  layerScope,
);
