// Fleet queries with the settings a user gets (budget 100 calls / 60 s, the emulator's real throttle on a wall
// clock, push on): fleetAggregate and compliance answer what the platform holds, from the mirror, making no platform
// call. The mirror goes on polling in the background, so a question is asked up to three times (each time another
// question, so that no answer comes from the response cache) until one found the platform quiet around it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../harness/emulator.js';
import { mirrorReady, reachableEnv } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { platformDevices, versionCompare, type Dev, type Json } from './fleet-support.js';
import { USER_DEFAULTS } from './support.js';

describe('fleet queries under the defaults', () => {
  let stack: Stack;
  let devices: Dev[];

  beforeAll(async () => {
    stack = await startStack({ platform: { seed: 1, devices: 500, clock: 'realtime', startTime: undefined, throttlePerMinute: 100 }, proxy: true, gateway: 'none' });
    const api = new Api(stack.platform.url, stack.platform.credentials.appId, stack.platform.credentials.secret);
    await api.login();
    devices = await platformDevices(api, stack.platform);
    await stack.useGateway({ env: { ...USER_DEFAULTS, ...(await reachableEnv()) } });
    await mirrorReady(stack.gateway, 60_000);
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('counts WM200 devices created in the last year per firmware version and manufacturer, and their compliance, with 0 platform calls', async () => {
    const since = Math.min(...devices.map((d) => d.createdAt)) + 30 * 86_400_000;
    const chosen = devices.filter((d) => d.model === 'WM200' && d.createdAt >= since);
    const buckets = new Map<string, number>();
    for (const d of chosen) buckets.set(JSON.stringify([d.fwVersion, d.manufacturerName]), (buckets.get(JSON.stringify([d.fwVersion, d.manufacturerName])) ?? 0) + 1);
    const wm200 = devices.filter((d) => d.model === 'WM200');
    const newest = [...new Set(wm200.map((d) => d.fwVersion))].sort(versionCompare).at(-1);

    let quiet: { calls: number; aggregate: Json; compliance: Json } | undefined;
    for (let attempt = 1; attempt <= 3 && !quiet; attempt++) {
      const { result, total } = await stack.callsDuring(() =>
        stack.gateway.query(
          `query($f: DeviceFilter, $n: Int) {
            fleetAggregate(filter: $f, groupBy: [FW_VERSION, MANUFACTURER_NAME], first: $n) { total bucketCount buckets { values count } }
            compliance(product: { model: "WM200" }) { total versions { version count } newestPackage { version } onNewest }
          }`,
          { f: { model: 'WM200', where: { createdAt: { gte: new Date(since).toISOString() } } }, n: 100 + attempt },
        ),
      );
      expect(result.errors).toBeUndefined();
      if (total === 0) quiet = { calls: total, aggregate: result.data.fleetAggregate, compliance: result.data.compliance };
    }
    expect(quiet?.calls).toBe(0);
    expect(quiet?.aggregate).toMatchObject({ total: chosen.length, bucketCount: buckets.size });
    expect(new Map(quiet?.aggregate.buckets.map((b: Json) => [JSON.stringify(b.values), b.count]))).toEqual(buckets);
    expect(quiet?.compliance.total).toBe(wm200.length);
    // The emulator's devices run every version but the newest package's: none is on it yet.
    expect(versionCompare(quiet?.compliance.newestPackage.version, newest as string)).toBeGreaterThan(0);
    expect(quiet?.compliance.onNewest).toBe(0);
  }, 60_000);
});
