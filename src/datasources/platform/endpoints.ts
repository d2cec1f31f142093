/**
 * The platform's endpoints, in one catalogue: each one's method and path template (as the API reference names it,
 * also the `endpoint` of errors), the largest page a list serves, and the codes by which a lookup says "no such
 * thing". The per-area APIs call these; the cost rule reads the page sizes from here.
 */

export interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  template: `/${string}`;
  /** Lists: the largest page the platform serves. */
  maxPageSize?: number;
  /** Lookups by id: the platform's codes for "does not exist" (answered as null). */
  notFound?: readonly string[];
}

const get = (template: Endpoint['template'], extra: Omit<Endpoint, 'method' | 'template'> = {}): Endpoint => ({ method: 'GET', template, ...extra });
const post = (template: Endpoint['template']): Endpoint => ({ method: 'POST', template });
const del = (template: Endpoint['template']): Endpoint => ({ method: 'DELETE', template });

export const ENDPOINTS = {
  login: post('/iocm/app/sec/v1.1.0/login'),
  refreshToken: post('/iocm/app/sec/v1.1.0/refreshToken'),
  operations: get('/iodm/northbound/v1.5.0/operations', { maxPageSize: 100 }),
  operation: get('/iodm/northbound/v1.5.0/operations/{operationId}', { notFound: ['123009'] }),
  subOperations: get('/iodm/northbound/v1.5.0/operations/{operationId}/subOperations', { maxPageSize: 100 }),
  packages: get('/iodm/northbound/v1.5.0/category', { maxPageSize: 100 }),
  package: get('/iodm/northbound/v1.5.0/category/{fileId}', { notFound: ['123002'] }),
  batchTask: get('/iocm/app/batchtask/v1.1.0/tasks/{taskId}', { notFound: ['105005'] }),
  batchTaskDetails: get('/iocm/app/batchtask/v1.1.0/taskDetails', { maxPageSize: 250 }),
  device: get('/iocm/app/dm/v1.4.0/devices/{deviceId}', { notFound: ['100403', '100418'] }),
  devices: get('/iocm/app/dm/v1.4.0/devices', { maxPageSize: 250 }),
  deviceGroups: get('/iocm/app/devgroup/v1.3.0/devGroups', { maxPageSize: 500 }),
  deviceGroupMembers: get('/iocm/app/dm/v1.2.0/devices/ids', { maxPageSize: 1000 }),
  createFirmwareUpgrade: post('/iodm/northbound/v1.5.0/operations/firmwareUpgrade'),
  createSoftwareUpgrade: post('/iodm/northbound/v1.5.0/operations/softwareUpgrade'),
  createBatchTask: post('/iocm/app/batchtask/v1.1.0/tasks'),
  subscribeManagement: post('/iodm/app/sub/v1.1.0/subscribe'),
  subscribe: post('/iocm/app/sub/v1.2.0/subscriptions'),
  subscriptions: get('/iocm/app/sub/v1.2.0/subscriptions'),
  unsubscribe: del('/iocm/app/sub/v1.2.0/subscriptions/{subscriptionId}'),
} as const satisfies Record<string, Endpoint>;

/** The largest page of a list endpoint. */
export function pageLimit(endpoint: Endpoint): number {
  if (endpoint.maxPageSize === undefined) throw new Error(`${endpoint.method} ${endpoint.template} is not a list`);
  return endpoint.maxPageSize;
}
