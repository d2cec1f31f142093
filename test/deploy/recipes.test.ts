// The deployment recipes (deploy/compose.yaml, deploy/kubernetes.yaml) describe replicas that work: each file is
// checked for what replicas need (one database for all, probes where the gateway answers them, credentials kept
// apart), then the topology it describes is started as processes, with its own environment, on one PostgreSQL
// database and the emulator: every replica is ready, answers, and they log in once between them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { GATEWAY_NODE_FLAGS } from '../harness/node-flags.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const read = (file: string) => readFileSync(fileURLToPath(new URL(`../../deploy/${file}`, import.meta.url)), 'utf8');

let stack: Stack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/**
 * Starts `replicas` gateway processes with a recipe's environment, pointed at this test's platform and database,
 * and checks they behave as one: ready, answering with the recipe's key, one login between them.
 */
async function startTopology(replicas: number, env: Record<string, string>): Promise<void> {
  stack = await startStack({ platform: { clock: 'realtime', startTime: undefined, devices: 200, throttlePerMinute: 100 }, store: 'postgres', gateway: 'none' });
  // The recipe's environment, with this test's platform, database and address.
  const local = { ...env, HOST: '127.0.0.1', PORT: '0', GATEWAY_PUBLIC_URL: '' };
  const processes = [];
  for (let i = 0; i < replicas; i++) processes.push(await stack.startGateway({ process: true, bare: true, env: local }));
  const key = (env.GATEWAY_API_KEYS ?? '').split(',')[0]?.split(':')[0] ?? '';
  for (const gateway of processes) {
    const base = gateway.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const reply = (await (await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: '{ operations(first: 1) { totalCount } }' }) })).json()) as Json;
    expect(reply.errors).toBeUndefined();
    expect(reply.data.operations.totalCount).toBeGreaterThan(0);
  }
  const stats = await stack.platform.stats();
  expect(stats.byRoute[ROUTE.login]).toBe(1);
  expect(stats.tokenRejected).toBe(0);
}

describe('deploy/compose.yaml', () => {
  // Compose's merge keys (`<<: *gateway`) are YAML 1.1: `merge` resolves them.
  const compose = parse(read('compose.yaml'), { merge: true }) as Json;
  const gateways = Object.entries(compose.services as Record<string, Json>).filter(([, s]) => s.image === 'northbound-gateway');
  const example = Object.fromEntries(
    read('gateway.env.example')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string>;

  it('runs two gateway replicas with one environment file, and the PostgreSQL database they share', () => {
    expect(gateways.length).toBe(2);
    for (const [, service] of gateways) {
      expect(service.env_file).toBe('gateway.env');
      expect(service.depends_on.postgres.condition).toBe('service_healthy');
      expect(service.healthcheck.test.join(' ')).toContain('/health/live');
      expect(service.environment.GATEWAY_REPLICAS).toBe(String(gateways.length));
    }
    expect(compose.services.postgres.image).toMatch(/^postgres:1[0-9]/);
    expect(example.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
    // Credentials stay out of the compose file.
    expect(read('compose.yaml')).not.toMatch(/NORTHBOUND_SECRET\s*[:=]/);
  });

  it('starts as processes: both replicas ready and answering, one login between them', async () => {
    const [, service] = gateways[0] as [string, Json];
    await startTopology(gateways.length, { ...example, ...(service.environment as Record<string, string>) });
  }, 60_000);
});

describe('deploy/kubernetes.yaml', () => {
  const documents = parseAllDocuments(read('kubernetes.yaml')).map((d) => d.toJS() as Json);
  const of = (kind: string) => documents.find((d) => d.kind === kind);
  const deployment = of('Deployment');
  const container = deployment.spec.template.spec.containers[0];

  it('has a Deployment of replicas with probes at /health/ready and /health/live, a Service and a Secret', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(container.env.find((e: Json) => e.name === 'GATEWAY_REPLICAS')?.value).toBe(String(deployment.spec.replicas));
    const port = container.ports.find((p: Json) => p.name === 'http');
    expect(port.containerPort).toBe(4000);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe.periodSeconds).toBeGreaterThanOrEqual(10);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(10);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    const service = of('Service');
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    expect(service.spec.ports[0].targetPort).toBe('http');
    const secret = of('Secret');
    expect(container.envFrom[0].secretRef.name).toBe(secret.metadata.name);
    for (const name of ['NORTHBOUND_APP_ID', 'NORTHBOUND_SECRET', 'GATEWAY_API_KEYS', 'DATABASE_URL']) expect(Object.keys(secret.stringData)).toContain(name);
    // Credentials only in the Secret.
    expect(container.env.map((e: Json) => e.name)).not.toContain('NORTHBOUND_SECRET');
  });

  it('starts as processes: every replica ready and answering, one login between them', async () => {
    const env = Object.fromEntries(container.env.map((e: Json) => [e.name, String(e.value)])) as Record<string, string>;
    await startTopology(deployment.spec.replicas as number, { ...(of('Secret').stringData as Record<string, string>), ...env });
  }, 60_000);
});

describe('the node flags', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as Json;

  it("are package.json's config.nodeFlags wherever the gateway is started: npm start, npm run dev, the container and the systemd unit", () => {
    expect(GATEWAY_NODE_FLAGS.length).toBeGreaterThan(0);
    const command = ['node', ...GATEWAY_NODE_FLAGS, 'dist/src/main.js'];
    expect(manifest.scripts.start).toContain('exec node $npm_package_config_nodeFlags dist/src/main.js');
    expect(manifest.scripts.dev).toContain('node $npm_package_config_nodeFlags ');
    expect(read('Dockerfile')).toContain(`CMD ${JSON.stringify(command).replace(/","/g, '", "')}`);
    expect(readme).toContain(`ExecStart=/usr/bin/${command.join(' ')}`);
  });
});
