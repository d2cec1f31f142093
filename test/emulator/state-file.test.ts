// The emulator's state file: an emulator started from a state saved with work in flight ends exactly where the one
// that saved it ends (same tasks, subtasks, outcomes, device versions, batch details and clock), its identity goes
// with the file and changes with a reset, and the ids it hands out are not those a seeded emulator hands out.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { Api, START_TIME, allPages } from '../harness/emulator.js';
import { PATH } from '../harness/routes.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPTIONS: EmulatorOptions = { port: 0, seed: 11, devices: 200, clock: 'manual', startTime: START_TIME, throttlePerMinute: null };

let dir: string;
let stateFile: string;
const running: RunningEmulator[] = [];

async function start(options: EmulatorOptions = {}): Promise<{ emulator: RunningEmulator; api: Api }> {
  const emulator = await startEmulator({ ...OPTIONS, ...options });
  running.push(emulator);
  const api = new Api(emulator.url, emulator.credentials.appId, emulator.credentials.secret);
  api.autoLogin = true;
  expect((await api.login()).status).toBe(200);
  return { emulator, api };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-state-'));
  stateFile = join(dir, 'state.json');
});
afterAll(async () => {
  for (const emulator of running) await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

/** The same calls on both: tasks of every kind, a steered device, a deleted package; returns the created ids. */
async function createWork(api: Api): Promise<{ operations: string[]; batches: string[] }> {
  const devices: Json[] = await allPages(api, PATH.devices, {}, 'devices', 250);
  const packages: Json[] = (await api.ok(PATH.packages, { fileType: 'firmwarePackage', pageSize: 100 })).data;
  const pkg = packages.find((p) => devices.filter((d) => d.deviceInfo.model === p.model).length >= 8) as Json;
  const targets = devices.filter((d) => d.deviceInfo.model === pkg.model).map((d) => d.deviceId);
  await api.control('POST', '/outcomes', { upgradeFailureRate: 1, deviceIds: [targets[0]] });
  const create = async (policy: Json, ids: string[]) => (await api.post(PATH.fwUpgrade, { fileId: pkg.fileId, targets: { devices: ids }, policy })).body.operationId as string;
  const clock = await api.clock();
  const inMinutes = (m: number) => new Date(Date.parse(clock.now) + m * 60_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const operations = [
    await create({ executeType: 'now', retryType: true, retryTimes: 2 }, targets.slice(0, 4)),
    await create({ executeType: 'device_online' }, targets.slice(4, 8)),
    await create({ executeType: 'custom', startTime: inMinutes(2), endTime: inMinutes(12) }, targets.slice(0, 6)),
  ];
  const batch = await api.post(PATH.batchTasks, {
    appId: api.appId,
    taskName: 'restart-check',
    taskType: 'DeviceCmd',
    timeout: 30,
    param: { type: 'DeviceList', deviceList: devices.slice(0, 40).map((d) => d.deviceId), command: { serviceId: 'Meter', method: 'READ_NOW', paras: {} } },
  });
  // The package leaves the list; the tasks that name it keep it.
  expect((await api.delete(`${PATH.packages}/${pkg.fileId}`)).status).toBeLessThan(300);
  return { operations, batches: [batch.body.taskID] };
}

/** Everything a client and the control API can see of the platform, for comparison. */
async function view(api: Api, created: { operations: string[]; batches: string[] }): Promise<Json> {
  const operations: Json[] = await allPages(api, PATH.operations, {}, 'data', 100);
  const devices: Json[] = await allPages(api, PATH.devices, {}, 'devices', 250);
  return {
    clock: (await api.clock()).now,
    operations: await Promise.all(operations.map((o) => api.control('GET', `/state/operations/${o.operationId}`))),
    created: created.operations.length,
    batches: await Promise.all(created.batches.map((id) => api.control('GET', `/state/batchTasks/${id}`))),
    devices: devices.map((d) => [d.deviceId, d.deviceInfo.fwVersion, d.deviceInfo.swVersion, d.deviceInfo.status, d.lastModifiedTime]),
  };
}

/** Waits until the file holds the state at the emulator's current (manual) clock. */
async function savedAt(file: string, api: Api): Promise<void> {
  const now = Date.parse((await api.clock()).now);
  for (let i = 0; i < 100; i++) {
    const saved = await readFile(file, 'utf8').then((text) => JSON.parse(text).now as number, () => undefined);
    if (saved === now) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${file} was not saved at the current clock`);
}

describe('the emulator state file', () => {
  let created: { operations: string[]; batches: string[] };
  let kept: { emulator: RunningEmulator; api: Api };
  let identity: string;

  it('goes on from a saved state exactly as the emulator that saved it', { timeout: 60_000 }, async () => {
    kept = await start({ stateFile });
    kept.emulator.keepState();
    identity = kept.emulator.identity;
    expect(kept.emulator.restored).toBe(false);
    created = await createWork(kept.api);
    // Mid-flight: subtasks waiting and running, the batch task sending its commands.
    await kept.api.advance(40);
    const before = await view(kept.api, created);
    const flight = before.operations.flatMap((o: Json) => o.subtasks.map((s: Json) => s.status));
    expect(flight).toContain('processing');
    expect(flight).toContain('wait');
    await savedAt(stateFile, kept.api);
    const copy = join(dir, 'copy.json');
    await copyFile(stateFile, copy);

    // Its own options no longer matter: the state's apply.
    const restored = await start({ stateFile: copy, seed: 99, devices: 5 });
    restored.emulator.keepState();
    expect(restored.emulator.restored).toBe(true);
    expect(restored.emulator.identity).toBe(identity);
    expect(await view(restored.api, created)).toEqual(before);

    for (let i = 0; i < 24; i++) for (const { api } of [restored, kept]) await api.advance(600);
    const after = await view(kept.api, created);
    expect(await view(restored.api, created)).toEqual(after);
    const ours = after.operations.filter((o: Json) => created.operations.includes(o.operationId));
    expect(ours.map((o: Json) => o.status).every((s: string) => s === 'success' || s === 'failed')).toBe(true);
    expect(after.batches[0].status).toMatch(/Complete|Timeout/);

    // Closed and started again: the same state, the clock where it stood.
    await kept.emulator.close();
    kept = await start({ stateFile });
    expect(await view(kept.api, created)).toEqual(after);
  });

  it('hands out ids a seeded emulator of the same options does not', async () => {
    const seeded = await start();
    const next = async (api: Api) => (await api.post(PATH.batchTasks, {
      appId: api.appId,
      taskName: 'after-restart',
      taskType: 'DeviceCmd',
      timeout: 10,
      param: { type: 'DeviceList', deviceList: ['00000000-0000-4000-8000-000000000000'], command: { serviceId: 'Meter', method: 'READ_NOW' } },
    })).body.taskID as string;
    const fresh = await start({ stateFile: join(dir, 'fresh.json') });
    const ids = [await next(kept.api), await next(fresh.api), await next(seeded.api)];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(3);
    expect(ids[1]).not.toBe(await next((await start()).api));
  });

  it('takes a new identity with a reset', async () => {
    await kept.api.reset({});
    expect(kept.emulator.identity).not.toBe(identity);
  });

  it('refuses a damaged file, naming it', async () => {
    const damaged = join(dir, 'damaged.json');
    await writeFile(damaged, '{"format":1,');
    await expect(startEmulator({ ...OPTIONS, stateFile: damaged })).rejects.toThrow(`${damaged} is not JSON`);
  });
});
