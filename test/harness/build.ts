// vitest globalSetup: builds what tests read from disk and do not compile themselves (the typed documents in
// test/generated, dist/src/main.js and the emulator's CLI for process tests, the playground's and console's bundles),
// so that `npx vitest run <file>` works on a fresh clone. Runs once per vitest run, before any test file.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Newest modification time of these files and of the .graphql files under these folders (0: none exists). */
function newest(files: string[], folders: string[] = []): number {
  const times = files.map((file) => {
    try {
      return statSync(join(root, file)).mtimeMs;
    } catch {
      return 0;
    }
  });
  for (const folder of folders) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.graphql')) times.push(statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return Math.max(0, ...times);
}

/** True when an output is missing or older than an input. */
function stale(outputs: string[], inputs: number): boolean {
  return outputs.some((output) => newest([output]) < inputs || newest([output]) === 0);
}

function npmRun(script: string): void {
  const started = performance.now();
  execFileSync('npm', ['run', '--silent', script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`globalSetup: npm run ${script} in ${Math.round(performance.now() - started)} ms`);
}

export default function build(): void {
  // `npm test` did all of it in its pretest step.
  if (process.env.npm_lifecycle_event === 'test') return;
  const documents = newest(['schema.graphql', 'codegen.yml', 'src/console/client/operations.graphql'], ['test']);
  if (stale(['test/generated/graphql.ts', 'src/console/client/generated/graphql.ts'], documents)) npmRun('codegen');
  // Incremental: tsc compiles nothing and each bundle build returns at once when its inputs did not change.
  npmRun('compile');
}
