/** Generates the static part of the platform's data (apps, products, devices, groups, packages) from a seed. */
import type { App, ConnectivityProfile, Device, DeviceGroup, DeviceStatus, Product, UpgradePackage } from './model.js';
import { Random, mix32, pushTo } from './random.js';
import { DAY, HOUR, MINUTE } from './time.js';

export const AUTHORISED_APP = 'authorised-app';
export const UNAUTHORISED_APP = 'unauthorised-app';
export const FROZEN_APP = 'frozen-app';
export const FROZEN_SECRET = 'frozen-secret';

/** Devices the authorised app owns, so that appId= reads have something to show. */
const AUTHORISED_APP_DEVICES = 24;

const product = (
  manufacturerId: string,
  manufacturerName: string,
  deviceType: string,
  model: string,
  protocolType: string,
  firmwareVersions: string[],
  softwareVersions: string[],
): Product => ({ manufacturerId, manufacturerName, deviceType, model, protocolType, firmwareVersions, softwareVersions });

/** The catalogue, with the share of the fleet each product makes up. */
const PRODUCTS: readonly (readonly [Product, number])[] = [
  [product('acme', 'AcmeMetering', 'WaterMeter', 'WM100', 'LWM2M', ['V1.0.0', 'V1.1.0', 'V1.2.0', 'V1.2.1', 'V1.3.0'], ['S1.0.0', 'S1.1.0', 'S1.2.0']), 30],
  [product('acme', 'AcmeMetering', 'WaterMeter', 'WM200', 'LWM2M', ['V2.0.0', 'V2.0.1', 'V2.1.0', 'V2.2.0'], ['S2.0.0', 'S2.1.0']), 15],
  [product('acme', 'AcmeMetering', 'GasMeter', 'GM10', 'CoAP', ['V3.4.0', 'V3.5.0', 'V3.6.0', 'V3.6.2'], ['S3.0.0', 'S3.0.1', 'S3.1.0']), 15],
  [product('northwind', 'NorthwindSensors', 'SmokeDetector', 'SD1', 'CoAP', ['V0.9.0', 'V1.0.0', 'V1.0.3', 'V1.1.0'], ['S0.9.0', 'S1.0.0']), 15],
  [product('northwind', 'NorthwindSensors', 'MultiSensor', 'MS3', 'LWM2M', ['V4.0.0', 'V4.1.0', 'V4.2.0', 'V4.3.0', 'V4.3.1'], ['S4.0.0', 'S4.1.0', 'S4.2.0']), 12],
  [product('lumen', 'LumenSystems', 'StreetLight', 'SL40', 'LWM2M', ['V5.1.0', 'V5.2.0', 'V5.3.0'], ['S5.0.0', 'S5.1.0']), 8],
  [product('contoso', 'ContosoNetworks', 'Gateway', 'GW8', 'MQTT', ['V7.0.0', 'V7.1.0', 'V7.2.0'], ['S7.0.0', 'S7.0.5', 'S7.1.0']), 5],
];

const SITES = ['Harbor', 'Northgate', 'Riverside', 'OldTown', 'Airport', 'Westfield', 'Hillcrest', 'Lakeside', 'Eastport', 'Millbrook', 'Southpark', 'Greenway'];

/** Connectivity profiles and how common each is: mostly healthy, some flaky, some dark, some never activated. */
const PROFILES = [
  ['healthy', 70],
  ['flaky', 14],
  ['dark', 5],
  ['activating', 8],
  ['never', 3],
] as const;

export interface Fleet {
  apps: Map<string, App>;
  products: Product[];
  devices: Map<string, Device>;
  /** Each app's devices, oldest registration first. */
  devicesByApp: Map<string, Device[]>;
  groups: DeviceGroup[];
  packages: UpgradePackage[];
}

export interface FleetOptions {
  seed: number;
  devices: number;
  startTime: number;
  appId: string;
  secret: string;
}

export function generateFleet(options: FleetOptions): Fleet {
  const apps = new Map<string, App>([
    [options.appId, { appId: options.appId, secret: options.secret, frozen: false, readableApps: new Set([AUTHORISED_APP]) }],
    [AUTHORISED_APP, { appId: AUTHORISED_APP, secret: 'authorised-secret', frozen: false, readableApps: new Set() }],
    [UNAUTHORISED_APP, { appId: UNAUTHORISED_APP, secret: 'unauthorised-secret', frozen: false, readableApps: new Set() }],
    [FROZEN_APP, { appId: FROZEN_APP, secret: FROZEN_SECRET, frozen: true, readableApps: new Set() }],
  ]);
  const products = PRODUCTS.map(([p]) => p);
  const devices = new Map<string, Device>();
  const devicesByApp = new Map<string, Device[]>();
  const addAll = (appId: string, count: number, stream: number) => {
    const list = generateDevices(new Random(options.seed, stream), appId, count, options.startTime);
    devicesByApp.set(appId, list);
    for (const device of list) devices.set(device.deviceId, device);
  };
  addAll(options.appId, options.devices, 1);
  addAll(AUTHORISED_APP, AUTHORISED_APP_DEVICES, 2);
  return {
    apps,
    products,
    devices,
    devicesByApp,
    groups: [
      ...generateGroups(new Random(options.seed, 3), options.appId, devicesByApp.get(options.appId) ?? []),
      ...generateGroups(new Random(options.seed, 4), AUTHORISED_APP, devicesByApp.get(AUTHORISED_APP) ?? []),
    ],
    packages: generatePackages(new Random(options.seed, 5), options.appId, products, options.startTime),
  };
}

function generateDevices(random: Random, appId: string, count: number, now: number): Device[] {
  const devices: Device[] = [];
  for (let i = 0; i < count; i++) {
    const p = random.weighted(PRODUCTS);
    const deviceId = random.uuid();
    const createTime = now - random.int(31 * DAY, 400 * DAY);
    const site = random.pick(SITES);
    const serial = random.hex(10).toUpperCase();
    // Most devices run an older firmware, so that upgrades have somewhere to go.
    const fwVersion = p.firmwareVersions[random.int(0, Math.max(0, p.firmwareVersions.length - 2))] as string;
    const swVersion = p.softwareVersions[random.int(0, Math.max(0, p.softwareVersions.length - 2))] as string;
    devices.push({
      deviceId,
      appId,
      gatewayId: deviceId,
      nodeType: p.deviceType === 'Gateway' ? 'GATEWAY' : 'ENDPOINT',
      nodeId: String(860000000000000 + random.int(0, 99999999) * 10000 + random.int(0, 9999)),
      name: `${p.deviceType}-${site}-${serial.slice(0, 6)}`,
      description: `${p.manufacturerName} ${p.model} at ${site}`,
      product: p,
      fwVersion,
      swVersion,
      hwVersion: `H${random.int(1, 3)}.${random.int(0, 2)}`,
      serialNumber: `${p.model}-${serial}`,
      mac: Array.from({ length: 6 }, () => random.hex(2).toUpperCase()).join(':'),
      imsi: String(460000000000000 + random.int(0, 99999999) * 1000 + random.int(0, 999)),
      location: site,
      signalStrength: String(-random.int(60, 115)),
      batteryLevel: String(random.int(5, 100)),
      createTime,
      lastModifiedTime: createTime + random.int(0, 30 * DAY),
      connectivity: profile(random, createTime, now),
      upgrading: 0,
    });
  }
  devices.sort((a, b) => a.createTime - b.createTime || (a.deviceId < b.deviceId ? -1 : 1));
  attachToGateways(random, devices);
  return devices;
}

function profile(random: Random, createTime: number, now: number): ConnectivityProfile {
  const kind = random.weighted(PROFILES);
  const key = mix32(random.nextUint32());
  const segmentMs = random.int(10, 120) * MINUTE;
  const activated = createTime + random.int(1, 48) * HOUR;
  switch (kind) {
    case 'healthy':
      return { activatedAt: activated, segmentMs, pOnline: 0.85, pAbnormal: 0.05, key };
    case 'flaky':
      return { activatedAt: activated, segmentMs, pOnline: 0.4, pAbnormal: 0.2, key };
    case 'dark':
      return { activatedAt: activated, segmentMs, pOnline: 0.03, pAbnormal: 0.3, key };
    case 'activating':
      return { activatedAt: now + random.int(1, 7 * 24) * HOUR, segmentMs, pOnline: 0.8, pAbnormal: 0.05, key };
    case 'never':
      return { activatedAt: null, segmentMs, pOnline: 0, pAbnormal: 0, key };
  }
}

/** Gateways adopt a few nearby sensors as child devices (gatewayId = the gateway's deviceId). */
function attachToGateways(random: Random, devices: Device[]): void {
  const bySite = new Map<string, Device[]>();
  for (const d of devices) {
    if (d.nodeType === 'ENDPOINT' && (d.product.deviceType === 'SmokeDetector' || d.product.deviceType === 'MultiSensor')) {
      pushTo(bySite, d.location, d);
    }
  }
  // Each site's sensors are handed out in order, so no sensor gets two gateways.
  const handedOut = new Map<string, number>();
  for (const gateway of devices) {
    if (gateway.nodeType !== 'GATEWAY') continue;
    const sensors = bySite.get(gateway.location) ?? [];
    const from = handedOut.get(gateway.location) ?? 0;
    const to = Math.min(sensors.length, from + random.int(0, 6));
    for (let i = from; i < to; i++) (sensors[i] as Device).gatewayId = gateway.deviceId;
    handedOut.set(gateway.location, to);
  }
}

function generateGroups(random: Random, appId: string, devices: Device[]): DeviceGroup[] {
  const groups: DeviceGroup[] = [];
  const add = (name: string, description: string, members: Device[]) => {
    groups.push({
      id: random.hex(24),
      name,
      description,
      appId,
      maxDevNum: random.chance(0.5) ? 0 : Math.max(1000, members.length),
      creator: random.pick(['admin', 'fleetops', 'installer']),
      members: members.map((d) => d.deviceId),
    });
  };
  for (const site of SITES) {
    const members = devices.filter((d) => d.location === site);
    if (members.length > 0) add(`Site${site}`, `Every device at ${site}`, members);
  }
  for (const [p] of PRODUCTS) {
    const members = devices.filter((d) => d.product === p);
    if (members.length > 0) add(`${p.deviceType}${p.model}`, `${p.manufacturerName} ${p.model} devices`, members);
  }
  // Small hand-made groups, like the ones operators create for pilots.
  for (let i = 1; i <= 4 && devices.length > 0; i++) {
    add(`Pilot${i}`, `Pilot rollout ring ${i}`, random.sample(devices, random.int(1, Math.min(40, devices.length))));
  }
  return groups;
}

function generatePackages(random: Random, appId: string, products: Product[], now: number): UpgradePackage[] {
  const packages: UpgradePackage[] = [];
  for (const p of products) {
    for (const [fileType, versions] of [['firmwarePackage', p.firmwareVersions], ['softwarePackage', p.softwareVersions]] as const) {
      versions.forEach((version, index) => {
        // Older versions were uploaded earlier; the newest within the last month.
        const uploadTime = now - (versions.length - index) * random.int(20, 60) * DAY + random.int(0, DAY);
        packages.push({
          fileId: random.hex(24),
          appId,
          name: `${p.model}_${fileType === 'firmwarePackage' ? 'fw' : 'sw'}_${version}`,
          version,
          fileType,
          product: p,
          description: `${p.manufacturerName} ${p.model} ${fileType === 'firmwarePackage' ? 'firmware' : 'software'} ${version}`,
          date: new Date(uploadTime - 3 * DAY).toISOString().slice(0, 10),
          uploadTime,
        });
      });
    }
  }
  return packages.sort((a, b) => b.uploadTime - a.uploadTime);
}

/**
 * A device registered now (POST /_emulator/devices): it has never connected, so it is INACTIVE until it does, unless
 * `status` pins it; its versions are the product's oldest unless given.
 */
export function registerDevice(
  fleet: Fleet,
  random: Random,
  appId: string,
  p: Product,
  { name, fwVersion, swVersion, status }: { name?: string; fwVersion?: string; swVersion?: string; status?: DeviceStatus },
  now: number,
): Device {
  const deviceId = random.uuid();
  const serial = random.hex(10).toUpperCase();
  const site = random.pick(SITES);
  const device: Device = {
    deviceId,
    appId,
    gatewayId: deviceId,
    nodeType: p.deviceType === 'Gateway' ? 'GATEWAY' : 'ENDPOINT',
    nodeId: String(860000000000000 + random.int(0, 99999999) * 10000 + random.int(0, 9999)),
    name: name ?? `${p.deviceType}-${site}-${serial.slice(0, 6)}`,
    description: `${p.manufacturerName} ${p.model} at ${site}`,
    product: p,
    fwVersion: fwVersion ?? (p.firmwareVersions[0] as string),
    swVersion: swVersion ?? (p.softwareVersions[0] as string),
    hwVersion: 'H1.0',
    serialNumber: `${p.model}-${serial}`,
    mac: Array.from({ length: 6 }, () => random.hex(2).toUpperCase()).join(':'),
    imsi: String(460000000000000 + random.int(0, 99999999) * 1000 + random.int(0, 999)),
    location: site,
    signalStrength: String(-random.int(60, 115)),
    batteryLevel: '100',
    createTime: now,
    lastModifiedTime: now,
    connectivity: { activatedAt: null, segmentMs: random.int(10, 120) * MINUTE, pOnline: 0.85, pAbnormal: 0.05, key: mix32(random.nextUint32()), ...(status ? { pinned: status } : {}) },
    upgrading: 0,
  };
  fleet.devices.set(deviceId, device);
  pushTo(fleet.devicesByApp, appId, device);
  return device;
}

/** Removes a device from the fleet and from its groups. */
export function removeDevice(fleet: Fleet, device: Device): void {
  fleet.devices.delete(device.deviceId);
  const own = fleet.devicesByApp.get(device.appId) ?? [];
  own.splice(own.indexOf(device), 1);
  for (const group of fleet.groups) {
    const at = group.members.indexOf(device.deviceId);
    if (at >= 0) group.members.splice(at, 1);
  }
}
