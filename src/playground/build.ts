import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
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
type InputStamp = Record<string, { size: number; mtimeMs: number }>;

const started = performance.now();
if (await upToDate()) {
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

// Compressed once here rather than per response: ~7 MB is seconds on a slow link, gzip cuts it to under a third.
// Only gzip: browsers offer brotli over https alone, and the gateway speaks plain http.
const gzipFile = promisify(gzip);
let plain = 0;
let gzipped = 0;
const files = await readdir(assetsDir);
for (const file of files) {
  const path = join(assetsDir, file);
  const contents = await readFile(path);
  const compressed = await gzipFile(contents, { level: 9 });
  await writeFile(`${path}.gz`, compressed);
  plain += contents.length;
  gzipped += compressed.length;
}

// `<define:...>` inputs are virtual: they come from the workers' names, which come from files listed here.
const inputs = [...Object.keys(workers.metafile.inputs), ...Object.keys(main.metafile.inputs)].filter((path) => !path.startsWith('<'));
const script = relative(root, fileURLToPath(import.meta.url));
await writeFile(INPUTS_FILE, `${JSON.stringify(await stampOf([...inputs, 'src/playground/client/tsconfig.json', script]))}\n`);

const mb = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`playground: ${files.length} files, ${mb(plain)} (${mb(gzipped)} gzipped) in ${relative(root, outDir)}/, built in ${seconds} s`);

async function stampOf(paths: string[]): Promise<InputStamp> {
  const stamp: InputStamp = {};
  for (const path of paths) {
    const { size, mtimeMs } = await stat(join(root, path));
    stamp[path] = { size, mtimeMs };
  }
  return stamp;
}

/**
 * Whether the bundle exists and none of its inputs changed. An import added or removed changes the importing file,
 * and a dependency upgraded changes its files: comparing the files read last time is enough.
 */
async function upToDate(): Promise<boolean> {
  let previous: InputStamp;
  try {
    previous = JSON.parse(await readFile(INPUTS_FILE, 'utf8')) as InputStamp;
  } catch {
    return false;
  }
  try {
    await stat(join(outDir, MANIFEST_FILE));
    const current = await stampOf(Object.keys(previous));
    return Object.entries(previous).every(([path, { size, mtimeMs }]) => current[path]?.size === size && current[path]?.mtimeMs === mtimeMs);
  } catch {
    // The manifest or an input is gone.
    return false;
  }
}

/** The output file (name only) of a named entry point. */
function entryOutput(metafile: Metafile, entry: string): string {
  const output = Object.keys(metafile.outputs).find((path) => basename(path).startsWith(`${entry}-`) && path.endsWith('.js'));
  if (output === undefined) throw new Error(`esbuild wrote no output for ${entry}`);
  return basename(output);
}
