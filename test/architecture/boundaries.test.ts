/**
 * `npm run lint` fails on what issue 18 forbids: an upward import (eslint-plugin-boundaries, eslint.config.js), a file
 * of more than 400 lines, and an import cycle (madge, run with the flags of `npm run lint:cycles`). The throwaway
 * violations are written to a temporary copy of the lint setup, so a failing or interrupted run leaves nothing in src/.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let copy: string;

async function write(base: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(base, path)), { recursive: true });
    await writeFile(join(base, path), text);
  }
}

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'gateway-lint-'));
  // package.json makes eslint.config.js an ES module there too.
  for (const file of ['eslint.config.js', 'tsconfig.json', 'package.json']) await copyFile(join(root, file), join(copy, file));
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  await write(copy, {
    'src/server.ts': 'export const composed = true;\n',
    'src/resolvers/index.ts': 'export const resolvers: unknown[] = [];\n',
    'src/store/index.ts': 'export const openStore = () => undefined;\n',
    'src/emulator/index.ts': 'export const startEmulator = () => undefined;\n',
    'src/domain/__violation__.ts':
      "import { resolvers } from '../resolvers/index.js';\nimport { composed } from '../server.js';\nexport const upward = [resolvers, composed];\n",
    'src/services/__allowed__.ts': "import { openStore } from '../store/index.js';\nexport const downward = openStore;\n",
    'src/graphql/__emulator__.ts': "import { startEmulator } from '../emulator/index.js';\nexport const reached = startEmulator;\n",
    'src/helpers/__unplaced__.ts': 'export const unplaced = true;\n',
    'src/domain/__long__.ts': 'export const line = 0;\n'.repeat(401),
    'cycle/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
    'cycle/b.ts': "import type { a } from './a.js';\nexport const b = 1;\nexport type A = typeof a;\n",
  });
});

afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

describe('the layer rules', () => {
  const boundaryErrors = async (files: string[]) => {
    const results = await new ESLint({ cwd: copy }).lintFiles(files);
    return Object.fromEntries(
      results.map((r) => [
        r.filePath.slice(copy.length + 1),
        r.messages.filter((m) => m.ruleId?.startsWith('boundaries/') && m.severity === 2).map((m) => ({ line: m.line, rule: m.ruleId, message: m.message })),
      ]),
    );
  };

  it('fail an upward import, allow a downward one, keep the emulator out and place every file in a layer', async () => {
    const errors = await boundaryErrors([
      'src/domain/__violation__.ts',
      'src/services/__allowed__.ts',
      'src/graphql/__emulator__.ts',
      'src/helpers/__unplaced__.ts',
    ]);
    expect(errors['src/domain/__violation__.ts']).toEqual([
      { line: 1, rule: 'boundaries/dependencies', message: expect.stringMatching(/"domain" to elements of type "resolvers"/) },
      { line: 2, rule: 'boundaries/dependencies', message: expect.stringMatching(/"domain" to file of category "root"/) },
    ]);
    expect(errors['src/services/__allowed__.ts']).toEqual([]);
    expect(errors['src/graphql/__emulator__.ts']).toEqual([
      { line: 1, rule: 'boundaries/dependencies', message: expect.stringMatching(/"graphql" to elements of type "emulator"/) },
    ]);
    expect(errors['src/helpers/__unplaced__.ts']).toEqual([{ line: 1, rule: 'boundaries/no-unknown-files', message: expect.any(String) }]);
  });

  it('fail a file of more than 400 lines', async () => {
    const [result] = await new ESLint({ cwd: copy }).lintFiles(['src/domain/__long__.ts']);
    expect(result?.messages.filter((m) => m.ruleId === 'max-lines').map((m) => m.message)).toEqual([expect.stringMatching(/Maximum allowed is 400/)]);
  });
});

describe.concurrent('the cycle check', () => {
  /** Runs `npm run lint:cycles` on another folder, asking madge for JSON. */
  const cycles = async (folder: string): Promise<{ code: number; cycles: string[][] }> => {
    const scripts = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const [command, ...args] = (scripts['lint:cycles'] as string).split(' ');
    expect([command, args.pop()]).toEqual(['madge', 'src']);
    return new Promise((resolve, reject) => {
      execFile(join(root, 'node_modules/.bin/madge'), [...args, '--json', folder], { cwd: root }, (error, stdout) => {
        const code = error === null ? 0 : error.code;
        if (typeof code !== 'number') reject(error as Error);
        else resolve({ code, cycles: JSON.parse(stdout) as string[][] });
      });
    });
  };

  it('fails on a two-file cycle of NodeNext imports, a type-only one included', async () => {
    expect(await cycles(join(copy, 'cycle'))).toEqual({ code: 1, cycles: [['a.ts', 'b.ts']] });
  });

  it('finds no cycle in the emulator', async () => {
    expect(await cycles('src/emulator')).toEqual({ code: 0, cycles: [] });
  });
});
