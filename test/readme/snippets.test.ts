// The README's JavaScript samples run as written: each ```js block of README.md, saved as a file next to the project's
// dependencies, is run by this Node with a task's id as its argument and GRAPHQL_ENDPOINT naming a started gateway
// (the README's keys, the embedded emulator); it must print the task's updates to its end, and nothing on stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/eventually.js';
import { mirrorReady, type TestGateway } from '../harness/gateway.js';
import { metric } from '../harness/live.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const SNIPPETS = [...README.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
/** Where the samples are saved: below the project, so that their imports resolve to its node_modules. */
const DIR = fileURLToPath(new URL('../../node_modules/.cache/readme-snippets/', import.meta.url));
/** The keys the README's samples send. */
const KEYS = 'dashboard-key:read,ops-key:operate';

/** A device that will take an upgrade now, and a task upgrading it (the ops key creates it). */
async function newTask(stack: Stack, gateway: TestGateway): Promise<string> {
  const ops = (query: string, variables?: Record<string, unknown>) => gateway.graphql(query, { variables, apiKey: 'ops-key' }).then((reply) => reply.json as Json);
  const { data } = await ops('{ fleet(first: 50) { nodes { id deviceType model fwVersion } } upgradePackages(filter: { type: FIRMWARE }, first: 100) { nodes { id deviceType model version } } }');
  for (const device of data.fleet.nodes) {
    const pkg = data.upgradePackages.nodes.find((p: Json) => p.deviceType === device.deviceType && p.model === device.model && p.version !== device.fwVersion);
    if (!pkg) continue;
    await stack.platform.control(`devices/${device.id}`, { status: 'ONLINE' });
    const created = await ops('mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }', {
      input: { fileId: pkg.id, targets: { deviceIds: [device.id] } },
    });
    return created.data.createFirmwareUpgradeTask.operationId as string;
  }
  throw new Error('no upgradable device');
}

async function liveSubscriptions(gateway: TestGateway): Promise<number> {
  return (await metric(gateway, 'live_subscriptions', { transport: 'websocket' })) + (await metric(gateway, 'live_subscriptions', { transport: 'sse' }));
}

describe("the README's JavaScript samples", () => {
  let stack: Stack;
  let gateway: TestGateway;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ platform: 'embedded', env: { MIRROR_BUDGET_SHARE: '0.5', GATEWAY_API_KEYS: KEYS } });
    gateway = stack.gateway;
    await mirrorReady(gateway);
    mkdirSync(DIR, { recursive: true });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(DIR, { recursive: true, force: true });
    await stack?.close();
  });

  it('are there: one over graphql-ws, one over graphql-sse', () => {
    expect(SNIPPETS.map((code) => /from '(graphql-ws|graphql-sse)'/.exec(code)?.[1])).toEqual(['graphql-ws', 'graphql-sse']);
  });

  it.each(SNIPPETS.map((code, index) => [index + 1, code] as const))('sample %i follows a task to its end, as written', { timeout: 60_000 }, async (index, code) => {
    const file = `${DIR}sample-${index}.mjs`;
    writeFileSync(file, code);
    const id = await newTask(stack, gateway);
    const before = await liveSubscriptions(gateway);
    const child = spawn(process.execPath, [file, id], { env: { PATH: process.env.PATH ?? '', GRAPHQL_ENDPOINT: gateway.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // Subscribed: then the emulator's clock moves the upgrade on to its end.
      await eventually(() => liveSubscriptions(gateway), (open) => open > before || child.exitCode !== null, 20_000);
      expect(stderr).toBe('');
      await eventually(
        async () => {
          await stack.platform.advance(10);
          return stdout;
        },
        (printed) => printed.includes("status: 'SUCCESS'") || child.exitCode !== null,
        30_000,
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(stderr).toBe('');
    const updates = stdout.trim().split(/\n(?=\{)/);
    expect(updates.at(-1)).toMatch(/^\{ operationUpdated: \{ status: 'SUCCESS', stats: \{ progress: 1 \} \} \}$/);
  });
});
