// The emulator's devices as the fleet query tests compare with, and a version comparison of their own.
import type { Api } from '../harness/emulator.js';
import type { Platform } from '../harness/platform.js';
import { PATH } from '../harness/routes.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Dev {
  id: string;
  name: string;
  gatewayId: string;
  nodeType: string;
  manufacturerId: string;
  manufacturerName: string;
  deviceType: string;
  model: string;
  protocolType: string;
  fwVersion: string;
  swVersion: string;
  hwVersion: string;
  serialNumber: string;
  mac: string;
  location: string;
  status: string;
  createdAt: number;
  lastModifiedAt: number;
}

/** 20260301T000000Z as epoch ms. */
const compact = (t: string) => Date.parse(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`);

/** Every device of the application: ids over the REST API (logged in), each one's state from the control API. */
export async function platformDevices(api: Api, platform: Platform): Promise<Dev[]> {
  const ids: string[] = [];
  for (let page = 0; ; page++) {
    const body = await api.ok(PATH.devices, { pageNo: page, pageSize: 250 });
    ids.push(...body.devices.map((d: Json) => d.deviceId));
    if (ids.length >= body.totalCount) break;
  }
  const devices: Dev[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const states = await Promise.all(ids.slice(i, i + 100).map((id) => platform.state('devices', id)));
    devices.push(
      ...states.map((s: Json) => ({
        id: s.deviceId,
        gatewayId: s.gatewayId,
        nodeType: s.nodeType,
        createdAt: compact(s.createTime),
        lastModifiedAt: compact(s.lastModifiedTime),
        ...(({ name, manufacturerId, manufacturerName, deviceType, model, protocolType, fwVersion, swVersion, hwVersion, serialNumber, mac, location, status }) => ({
          name, manufacturerId, manufacturerName, deviceType, model, protocolType, fwVersion, swVersion, hwVersion, serialNumber, mac, location, status,
        }))(s.deviceInfo),
      })),
    );
  }
  return devices;
}

/** Numeric dotted versions part by part, letters before the first digit ignored, a missing part read as 0. */
export function versionCompare(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^[A-Za-z]+/, '').split('.').map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Once the mirror's background reads (groups' members, tasks' subtasks) are done: no platform call for 2 s. */
export async function platformQuiet(platform: Platform, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = (await platform.stats()).total;
  for (let quietSince = Date.now(); Date.now() - quietSince < 2_000; ) {
    if (Date.now() > until) throw new Error(`the platform is still called after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = (await platform.stats()).total;
    if (now !== last) [last, quietSince] = [now, Date.now()];
  }
}
