// `npm ci` builds what the gateway needs without a warning: package.json's allowScripts approves the install scripts
// of better-sqlite3 (the native store) and esbuild and leaves none unreviewed, so npm 11 says nothing of them and a
// later npm that blocks unreviewed scripts still builds the store. npm before allowScripts runs every script anyway.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function npm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', npm_config_update_notifier: 'false' };
    execFile('npm', args, { cwd: ROOT, env }, (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }));
  });
}

it('leaves no install script unreviewed, and approves the native store', { timeout: 60_000 }, async (context) => {
  const listed = await npm('install-scripts', 'ls', '--json');
  if (listed.code !== 0 && /Unknown command/.test(listed.stdout + listed.stderr)) context.skip('this npm has no allowScripts: it runs every install script');
  expect(listed.code, listed.stderr).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual({ allowScripts: [] });
  const { allowScripts } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { allowScripts: Record<string, boolean> };
  expect(allowScripts).toMatchObject({ 'better-sqlite3': true, esbuild: true });
});
