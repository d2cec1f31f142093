/**
 * The baseline for `bench/gateway.ts`: the GraphQL gateway as it is usually first written. A small Apollo Server
 * with the same query shapes (the dashboard and a task view) where every field resolver makes its own REST call
 * to the platform: no DataLoader (a device named by ten subtasks is read ten times), no caches (every request
 * reads everything again), no paging planner (subtasks are read in the largest pages, one after another), no call
 * budget and no circuit breaker. It logs in once and again only when the platform rejects the token.
 *
 * Used only by the bench; not part of the gateway.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import got from 'got';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface NaiveGatewayOptions {
  /** The platform's base URL, e.g. `http://127.0.0.1:8743`. */
  platformUrl: string;
  appId: string;
  secret: string;
  port?: number;
}

export interface NaiveGateway {
  url: string;
  close(): Promise<void>;
}

const typeDefs = /* GraphQL */ `
  type Query {
    operations(first: Int = 20): OperationConnection!
    operation(id: ID!): Operation
    device(id: ID!): Device
  }
  type OperationConnection {
    nodes: [Operation!]!
    totalCount: Int!
  }
  type Operation {
    id: ID!
    status: String!
    stats: OperationStats!
    targets: OperationTargets!
    subtasks(first: Int = 20): SubtaskConnection
  }
  type OperationStats {
    total: Int!
    success: Int!
    fail: Int!
    progress: Float!
  }
  type OperationTargets {
    deviceIds: [ID!]!
    devices: [Device]!
  }
  type SubtaskConnection {
    nodes: [Subtask!]!
    totalCount: Int!
  }
  type Subtask {
    id: ID!
    deviceId: ID!
    status: String!
    device: Device
  }
  type Device {
    id: ID!
    name: String
    fwVersion: String
    status: String
  }
`;

const OPERATIONS = 'iodm/northbound/v1.5.0/operations';
const DEVICES = 'iocm/app/dm/v1.4.0/devices';
/** The platform's largest subtask page. */
const SUBTASK_PAGE = 100;

const STATUS: Record<string, string> = { wait: 'WAIT', processing: 'PROCESSING', success: 'SUCCESS', failed: 'FAILED', fail: 'FAILED', stop: 'STOPPED', timeout: 'TIMEOUT' };

class Platform {
  private token: Promise<string> | undefined;
  private readonly http;

  constructor(private readonly options: NaiveGatewayOptions) {
    this.http = got.extend({ prefixUrl: options.platformUrl, retry: { limit: 0 }, throwHttpErrors: false, timeout: { request: 10_000 } });
  }

  private login(): Promise<string> {
    this.token ??= this.http
      .post('iocm/app/sec/v1.1.0/login', { form: { appId: this.options.appId, secret: this.options.secret } })
      .json<Json>()
      .then((body) => {
        if (typeof body.accessToken !== 'string') throw new Error(`login failed: ${JSON.stringify(body)}`);
        return body.accessToken as string;
      });
    return this.token;
  }

  async get(path: string, searchParams?: Record<string, string | number>): Promise<Json> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.login();
      const response = await this.http.get(path, { searchParams, headers: { app_key: this.options.appId, authorization: `Bearer ${token}` } });
      const body = JSON.parse(response.body) as Json;
      if (body?.error_code === '1010005' && attempt === 0) {
        // Superseded or expired: log in again once.
        if ((await this.token) === token) this.token = undefined;
        continue;
      }
      if (body?.error_code !== undefined) throw new Error(`GET ${path}: ${body.error_code} ${body.error_desc ?? ''}`);
      return body;
    }
  }
}

const device = (raw: Json) => ({ id: raw.deviceId, name: raw.deviceInfo?.name, fwVersion: raw.deviceInfo?.fwVersion, status: raw.deviceInfo?.status });

function resolvers(platform: Platform) {
  const operation = (raw: Json) => ({
    id: raw.operationId,
    status: STATUS[raw.status] ?? raw.status,
    stats: {
      total: raw.staResult.total,
      success: raw.staResult.success,
      fail: raw.staResult.fail,
      progress: raw.staResult.total === 0 ? 0 : (raw.staResult.success + raw.staResult.fail + raw.staResult.stop + raw.staResult.timeout) / raw.staResult.total,
    },
    targets: { deviceIds: raw.targets?.devices ?? [] },
  });
  return {
    Query: {
      operations: async (_: unknown, { first }: { first: number }) => {
        const body = await platform.get(OPERATIONS, { pageNo: 0, pageSize: first });
        return { nodes: (body.data as Json[]).map(operation), totalCount: body.totalCount };
      },
      operation: async (_: unknown, { id }: { id: string }) => operation(await platform.get(`${OPERATIONS}/${id}`)),
      device: async (_: unknown, { id }: { id: string }) => device(await platform.get(`${DEVICES}/${id}`)),
    },
    Operation: {
      subtasks: async ({ id }: { id: string }, { first }: { first: number }) => {
        const nodes: Json[] = [];
        let totalCount = 0;
        for (let pageNo = 0; nodes.length < first; pageNo++) {
          const body = await platform.get(`${OPERATIONS}/${id}/subOperations`, { pageNo, pageSize: Math.min(first, SUBTASK_PAGE) });
          const page = body.data as Json[];
          totalCount = Number(body.totalCount);
          nodes.push(...page);
          if (page.length < Math.min(first, SUBTASK_PAGE) || nodes.length >= totalCount) break;
        }
        return {
          nodes: nodes.slice(0, first).map((s) => ({ id: s.subOperationId, deviceId: s.deviceId, status: STATUS[s.status] ?? s.status })),
          totalCount,
        };
      },
    },
    OperationTargets: {
      devices: ({ deviceIds }: { deviceIds: string[] }) => Promise.all(deviceIds.map(async (id) => device(await platform.get(`${DEVICES}/${id}`)))),
    },
    Subtask: {
      device: async ({ deviceId }: { deviceId: string }) => device(await platform.get(`${DEVICES}/${deviceId}`)),
    },
  };
}

export async function startNaiveGateway(options: NaiveGatewayOptions): Promise<NaiveGateway> {
  const server = new ApolloServer({ typeDefs, resolvers: resolvers(new Platform(options)) });
  const { url } = await startStandaloneServer(server, { listen: { port: options.port ?? 0, host: '127.0.0.1' } });
  return { url, close: () => server.stop() };
}
