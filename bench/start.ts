/**
 * How long `npm start` takes to be ready (the endpoint printed), as a new user meets it: a first start that builds
 * everything (dist/ removed beforehand), a second with nothing changed, and a start after one source file changed;
 * then `node dist/src/main.js` alone for comparison. Removes dist/ (it is generated) and rebuilds it.
 *
 *   npm run bench:start
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const env = { ...process.env, PORT: '0', EMULATOR_PORT: '0', GATEWAY_DATA_DIR: ':memory:', LOG_LEVEL: 'warn' };

/** Seconds until the command prints its start-up summary; then it is stopped (its whole process group: npm, node). */
function secondsToReady(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let readyAfter: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // Off a terminal the start-up summary is one JSON line on stdout (src/main.ts).
      if (readyAfter === undefined && output.includes('"msg":"gateway started"')) {
        readyAfter = (performance.now() - started) / 1000;
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      }
    });
    child.once('exit', (code) => {
      if (readyAfter !== undefined) resolve(readyAfter);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

rmSync(`${root}/dist`, { recursive: true, force: true });
const first = await secondsToReady('npm', ['start']);
const second = await secondsToReady('npm', ['start']);
// tsc -b compares contents, not times: a blank line appended (and taken back after) is a change.
const changed = `${root}/src/logging/logger.ts`;
const original = readFileSync(changed);
appendFileSync(changed, '\n');
let third: number;
try {
  third = await secondsToReady('npm', ['start']);
} finally {
  writeFileSync(changed, original);
}
const direct = await secondsToReady('node', ['dist/src/main.js']);

const format = (seconds: number): string => `${seconds.toFixed(1)} s`;
console.log(`npm start, first (no dist/):      ${format(first)}`);
console.log(`npm start, second (no change):    ${format(second)}`);
console.log(`npm start, one source changed:    ${format(third)}`);
console.log(`node dist/src/main.js:            ${format(direct)}`);
