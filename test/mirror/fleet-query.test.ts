// Fleet queries on both store engines, against the emulator over real HTTP: every operator of the filter language
// (text, versions compared part by part, times, status, and/or/not, the flat fields as they were), fleetAggregate and
// compliance, each checked against the emulator's own devices (their ids over its REST API, each device's state from
// its control API) with the expectation computed here; all of it with 0 platform calls; limits refused with paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../harness/emulator.js';
import { mirrorReady } from '../harness/gateway.js';
import { PATH } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { ENGINES } from '../harness/store.js';
import { platformDevices, platformQuiet, versionCompare, type Dev, type Json } from './fleet-support.js';

type Filter = Record<string, unknown>;
const FLEET = 'query($f: DeviceFilter, $o: Int) { fleet(filter: $f, first: 500, offset: $o) { totalCount nodes { id } } }';
const AGGREGATE = `query($f: DeviceFilter, $g: [DeviceField!]!, $n: Int) {
  fleetAggregate(filter: $f, groupBy: $g, first: $n) { groupBy total bucketCount buckets { values count } } }`;
const COMPLIANCE = `query($p: ID, $product: ProductInput) {
  compliance(packageId: $p, product: $product) { model packageType total versions { version count online } newestPackage { id version } onNewest share } }`;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sorted = (ids: string[]) => [...ids].sort();

describe.each(ENGINES)('fleet queries (%s)', (engine) => {
  let stack: Stack;
  let devices: Dev[];
  let packages: Json[];
  const graphql = (query: string, variables?: Record<string, unknown>): Promise<Json> => stack.gateway.query(query, variables);
  const matching = async (filter: Filter): Promise<string[]> => {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const reply = await graphql(FLEET, { f: filter, o: offset });
      expect(reply.errors).toBeUndefined();
      ids.push(...reply.data.fleet.nodes.map((d: Json) => d.id));
      if (ids.length >= reply.data.fleet.totalCount) return sorted(ids);
    }
  };
  const expected = (test: (d: Dev) => boolean) => sorted(devices.filter(test).map((d) => d.id));

  beforeAll(async () => {
    stack = await startStack({ platform: { seed: 1, devices: 600 }, store: engine, gateway: 'none' });
    // The platform's own data, read before the gateway logs in (a login voids the application's other tokens).
    const api = new Api(stack.platform.url, stack.platform.credentials.appId, stack.platform.credentials.secret);
    await api.login();
    devices = await platformDevices(api, stack.platform);
    packages = (await api.ok(PATH.packages, { pageNo: 0, pageSize: 100 })).data;
    await stack.useGateway({ env: { MIRROR_BUDGET_SHARE: '0.5' } });
    await mirrorReady(stack.gateway, 60_000);
    await platformQuiet(stack.platform);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('matches what the platform holds, operator by operator, with 0 platform calls', async () => {
    const [a, b] = [devices[10] as Dev, devices[20] as Dev];
    const times = devices.map((d) => d.createdAt).sort((x, y) => x - y);
    const middle = times[Math.floor(times.length / 2)] as number;
    const recent = devices.map((d) => d.lastModifiedAt).sort((x, y) => x - y)[Math.floor(devices.length * 0.8)] as number;
    const cases: [string, Filter, (d: Dev) => boolean][] = [
      ['flat fields as before', { deviceType: 'WaterMeter', fwVersionNot: 'V1.2.1', status: ['ONLINE', 'OFFLINE'] }, (d) => d.deviceType === 'WaterMeter' && d.fwVersion !== 'V1.2.1' && ['ONLINE', 'OFFLINE'].includes(d.status)],
      ['nameContains', { nameContains: 'harbor' }, (d) => d.name.toLowerCase().includes('harbor')],
      ['eq', { where: { manufacturerId: { eq: 'acme' } } }, (d) => d.manufacturerId === 'acme'],
      ['ne', { where: { model: { ne: 'WM100' } } }, (d) => d.model !== 'WM100'],
      ['in', { where: { location: { in: ['Harbor', 'Airport'] } } }, (d) => ['Harbor', 'Airport'].includes(d.location)],
      ['notIn', { where: { protocolType: { notIn: ['CoAP', 'MQTT'] } } }, (d) => !['CoAP', 'MQTT'].includes(d.protocolType)],
      ['id in', { where: { id: { in: [a.id, b.id, 'no-such-device'] } } }, (d) => d.id === a.id || d.id === b.id],
      ['prefix', { where: { serialNumber: { prefix: 'WM2' } } }, (d) => d.serialNumber.startsWith('WM2')],
      ['prefix is case-sensitive', { where: { serialNumber: { prefix: 'wm2' } } }, () => false],
      ['like *', { where: { name: { like: '*-Harbor-*' } } }, (d) => /^.*-Harbor-.*$/.test(d.name)],
      ['like ?', { where: { name: { like: 'Gas?eter-*' } } }, (d) => /^Gas.eter-.*$/.test(d.name)],
      ['like on mac', { where: { mac: { like: `${a.mac.slice(0, 3)}*` } } }, (d) => d.mac.startsWith(a.mac.slice(0, 3))],
      ['nodeType and gatewayId', { where: { nodeType: { eq: 'GATEWAY' }, gatewayId: { isNull: false } } }, (d) => d.nodeType === 'GATEWAY'],
      ['isNull', { where: { manufacturerName: { isNull: true } } }, () => false],
      ['version range', { where: { fwVersion: { gte: '1.2', lt: '2' } } }, (d) => versionCompare(d.fwVersion, '1.2') >= 0 && versionCompare(d.fwVersion, '2') < 0],
      ['version range, open', { where: { swVersion: { gt: 'S1.0.0', lte: '4.1' } } }, (d) => versionCompare(d.swVersion, '1.0.0') > 0 && versionCompare(d.swVersion, '4.1') <= 0],
      ['version bound equal to a shorter one', { where: { hwVersion: { lte: 'H2' } } }, (d) => versionCompare(d.hwVersion, '2') <= 0],
      ['version as text', { where: { fwVersion: { eq: 'V1.2.1' }, swVersion: { prefix: 'S1.' } } }, (d) => d.fwVersion === 'V1.2.1' && d.swVersion.startsWith('S1.')],
      ['status', { where: { status: { in: ['ONLINE', 'ABNORMAL'] } } }, (d) => ['ONLINE', 'ABNORMAL'].includes(d.status)],
      ['status ne', { where: { status: { ne: 'ONLINE' } } }, (d) => d.status !== 'ONLINE'],
      ['created, bounds inclusive and exclusive', { where: { createdAt: { gte: iso(middle), lt: iso(times.at(-1) as number) } } }, (d) => d.createdAt >= middle && d.createdAt < (times.at(-1) as number)],
      ['created after', { where: { createdAt: { gt: iso(middle) } } }, (d) => d.createdAt > middle],
      ['last seen (lastModifiedAt) since', { where: { lastModifiedAt: { gte: iso(recent) } } }, (d) => d.lastModifiedAt >= recent],
      ['syncedAt', { where: { syncedAt: { lte: iso(Date.now() + 60_000), isNull: false } } }, () => true],
      [
        'or of and',
        { or: [{ where: { model: { eq: 'WM200' } } }, { and: [{ deviceType: 'GasMeter' }, { where: { status: { eq: 'ONLINE' } } }] }] },
        (d) => d.model === 'WM200' || (d.deviceType === 'GasMeter' && d.status === 'ONLINE'),
      ],
      ['not', { not: { where: { location: { in: ['Harbor', 'Airport'] } } } }, (d) => !['Harbor', 'Airport'].includes(d.location)],
      ['not of nothing is everything', { not: { where: { manufacturerName: { isNull: true } } } }, () => true],
      [
        'all at once',
        { deviceType: 'WaterMeter', where: { fwVersion: { lt: 'V2' } }, not: { or: [{ where: { status: { eq: 'INACTIVE' } } }, { where: { location: { like: 'H*' } } }] } },
        (d) => d.deviceType === 'WaterMeter' && versionCompare(d.fwVersion, '2') < 0 && !(d.status === 'INACTIVE' || d.location.startsWith('H')),
      ],
    ];
    const { result, total } = await stack.callsDuring(async () => {
      const seen: [string, string[], string[]][] = [];
      for (const [name, filter, test] of cases) seen.push([name, await matching(filter), expected(test)]);
      return seen;
    });
    for (const [name, got, want] of result) expect({ name, ids: got }).toEqual({ name, ids: want });
    // The cases are not trivial: most match some devices and miss others.
    expect(result.filter(([, got]) => got.length > 0 && got.length < devices.length).length).toBeGreaterThan(cases.length - 6);
    expect(total).toBe(0);
  });

  it('counts per bucket of field values as the platform does, most devices first, with totals', async () => {
    const filter = { where: { deviceType: { in: ['WaterMeter', 'GasMeter'] }, lastModifiedAt: { isNull: false } } };
    const chosen = devices.filter((d) => ['WaterMeter', 'GasMeter'].includes(d.deviceType));
    const counts = new Map<string, number>();
    for (const d of chosen) counts.set(JSON.stringify([d.fwVersion, d.manufacturerName, d.status]), (counts.get(JSON.stringify([d.fwVersion, d.manufacturerName, d.status])) ?? 0) + 1);
    const groupBy = ['FW_VERSION', 'MANUFACTURER_NAME', 'STATUS'];

    const { result: all, total: calls, byRoute } = await stack.callsDuring(() => graphql(AGGREGATE, { f: filter, g: groupBy, n: 1000 }));
    expect({ calls, byRoute }).toEqual({ calls: 0, byRoute: {} });
    const aggregate = all.data.fleetAggregate;
    expect(aggregate).toMatchObject({ groupBy, total: chosen.length, bucketCount: counts.size });
    expect(new Map(aggregate.buckets.map((b: Json) => [JSON.stringify(b.values), b.count]))).toEqual(counts);
    const shown = aggregate.buckets.map((b: Json) => b.count);
    expect(shown).toEqual([...shown].sort((x: number, y: number) => y - x));

    const top = (await graphql(AGGREGATE, { f: filter, g: groupBy, n: 3 })).data.fleetAggregate;
    expect(top).toMatchObject({ total: chosen.length, bucketCount: counts.size });
    expect(top.buckets.map((b: Json) => b.count)).toEqual([...counts.values()].sort((x, y) => y - x).slice(0, 3));

    const byLocation = (await graphql(AGGREGATE, { g: ['LOCATION'] })).data.fleetAggregate;
    const locations = new Map<string, number>();
    for (const d of devices) locations.set(d.location, (locations.get(d.location) ?? 0) + 1);
    expect(byLocation.total).toBe(devices.length);
    expect(new Map(byLocation.buckets.map((b: Json) => [b.values[0], b.count]))).toEqual(locations);

    const none = (await graphql(AGGREGATE, { f: { where: { model: { eq: 'no-such-model' } } }, g: ['MODEL'] })).data.fleetAggregate;
    expect(none).toEqual({ groupBy: ['MODEL'], total: 0, bucketCount: 0, buckets: [] });
  });

  it("compliance: a product's devices per version, and the share on its newest package's version", async () => {
    const firmware = packages.filter((p) => p.model === 'WM100' && p.fileType === 'firmwarePackage');
    const newest = firmware.reduce((best, p) => (versionCompare(p.version, best.version) > 0 ? p : best));
    const wm100 = devices.filter((d) => d.model === 'WM100');
    const perVersion = new Map<string, { count: number; online: number }>();
    for (const d of wm100) {
      const entry = perVersion.get(d.fwVersion) ?? { count: 0, online: 0 };
      perVersion.set(d.fwVersion, { count: entry.count + 1, online: entry.online + (d.status === 'ONLINE' ? 1 : 0) });
    }
    const onNewest = perVersion.get(newest.version)?.count ?? 0;

    const { result, total } = await stack.callsDuring(() => graphql(COMPLIANCE, { product: { model: 'WM100' } }));
    expect(total).toBe(0);
    const c = result.data.compliance;
    expect(c).toMatchObject({ model: 'WM100', packageType: 'FIRMWARE', total: wm100.length, newestPackage: { id: newest.fileId, version: newest.version }, onNewest });
    expect(c.share).toBeCloseTo(onNewest / wm100.length, 4);
    expect(new Map(c.versions.map((v: Json) => [v.version, { count: v.count, online: v.online }]))).toEqual(perVersion);
    const versions = c.versions.map((v: Json) => v.version);
    expect(versions).toEqual([...versions].sort((x: string, y: string) => versionCompare(y, x)));

    // By a package: its product and type (software here); the newest of that product's software packages.
    const software = packages.filter((p) => p.model === 'WM200' && p.fileType === 'softwarePackage');
    const oldest = software.reduce((low, p) => (versionCompare(p.version, low.version) < 0 ? p : low));
    const newestSw = software.reduce((best, p) => (versionCompare(p.version, best.version) > 0 ? p : best));
    const wm200 = devices.filter((d) => d.model === 'WM200');
    const byPackage = (await graphql(COMPLIANCE, { p: oldest.fileId })).data.compliance;
    expect(byPackage).toMatchObject({ model: 'WM200', packageType: 'SOFTWARE', total: wm200.length, newestPackage: { version: newestSw.version } });
    expect(byPackage.onNewest).toBe(wm200.filter((d) => d.swVersion === newestSw.version).length);
  });

  it('refuses filters past their limits and malformed questions with BAD_USER_INPUT and field paths', async () => {
    const deep = [1, 2, 3, 4, 5, 6].reduce<Filter>((inner) => ({ not: inner }), { deviceType: 'WaterMeter' });
    const refusals: [string, Record<string, unknown>, string, string][] = [
      [FLEET, { f: deep }, 'filter.not.not.not.not.not.not', 'maxDepth'],
      [FLEET, { f: { or: [{ deviceType: 'x' }, { where: { fwVersion: { gte: '1.2-rc1' } } }] } }, 'filter.or.1.where.fwVersion.gte', 'comparableVersion'],
      [FLEET, { f: { and: [] } }, 'filter.and', 'notEmpty'],
      [FLEET, { f: { where: { id: { in: Array.from({ length: 1001 }, (_, i) => `d${i}`) } } } }, 'filter.where.id.in', 'maxItems'],
      [FLEET, { f: { or: Array.from({ length: 101 }, () => ({ deviceType: 'x' })) } }, 'filter', 'maxTerms'],
      [AGGREGATE, { g: ['MODEL', 'MODEL'] }, 'groupBy', 'arrayUnique'],
      [AGGREGATE, { g: [] }, 'groupBy', 'arrayMinSize'],
      [AGGREGATE, { g: ['MODEL'], n: 0 }, 'first', 'min'],
      [AGGREGATE, { g: ['MODEL'], f: { where: { hwVersion: { lt: 'beta' } } } }, 'filter.where.hwVersion.lt', 'comparableVersion'],
      [COMPLIANCE, { p: 'x', product: { model: 'WM100' } }, 'packageId', 'exactlyOne'],
      [COMPLIANCE, { product: {} }, 'product', 'notEmpty'],
      [COMPLIANCE, { p: 'no-such-package' }, 'packageId', 'packageExists'],
    ];
    const { result, total } = await stack.callsDuring(() => Promise.all(refusals.map(([query, variables]) => graphql(query, variables))));
    expect(total).toBe(0);
    result.forEach((reply, i) => {
      const [, , path, rule] = refusals[i] as (typeof refusals)[number];
      expect(reply.errors?.[0]?.extensions?.code, path).toBe('BAD_USER_INPUT');
      expect(reply.errors[0].extensions.validationErrors, path).toContainEqual(expect.objectContaining({ path, rule }));
    });
  });

  it('takes the same filter as rollout targets', async () => {
    const pkg = packages.filter((p) => p.model === 'WM200' && p.fileType === 'firmwarePackage').reduce((best, p) => (versionCompare(p.version, best.version) > 0 ? p : best));
    const create = (filter: Filter) =>
      graphql('mutation($input: CreateRolloutInput!) { createRollout(input: $input) { rollout { total waves { deviceIds } } } }', {
        input: { fileId: pkg.fileId, targets: { filter }, waves: [{ percent: 100 }] },
      });
    const refused = await create({ model: 'WM200', where: { fwVersion: { lt: 'latest' } } });
    expect(refused.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(refused.errors[0].extensions.validationErrors).toContainEqual(expect.objectContaining({ path: 'input.targets.filter.where.fwVersion.lt', rule: 'comparableVersion' }));

    const filter = { model: 'WM200', where: { fwVersion: { lt: pkg.version } }, not: { where: { status: { eq: 'INACTIVE' } } } };
    const want = expected((d) => d.model === 'WM200' && versionCompare(d.fwVersion, pkg.version) < 0 && d.status !== 'INACTIVE');
    const reply = await create(filter);
    expect(reply.errors).toBeUndefined();
    expect(sorted(reply.data.createRollout.rollout.waves.flatMap((w: Json) => w.deviceIds))).toEqual(want);
  });
});
