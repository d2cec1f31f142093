// Structured logs: every line is pino JSON; platform calls are logged with the id of the request they served (the
// one in x-request-id); and a realistic session (queries, a create, a forbidden create, wrong and missing keys,
// token expiry, a failing login, health and metrics) leaves no secret, token or API key in any log line or response.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import type { TestGateway } from '../harness/gateway.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { DASHBOARD, type Json } from './support.js';

const READ_KEY = 'read-key-for-the-log-test-91f0c3';
const OPERATE_KEY = 'operate-key-for-the-log-test-4be27a';
const UNKNOWN_KEY = 'unknown-key-for-the-log-test-6d02ee';
const WRONG_SECRET = 'wrong-secret-for-the-log-test-33a8b1';
const CLIENT_REQUEST_ID = 'client-request-0001';

let stack: Stack;
let ops: TestGateway;
let failing: TestGateway;

beforeAll(async () => {
  stack = await startStack({ platform: { devices: 200 }, proxy: true, env: { LOG_LEVEL: 'debug', GATEWAY_API_KEYS: `${READ_KEY}:read,${OPERATE_KEY}:operate` } });
  ops = stack.gateway;
  failing = await stack.startGateway({ env: { NORTHBOUND_SECRET: WRONG_SECRET, GATEWAY_API_KEYS: `${READ_KEY}:read` } });
});
afterAll(async () => {
  await stack?.close();
});

describe('a realistic session', () => {
  const replies: Json[] = [];
  beforeAll(async () => {
    const run = async (...args: Parameters<TestGateway['graphql']>) => {
      const reply = await ops.graphql(...args);
      replies.push(reply);
      return reply;
    };
    await run(DASHBOARD, { apiKey: READ_KEY, headers: { 'x-request-id': CLIENT_REQUEST_ID } });
    await run('query Missing { operations(first: 1) { totalCount } }');
    await run('query Unknown { operations(first: 1) { totalCount } }', { apiKey: UNKNOWN_KEY });

    // A create: a firmware package and the group of its product (the emulator names groups after them).
    const fixtures = await run('{ upgradePackages(filter: { type: FIRMWARE }, first: 50) { nodes { id deviceType model manufacturerName } } deviceGroups(first: 100) { nodes { name } } }', {
      apiKey: OPERATE_KEY,
    });
    const groups = new Set(fixtures.json.data.deviceGroups.nodes.map((g: Json) => g.name));
    const pkg = fixtures.json.data.upgradePackages.nodes.find((p: Json) => groups.has(`${p.deviceType}${p.model}`));
    const input = {
      fileId: pkg.id,
      targets: { deviceGroups: [`${pkg.deviceType}${pkg.model}`], deviceType: pkg.deviceType, model: pkg.model, manufacturerName: pkg.manufacturerName },
      idempotencyKey: 'log-test-create',
    };
    const create = 'mutation Create($input: CreateUpgradeTaskInput!) { createFirmwareUpgradeTask(input: $input) { operationId operation { id status } } }';
    await run(create, { apiKey: READ_KEY, variables: { input } });
    await run(create, { apiKey: OPERATE_KEY, variables: { input } });

    // Every token the gateway holds is rejected; the next query logs in again.
    await stack.platform.fault({ expireTokens: true });
    await run('query AfterExpiry { operations(first: 2) { nodes { id } } }', { apiKey: READ_KEY });
    await run('query Lookup { operation(id: "ffffffffffffffffffffffff") { id } }', { apiKey: READ_KEY });

    await ops.request('/health/live');
    await ops.request('/health/ready');
    await ops.request('/metrics');

    // A gateway whose secret is wrong: its login fails.
    replies.push(await failing.graphql('query Failing { operations(first: 1) { totalCount } }', { apiKey: READ_KEY }));
    await failing.request('/health/ready');
  });

  it('went as a session would', () => {
    const [dashboard, missing, unknown, , forbidden, created, afterExpiry, lookup, failed] = replies;
    expect(dashboard.json.errors).toBeUndefined();
    expect(dashboard.headers.get('x-request-id')).toBe(CLIENT_REQUEST_ID);
    expect([missing.status, unknown.status]).toEqual([401, 401]);
    expect(forbidden.json.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(created.json.errors).toBeUndefined();
    expect(created.json.data.createFirmwareUpgradeTask.operationId).toEqual(expect.any(String));
    expect(afterExpiry.json.errors).toBeUndefined();
    expect(lookup.json.data).toEqual({ operation: null });
    expect(failed.json.errors[0].extensions.code).toBe('UPSTREAM_AUTH_FAILED');
    // Two logins (the start, and after the expiry) issued an access and a refresh token each.
    expect(stack.proxy.calls.filter((c) => `${c.method} ${c.path}` === ROUTE.login).length).toBeGreaterThanOrEqual(3);
    expect(stack.proxy.tokens.size).toBeGreaterThanOrEqual(4);
  });

  it('wrote every log line as JSON with a level, a time and a message', () => {
    const lines = [...ops.log.lines, ...failing.log.lines];
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) {
      const record = JSON.parse(line) as Json;
      expect(record).toMatchObject({ level: expect.stringMatching(/^(debug|info|warn|error)$/), time: expect.any(String), msg: expect.any(String) });
    }
  });

  it('logged each platform call with the id of the request it served, the one in its x-request-id', () => {
    const records = ops.log.records();
    const calls = records.filter((r) => r.msg.startsWith('platform call'));
    const requests = records.filter((r) => r.msg === 'graphql request');
    expect(calls.length).toBeGreaterThan(20);
    // Every call of a GraphQL request carries its id; the readiness probe's carry their own name.
    const known = new Set([...replies.map((r) => r.headers.get('x-request-id')), 'readiness-probe']);
    for (const call of calls) expect(known, JSON.stringify(call)).toContain(call.requestId);
    // The id the client chose is the one on the dashboard's calls: one page of tasks, their subtasks, devices.
    const dashboardCalls = calls.filter((c) => c.requestId === CLIENT_REQUEST_ID);
    expect(dashboardCalls.map((c) => c.route)).toContain(ROUTE.subOperations);
    expect(dashboardCalls.map((c) => c.route)).toContain(ROUTE.login);
    expect(requests.find((r) => r.requestId === CLIENT_REQUEST_ID)).toMatchObject({ operation: 'Dashboard', outcome: 'success', status: 200 });
    // The expired token: the rejected call and the new login, both under the request that met them.
    const expiry = replies[6].headers.get('x-request-id');
    expect(calls.filter((c) => c.requestId === expiry).map((c) => [c.route, c.code])).toEqual(
      expect.arrayContaining([
        [ROUTE.operations, '1010005'],
        [ROUTE.login, undefined],
      ]),
    );
    // The failed login is logged too, with its platform code but nothing of the form it sent.
    expect(failing.log.records().find((r) => r.route === ROUTE.login)).toMatchObject({ msg: 'platform call failed', code: expect.any(String) });
  });

  it('left no secret, token or API key in any log line, response or metric', () => {
    const text = [...ops.log.lines, ...failing.log.lines, ...ops.responses, ...failing.responses].join('\n');
    const secrets = [stack.platform.credentials.secret, WRONG_SECRET, READ_KEY, OPERATE_KEY, UNKNOWN_KEY, ...stack.proxy.tokens];
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    for (const secret of secrets) {
      expect(text.includes(secret), `found ${secret.slice(0, 6)}… in the output`).toBe(false);
      // Nor a recognisable part of it.
      expect(text.includes(secret.slice(0, 16)), `found the start of ${secret.slice(0, 6)}… in the output`).toBe(false);
    }
    expect(ops.responses.some((r) => r.includes('northbound_gateway_graphql_requests_total'))).toBe(true);
  });
});

describe('the logger', () => {
  function capture(): { lines: Json[]; stream: Writable } {
    const lines: Json[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    return { lines, stream };
  }

  it('reads Apollo-style arguments: text joined, objects as fields, an error as err with its message in the text', () => {
    const { lines, stream } = capture();
    const logger = createLogger('debug', stream);
    logger.info('plain', 42);
    logger.warn({ requestId: 'r1' }, 'with fields');
    logger.error('failed:', new TypeError('boom'));
    logger.debug('debug too');
    expect(lines).toMatchObject([
      { level: 'info', msg: 'plain 42', service: 'northbound-gateway' },
      { level: 'warn', msg: 'with fields', requestId: 'r1' },
      { level: 'error', msg: 'failed: boom', err: { type: 'TypeError', message: 'boom', stack: expect.stringContaining('TypeError: boom') } },
      { level: 'debug', msg: 'debug too' },
    ]);
  });

  it('keeps below its level quiet', () => {
    const { lines, stream } = capture();
    const logger = createLogger('warn', stream);
    logger.info('no');
    logger.debug('no');
    logger.warn('yes');
    expect(lines.map((l) => l.msg)).toEqual(['yes']);
  });

  it('redacts credential fields wherever a careless call puts them, and copies nothing but name, message, code and stack from errors', () => {
    const { lines, stream } = capture();
    const logger = createLogger('debug', stream);
    logger.info({ secret: 's-1', accessToken: 't-1', nested: { refreshToken: 't-2', authorization: 'Bearer t-3' }, headers: { 'x-api-key': 'k-1' } }, 'careless');
    const gotLike = Object.assign(new Error('request failed'), { code: 'ECONNRESET', options: { headers: { authorization: 'Bearer t-4' }, form: { secret: 's-2' } } });
    logger.error('call failed:', gotLike);
    const text = JSON.stringify(lines);
    for (const value of ['s-1', 't-1', 't-2', 't-3', 'k-1', 't-4', 's-2']) expect(text).not.toContain(value);
    expect(lines[0]).toMatchObject({ secret: '[redacted]', accessToken: '[redacted]', nested: { refreshToken: '[redacted]' } });
    expect(lines[1].err).toEqual({ type: 'Error', message: 'request failed', code: 'ECONNRESET', stack: expect.any(String) });
  });
});
