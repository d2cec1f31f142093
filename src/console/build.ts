import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { entryOutput, gzipAll, stampOf, upToDate } from '../http/bundle-build.js';
import { MANIFEST_FILE, type ConsoleManifest } from './manifest.js';

/**
 * Bundles the operators' console (Preact, urql, graphql-ws and the page's own code) into dist/console/, after
 * generating its typed operations (codegen.yml's console target), so the gateway serves it with nothing fetched from
 * elsewhere. Runs as dist/src/console/build.js on every `npm run build`, and does nothing when no input changed.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = join(root, 'dist/console');
const assetsDir = join(outDir, 'assets');
const clientDir = 'src/console/client';
const generatedDir = `${clientDir}/generated/`;
const INPUTS_FILE = join(outDir, 'inputs.json');

const started = performance.now();
if (await upToDate(root, INPUTS_FILE, join(outDir, MANIFEST_FILE))) {
  console.log(`console: up to date in ${relative(root, outDir)}/`);
  process.exit(0);
}
await rm(outDir, { recursive: true, force: true });

// The console's target only (the tests' target is theirs to regenerate): its documents may have changed, and the
// generated folder is not committed.
const codegen = parse(await readFile(join(root, 'codegen.yml'), 'utf8')) as { schema: string; generates: Record<string, { documents: string }> };
const target = codegen.generates[generatedDir];
if (target === undefined) throw new Error(`codegen.yml has no ${generatedDir} target`);
// Loaded here only: the codegen CLI is heavy, and an up-to-date build never needs it.
const { generate } = await import('@graphql-codegen/cli');
await generate({ schema: codegen.schema, generates: { [generatedDir]: target }, cwd: root, silent: true }, true);

const result = await build({
  absWorkingDir: root,
  entryPoints: { console: `${clientDir}/main.tsx` },
  tsconfig: `${clientDir}/tsconfig.json`,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outdir: assetsDir,
  // Content-hashed names let the gateway cache them for a year.
  entryNames: '[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
});
const script = entryOutput(result.metafile, 'console');
const style = result.metafile.outputs[join(relative(root, assetsDir), script)]?.cssBundle;
if (style === undefined) throw new Error('the console bundle has no stylesheet');
const manifest: ConsoleManifest = { script, style: basename(style) };
await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

const { files, plain, gzipped } = await gzipAll(assetsDir);

// The documents are read by codegen, not esbuild: listed by hand, with the scripts that build. Not the schema: the
// generated documents are the documents' own text (the schema adds only types, which `npm run typecheck` checks),
// and `npm run build` rewrites schema.graphql after every compile that changed a module.
const inputs = Object.keys(result.metafile.inputs);
const scripts = [fileURLToPath(import.meta.url), fileURLToPath(new URL('../http/bundle-build.js', import.meta.url))].map((path) => relative(root, path));
await writeFile(INPUTS_FILE, `${JSON.stringify(await stampOf(root, [...inputs, target.documents, 'codegen.yml', `${clientDir}/tsconfig.json`, ...scripts]))}\n`);

const kb = (bytes: number): string => `${Math.round(bytes / 1000)} kB`;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`console: ${files} files, ${kb(plain)} (${kb(gzipped)} gzipped) in ${relative(root, outDir)}/, built in ${seconds} s`);
