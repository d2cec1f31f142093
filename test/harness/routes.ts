// The platform's endpoints as the tests name them, taken from the gateway's endpoint catalogue so that no test writes
// a platform path again.
import { ENDPOINTS } from '../../src/datasources/platform/endpoints.js';

const AUTH = { login: ENDPOINTS.login, refresh: ENDPOINTS.refreshToken };

const ALL = { ...ENDPOINTS, ...AUTH };
type Name = keyof typeof ALL;

/** Route keys as the emulator's stats and fault rules name them, e.g. `GET /iodm/northbound/v1.5.0/operations/{operationId}`. */
export const ROUTE = Object.fromEntries(Object.entries(ALL).map(([name, e]) => [name, `${e.method} ${e.template}`])) as Record<Name, string>;

/** Collection paths to call, e.g. `${PATH.operations}/${id}/subOperations`. */
export const PATH = {
  login: AUTH.login.template,
  refresh: AUTH.refresh.template,
  operations: ENDPOINTS.operations.template,
  fwUpgrade: ENDPOINTS.createFirmwareUpgrade.template,
  swUpgrade: ENDPOINTS.createSoftwareUpgrade.template,
  packages: ENDPOINTS.packages.template,
  batchTasks: ENDPOINTS.createBatchTask.template,
  batchDetails: ENDPOINTS.batchTaskDetails.template,
  devices: ENDPOINTS.devices.template,
  groups: ENDPOINTS.deviceGroups.template,
  members: ENDPOINTS.deviceGroupMembers.template,
  subscribe: ENDPOINTS.subscribeManagement.template,
  subscriptions: ENDPOINTS.subscriptions.template,
} as const;
