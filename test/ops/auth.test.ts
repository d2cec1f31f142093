// Client authentication: API keys and roles, compared in constant time; and the refusal to start a gateway on a
// real platform without keys unless an operator opens it on purpose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/graphql/auth.js';
import { refusalLines, runMain, startedLine, type TestGateway } from '../harness/gateway.js';
import { startPlatform, type Platform } from '../harness/platform.js';
import { startStack, type Stack } from '../harness/stack.js';

const READ_KEY = 'read-key-7f3a91c2d4';
const OPERATE_KEY = 'operate-key-b82e55f0a1';

describe('ApiKeys', () => {
  const keys = new ApiKeys(
    new Map([
      [READ_KEY, 'read'],
      [OPERATE_KEY, 'operate'],
    ]),
  );

  it('knows each key and its role', () => {
    expect(keys.roleOf(READ_KEY)).toBe('read');
    expect(keys.roleOf(OPERATE_KEY)).toBe('operate');
  });

  it('knows no other key: missing, empty, a prefix, a longer one, another case', () => {
    for (const key of [undefined, '', READ_KEY.slice(0, -1), `${READ_KEY}x`, READ_KEY.toUpperCase(), ` ${READ_KEY}`]) {
      expect(keys.roleOf(key)).toBeUndefined();
    }
  });

  it('keeps digests, not keys: nothing of a key shows when the object is inspected or serialised', () => {
    expect(JSON.stringify(keys)).not.toContain(READ_KEY.slice(0, 8));
    expect(String(Object.values(keys))).not.toContain(READ_KEY.slice(0, 8));
  });
});

describe('API keys and roles on a running gateway', () => {
  let stack: Stack;
  let ops: TestGateway;
  beforeAll(async () => {
    stack = await startStack({ platform: { devices: 50 }, env: { LOG_LEVEL: 'debug', GATEWAY_API_KEYS: `${READ_KEY}:read,${OPERATE_KEY}:operate` } });
    ops = stack.gateway;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const QUERY = '{ operations(first: 1) { totalCount } }';
  // Its input is invalid (no targets) on purpose: a caller allowed to mutate gets BAD_USER_INPUT, and nothing is created.
  const MUTATION = 'mutation { createFirmwareUpgradeTask(input: { fileId: "ffffffffffffffffffffffff", targets: {} }) { operationId } }';

  it.each([
    ['no key', undefined],
    ['an unknown key', 'not-a-key'],
    ['a prefix of a key', READ_KEY.slice(0, -2)],
  ])('answers a request with %s with 401 UNAUTHENTICATED and no data', async (_, apiKey) => {
    const reply = await ops.graphql(QUERY, { apiKey });
    expect(reply.status).toBe(401);
    expect(reply.json.data).toBeUndefined();
    expect(reply.json.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
    expect(reply.headers.get('x-request-id')).toBeTruthy();
  });

  it('lets a read key query', async () => {
    const reply = await ops.graphql(QUERY, { apiKey: READ_KEY });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ data: { operations: { totalCount: expect.any(Number) } } });
  });

  it('refuses a mutation with a read key: FORBIDDEN, before any platform call', async () => {
    const before = await stack.platform.stats();
    const reply = await ops.graphql(MUTATION, { apiKey: READ_KEY });
    const after = await stack.platform.stats();
    expect(reply.json.data).toBeNull();
    expect(reply.json.errors).toEqual([expect.objectContaining({ path: ['createFirmwareUpgradeTask'], extensions: { code: 'FORBIDDEN' } })]);
    expect(reply.json.errors[0].message).toMatch(/role operate/);
    expect(after.total).toBe(before.total);
  });

  it('lets an operate key mutate (here its input is checked, and refused, instead)', async () => {
    const reply = await ops.graphql(MUTATION, { apiKey: OPERATE_KEY });
    expect(reply.json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('start-up on a real platform without API keys', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ devices: 20 });
  });
  afterAll(() => platform?.close());

  /** The real entry point with only the given variables, on any port, keeping nothing (the emulator's port changes). */
  const run = (env: Record<string, string>) => runMain({ PORT: '0', GATEWAY_DATA_DIR: ':memory:', ...env });

  it('refuses to start, with one line naming GATEWAY_API_KEYS and why', async () => {
    const { code, stdout, stderr } = await run({
      NORTHBOUND_URL: platform.url,
      NORTHBOUND_APP_ID: platform.credentials.appId,
      NORTHBOUND_SECRET: platform.credentials.secret,
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = refusalLines(stderr);
    expect(lines[0]).toMatch(/^GATEWAY_API_KEYS: required when NORTHBOUND_URL is set: without keys anyone who reaches the gateway could read the fleet/);
    expect(lines[0]).toContain('GATEWAY_ALLOW_ANONYMOUS=true');
    expect(lines.at(-1)).toMatch(/^Not started/);
    expect(stderr).not.toContain(platform.credentials.secret);
  });

  it('starts open with GATEWAY_ALLOW_ANONYMOUS=true, and says so in its log', async () => {
    const { code, stdout, stderr } = await run({
      NORTHBOUND_URL: platform.url,
      NORTHBOUND_APP_ID: platform.credentials.appId,
      NORTHBOUND_SECRET: platform.credentials.secret,
      GATEWAY_ALLOW_ANONYMOUS: 'true',
    });
    expect(startedLine(stdout)?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(code).toBe(0);
    const warning = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string })
      .find((record) => record.msg.includes('GATEWAY_ALLOW_ANONYMOUS'));
    expect(warning).toMatchObject({ level: 'warn', msg: expect.stringMatching(/no API keys; anyone who reaches this gateway/) });
  });
});
