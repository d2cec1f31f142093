import { rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { entryOutput, gzipAll, stampOf, upToDate } from '../http/bundle-build.js';
import { MANIFEST_FILE, type PlaygroundManifest } from './manifest.js';

/**
 * Bundles the playground (GraphiQL, React, Monaco and its workers) into dist/playground/, so the gateway serves it
 * with nothing fetched from elsewhere. Runs as dist/src/playground/build.js (`npm run build:playground`), and does
 * nothing when no input changed since the last bundle (every `npm start` runs it).
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = join(root, 'dist/playground');
const assetsDir = join(outDir, 'assets');

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  // Classic scripts: workers are started with `new Worker(url)` and need no module support.
  format: 'iife',
  target: 'es2022',
  outdir: assetsDir,
  // Content-hashed names let the gateway cache them for a year.
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
} satisfies BuildOptions;

/** Every file the last bundle read (esbuild's inputs and this script), with its size and time as then. */
const INPUTS_FILE = join(outDir, 'inputs.json');

const started = performance.now();
if (await upToDate(root, INPUTS_FILE, join(outDir, MANIFEST_FILE))) {
  console.log(`playground: up to date in ${relative(root, outDir)}/`);
  process.exit(0);
}
await rm(outDir, { recursive: true, force: true });

// Built first: the main bundle embeds their (hashed) names. These are the copies GraphiQL itself imports: the one
// version @graphiql/react pins, hoisted by npm.
const workers = await build({
  ...common,
  entryPoints: {
    'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
    'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
    'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
  },
});
const workerFiles = {
  editor: entryOutput(workers.metafile, 'editor.worker'),
  json: entryOutput(workers.metafile, 'json.worker'),
  graphql: entryOutput(workers.metafile, 'graphql.worker'),
};

const main = await build({
  ...common,
  entryPoints: { main: 'src/playground/client/main.tsx' },
  tsconfig: 'src/playground/client/tsconfig.json',
  define: { 'process.env.NODE_ENV': '"production"', PLAYGROUND_WORKERS: JSON.stringify(workerFiles) },
  // Monaco's icon font; GraphiQL's own fonts are inlined in its CSS.
  loader: { '.ttf': 'file' },
});
const mainScript = entryOutput(main.metafile, 'main');
const mainStyle = main.metafile.outputs[join(relative(root, assetsDir), mainScript)]?.cssBundle;
if (mainStyle === undefined) throw new Error('the playground bundle has no stylesheet');

const manifest: PlaygroundManifest = { script: mainScript, style: basename(mainStyle) };
await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

// ~7 MB is seconds on a slow link: gzip cuts it to under a third.
const { files, plain, gzipped } = await gzipAll(assetsDir);

// `<define:...>` inputs are virtual: they come from the workers' names, which come from files listed here.
const inputs = [...Object.keys(workers.metafile.inputs), ...Object.keys(main.metafile.inputs)].filter((path) => !path.startsWith('<'));
const scripts = [fileURLToPath(import.meta.url), fileURLToPath(new URL('../http/bundle-build.js', import.meta.url))].map((path) => relative(root, path));
await writeFile(INPUTS_FILE, `${JSON.stringify(await stampOf(root, [...inputs, 'src/playground/client/tsconfig.json', ...scripts]))}\n`);

const mb = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`playground: ${files} files, ${mb(plain)} (${mb(gzipped)} gzipped) in ${relative(root, outDir)}/, built in ${seconds} s`);
