import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Metafile } from 'esbuild';

/**
 * What the build scripts of the browser pages (src/playground/build.ts, src/console/build.ts) share: skipping a
 * bundle whose inputs did not change, naming esbuild's outputs, and compressing the assets once.
 */

/** Every file a bundle read, with its size and time as then. */
export type InputStamp = Record<string, { size: number; mtimeMs: number }>;

export async function stampOf(root: string, paths: string[]): Promise<InputStamp> {
  const stamp: InputStamp = {};
  for (const path of paths) {
    const { size, mtimeMs } = await stat(join(root, path));
    stamp[path] = { size, mtimeMs };
  }
  return stamp;
}

/**
 * Whether the bundle exists (`output`) and none of the inputs recorded in `inputsFile` changed. An import added or
 * removed changes the importing file, and a dependency upgraded changes its files: comparing the files read last
 * time is enough.
 */
export async function upToDate(root: string, inputsFile: string, output: string): Promise<boolean> {
  let previous: InputStamp;
  try {
    previous = JSON.parse(await readFile(inputsFile, 'utf8')) as InputStamp;
  } catch {
    return false;
  }
  try {
    await stat(output);
    const current = await stampOf(root, Object.keys(previous));
    return Object.entries(previous).every(([path, { size, mtimeMs }]) => current[path]?.size === size && current[path]?.mtimeMs === mtimeMs);
  } catch {
    // The output or an input is gone.
    return false;
  }
}

/**
 * Writes a gzipped copy beside each file of `dir`, compressed once here rather than per response. Only gzip:
 * browsers offer brotli over https alone, and the gateway speaks plain http.
 */
export async function gzipAll(dir: string): Promise<{ files: number; plain: number; gzipped: number }> {
  const gzipFile = promisify(gzip);
  let plain = 0;
  let gzipped = 0;
  const files = await readdir(dir);
  for (const file of files) {
    const path = join(dir, file);
    const contents = await readFile(path);
    const compressed = await gzipFile(contents, { level: 9 });
    await writeFile(`${path}.gz`, compressed);
    plain += contents.length;
    gzipped += compressed.length;
  }
  return { files: files.length, plain, gzipped };
}

/** The output file (name only) of a named entry point. */
export function entryOutput(metafile: Metafile, entry: string): string {
  const output = Object.keys(metafile.outputs).find((path) => basename(path).startsWith(`${entry}-`) && path.endsWith('.js'));
  if (output === undefined) throw new Error(`esbuild wrote no output for ${entry}`);
  return basename(output);
}
