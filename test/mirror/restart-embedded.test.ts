// One platform per store, as `npm start` runs it: the gateway with its embedded emulator on a kept data dir (the
// defaults otherwise: budget 100/60 s, the emulator's throttle, push on, a realtime clock). A restart shows the same
// platform (its tasks, the clock going on) and a consistent dashboard; a data dir or database that mirrors another
// platform or application is refused in one line naming its variable; an equivalent URL or another emulator port
// is the same platform.
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteSource } from '../../src/store/mirror-source.js';
import { freePort, mirrorReady, refusalLines, runMain, startedLine, startGatewayProcess, TEST_API_KEY, type GatewayProcess } from '../harness/gateway.js';
import { startPlatform, type Platform } from '../harness/platform.js';
import { testStoreLocation, type TestStoreLocation } from '../harness/store.js';
import { DASHBOARD } from '../ops/support.js';
import { eventually } from '../harness/eventually.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The README's dashboard, with each task's subtask count. */
const DASHBOARD_WITH_COUNTS = DASHBOARD.replace('subtasks(first: 10) {', 'subtasks(first: 10) { totalCount');
const STATE_FILE = join('emulator', 'state.json');

const dirs: string[] = [];
const processes: GatewayProcess[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-restart-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const gateway of processes) await gateway.stop('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** `npm start` on this data dir: the embedded emulator on a port of its own choosing. */
function embeddedEnv(dir: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return { PORT: String(port), EMULATOR_PORT: '0', GATEWAY_DATA_DIR: dir, GATEWAY_PLAYGROUND: 'off', ...extra };
}

async function start(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess(env);
  processes.push(gateway);
  return gateway;
}

/** The embedded emulator's URL, as the gateway's start-up summary names it (its platform). */
function emulatorOf(gateway: GatewayProcess): string {
  const started = startedLine(gateway.log.lines.join('\n'));
  expect(started).toMatchObject({ emulator: true });
  return started.platform as string;
}

async function control(emulator: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${emulator}/_emulator/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}


/** An upgrade task on three devices of a firmware package's model, through the mutation. */
async function createTask(gateway: GatewayProcess): Promise<string> {
  const packages = await gateway.query('{ upgradePackages(filter: { type: FIRMWARE, model: "WM100" }, first: 1) { nodes { id } } }');
  const fleet = await gateway.query('{ fleet(filter: { model: "WM100" }, first: 3) { nodes { id } } }');
  const created = await gateway.query(
    'mutation($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId } }',
    { input: { fileId: packages.data.upgradePackages.nodes[0].id, targets: { deviceIds: fleet.data.fleet.nodes.map((d: Json) => d.id) } } },
  );
  expect(created.errors).toBeUndefined();
  return created.data.createFirmwareUpgradeTask.operationId;
}

const allTaskIds = async (gateway: GatewayProcess): Promise<string[]> =>
  (await gateway.query('{ operations(first: 500) { nodes { id } } }')).data.operations.nodes.map((o: Json) => o.id);

/** The dashboard answers without an error, and every task's subtasks are as many as its stats say. */
async function consistentDashboard(gateway: GatewayProcess): Promise<Json[]> {
  const body = await gateway.query(DASHBOARD_WITH_COUNTS);
  expect(body.errors).toBeUndefined();
  const tasks: Json[] = body.data.operations.nodes;
  expect(tasks.length).toBe(20);
  for (const task of tasks) expect({ id: task.id, subtasks: task.subtasks.totalCount }).toEqual({ id: task.id, subtasks: task.stats.total });
  return tasks;
}

describe('a restart with the embedded emulator on a kept data dir', () => {
  let dir: string;
  let port: number;
  let before: string;
  let idsBefore: string[];
  let clockBefore: number;
  let identity: string;

  beforeAll(async () => {
    dir = await dataDir();
    port = await freePort();
  });

  it('shows the same platform: its tasks, the clock going on, a consistent dashboard, new ids for new tasks', { timeout: 120_000 }, async () => {
    const first = await start(embeddedEnv(dir, port));
    await mirrorReady(first, 60_000);
    before = await createTask(first);
    // Its subtasks are still waiting or running when the gateway stops.
    const firstEmulator = emulatorOf(first);
    await control(firstEmulator, 'clock', { advanceSeconds: 20 });
    const inFlight = await control(firstEmulator, `state/operations/${before}`);
    expect(inFlight.subtasks.some((s: Json) => s.status === 'wait' || s.status === 'processing')).toBe(true);
    idsBefore = await allTaskIds(first);
    clockBefore = Date.parse((await control(firstEmulator, 'clock')).now);
    await first.stop();
    expect(existsSync(join(dir, STATE_FILE))).toBe(true);

    const second = await start(embeddedEnv(dir, port));
    const emulator = emulatorOf(second);
    expect(emulator).not.toBe(firstEmulator);
    expect(Date.parse((await control(emulator, 'clock')).now)).toBeGreaterThanOrEqual(clockBefore);
    await mirrorReady(second);
    const tasks = await consistentDashboard(second);
    expect(tasks.map((t) => t.id)).toContain(before);
    expect(await allTaskIds(second)).toEqual(expect.arrayContaining(idsBefore));

    // The task that was in flight goes on to its end.
    await control(emulator, 'clock', { advanceSeconds: 600 });
    expect((await control(emulator, `state/operations/${before}`)).status).toMatch(/^(success|failed)$/);

    const after = await createTask(second);
    expect(idsBefore).not.toContain(after);
    const created = await eventually(
      () => second.query('query($id: ID!) { operation(id: $id) { stats { total } subtasks { totalCount } } }', { id: after }),
      (body) => body.data?.operation?.stats.total === 3,
    );
    expect(created.data.operation.subtasks.totalCount).toBe(3);
    await consistentDashboard(second);
    identity = JSON.parse(new Database(join(dir, 'gateway.sqlite'), { readonly: true }).prepare("select value from mirror_meta where key = 'mirror.source'").pluck().get() as string).platform;
    expect(identity).toMatch(/^emulator:[0-9a-f-]{36}$/);
    await second.stop();
  });

  it('refuses the data dir for another application of that emulator, in one line naming GATEWAY_DATA_DIR', async () => {
    const kept = statSync(join(dir, STATE_FILE)).mtimeMs;
    const { code, stdout, stderr } = await runMain(embeddedEnv(dir, 0, { NORTHBOUND_APP_ID: 'authorised-app', NORTHBOUND_SECRET: 'authorised-secret' }));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const id = identity.slice('emulator:'.length);
    expect(refusalLines(stderr)).toEqual([
      `GATEWAY_DATA_DIR: ${dir} holds the mirror of the embedded emulator ${id}, app emulator-app, not of this one (the embedded emulator ${id}, app authorised-app); ` +
        "move that directory away (or delete it) to start afresh, or set GATEWAY_DATA_DIR to this platform's own directory",
    ]);
    // A refused start writes nothing there.
    expect(statSync(join(dir, STATE_FILE)).mtimeMs).toBe(kept);
  });

  it('adopts the platform it starts with when the store names none (a store from before), and says so', { timeout: 60_000 }, async () => {
    const store = new Database(join(dir, 'gateway.sqlite'));
    store.prepare("delete from mirror_meta where key = 'mirror.source'").run();
    store.close();
    const gateway = await start(embeddedEnv(dir, port));
    const adopted = gateway.log.records().filter((r) => /predates that record/.test(r.msg));
    expect(adopted).toHaveLength(1);
    expect(adopted[0].mirrors).toMatch(/^the embedded emulator [0-9a-f-]{36}, app emulator-app$/);
    await gateway.stop();
  });
});

describe('a damaged emulator state', () => {
  it('stops the start in one line naming GATEWAY_DATA_DIR and the file', async () => {
    const dir = await dataDir();
    await mkdir(join(dir, 'emulator'));
    await writeFile(join(dir, STATE_FILE), '{"format":1,"identity":');
    const { code, stdout, stderr } = await runMain(embeddedEnv(dir, 0));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(refusalLines(stderr)).toEqual([
      `GATEWAY_DATA_DIR: ${join(dir, STATE_FILE)} is not JSON (damaged or cut short); the embedded emulator cannot go on from it: move ${dir} away to start afresh (its store mirrors that emulator)`,
    ]);
  });
});

describe('a store of another platform', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ devices: 50 });
  });
  afterAll(async () => {
    await platform?.close();
  });

  const remoteEnv = (dir: string, url = platform.url) => ({
    PORT: '0',
    GATEWAY_DATA_DIR: dir,
    GATEWAY_PLAYGROUND: 'off',
    NORTHBOUND_URL: url,
    NORTHBOUND_APP_ID: platform.credentials.appId,
    NORTHBOUND_SECRET: platform.credentials.secret,
    GATEWAY_API_KEYS: `${TEST_API_KEY}:operate`,
  });

  it('is refused for the embedded emulator; the same platform by an equivalent URL is not', { timeout: 60_000 }, async () => {
    const dir = await dataDir();
    await (await start(remoteEnv(dir))).stop();
    // The same platform, spelt otherwise.
    await (await start(remoteEnv(dir, `${platform.url.toUpperCase().replace('HTTP://', 'http://')}/`))).stop();
    const { code, stdout, stderr } = await runMain(embeddedEnv(dir, 0));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(refusalLines(stderr)).toEqual([expect.stringMatching(new RegExp(`^GATEWAY_DATA_DIR: ${dir} holds the mirror of ${platform.url}, app emulator-app, not of this one \\(the embedded emulator [0-9a-f-]{36}, app emulator-app\\); move that directory away`))]);
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
  });

  it('compares a real platform by origin and path', () => {
    expect(remoteSource('https://IoT.example.com:443/api/', 'a')).toEqual(remoteSource('https://iot.example.com/api', 'a'));
    expect(remoteSource('https://iot.example.com:8743', 'a')).not.toEqual(remoteSource('https://iot.example.com:8744', 'a'));
    expect(remoteSource('https://iot.example.com/one', 'a')).not.toEqual(remoteSource('https://iot.example.com/two', 'a'));
  });
});

describe('a PostgreSQL database', () => {
  let database: TestStoreLocation;
  beforeAll(async () => {
    database = await testStoreLocation('postgres');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('of an embedded emulator that kept no state is refused at the next start, in one line naming DATABASE_URL', { timeout: 60_000 }, async () => {
    // GATEWAY_DATA_DIR=:memory: keeps no emulator state: each start is a new platform.
    const env = { PORT: '0', EMULATOR_PORT: '0', GATEWAY_DATA_DIR: ':memory:', GATEWAY_PLAYGROUND: 'off', ...database.env };
    expect((await runMain(env)).code).toBe(0);
    const { code, stdout, stderr } = await runMain(env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(refusalLines(stderr)).toEqual([expect.stringMatching(/^DATABASE_URL: the database holds the mirror of the embedded emulator [0-9a-f-]{36}, app emulator-app, not of this one \(the embedded emulator [0-9a-f-]{36}, app emulator-app\); drop it and create it empty to start afresh/)]);
    expect(stderr).not.toContain(database.env.DATABASE_URL);
  });
});
