import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config.js';
import { ROUTE } from '../harness/routes.js';
import { startStack, type Stack } from '../harness/stack.js';
import { createCertificateAuthority } from './pki.js';

const API_KEY = 'tls-test-key';
const SECRET = 'tls-test-secret-0f3c9a';

interface Health {
  health: { platformUrl: string; loginOk: boolean; error: string | null; upstreamCode: string | null };
}
const HEALTH = parse('{ health { platformUrl loginOk error upstreamCode } }') as TypedDocumentNode<Health, Record<string, never>>;
const OPERATIONS = parse('{ operations(first: 2) { totalCount nodes { id status } } }') as TypedDocumentNode<
  { operations: { totalCount: number; nodes: { id: string; status: string }[] } },
  Record<string, never>
>;

let dir: string;
let stack: Stack;
/** The gateway's TLS files, as an operator would configure them. */
const files = { ca: '', cert: '', key: '', otherCert: '', otherKey: '' };

beforeAll(async () => {
  const authority = await createCertificateAuthority('Northbound test CA');
  const server = await authority.issue('localhost', 'server', [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
  ]);
  const client = await authority.issue('northbound-gateway', 'client');
  // A well-formed client certificate from a CA the emulator does not know.
  const stranger = await (await createCertificateAuthority('Some other CA')).issue('northbound-gateway', 'client');

  dir = await mkdtemp(join(tmpdir(), 'gateway-tls-'));
  const write = async (name: string, contents: string) => {
    const path = join(dir, name);
    await writeFile(path, contents, { mode: 0o600 });
    return path;
  };
  files.ca = await write('ca.pem', authority.cert);
  files.cert = await write('client.pem', client.cert);
  files.key = await write('client-key.pem', client.key);
  files.otherCert = await write('other-client.pem', stranger.cert);
  files.otherKey = await write('other-client-key.pem', stranger.key);

  stack = await startStack({
    platform: { devices: 50, secret: SECRET, tls: { key: server.key, cert: server.cert, ca: authority.cert } },
    env: { GATEWAY_API_KEYS: `${API_KEY}:read` },
    gateway: 'none',
  });
});

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const stats = () => stack.platform.stats();
/** A gateway on the HTTPS platform with these TLS settings. */
const startTlsGateway = (tls: Env) => stack.useGateway({ env: tls });
const run = <TData>(document: TypedDocumentNode<TData, Record<string, never>>) => stack.gateway.run(document);

beforeEach(async () => {
  // Same data, counters from zero: each test sees only its own gateway's calls.
  await stack.platform.reset();
});

afterEach(async () => {
  await stack.gateway.close();
});

describe('mutual TLS to the platform', () => {
  it('logs in with the CA and the client certificate, and the platform sees the certificate', async () => {
    await startTlsGateway({ NORTHBOUND_CA_FILE: files.ca, NORTHBOUND_CERT_FILE: files.cert, NORTHBOUND_KEY_FILE: files.key });

    const { status, data, errors } = await run(HEALTH);

    expect(errors).toBeUndefined();
    expect(status).toBe(200);
    expect(data?.health).toEqual({ platformUrl: stack.platform.url, loginOk: true, error: null, upstreamCode: null });
    expect(stack.platform.url).toMatch(/^https:/);
    const seen = await stats();
    expect(seen.byRoute[ROUTE.login]).toBe(1);
    // Every call (login and the health probe) came over a connection with the CA's client certificate.
    expect(seen.tls).toEqual({ clientCertificates: seen.total, untrusted: 0, anonymous: 0 });
  });

  it('serves a real query over mutual TLS', async () => {
    await startTlsGateway({ NORTHBOUND_CA_FILE: files.ca, NORTHBOUND_CERT_FILE: files.cert, NORTHBOUND_KEY_FILE: files.key });

    const { data, errors } = await run(OPERATIONS);

    expect(errors).toBeUndefined();
    expect(data?.operations.totalCount).toBeGreaterThan(2);
    expect(data?.operations.nodes).toHaveLength(2);
    expect(data?.operations.nodes[0]?.id).toMatch(/^[0-9a-f]{24}$/);
    const seen = await stats();
    expect(seen.byRoute[ROUTE.operations]).toBeGreaterThanOrEqual(1);
    expect(seen.tls?.clientCertificates).toBe(seen.total);
  });

  it("refuses a platform certificate it cannot verify without NORTHBOUND_CA_FILE, and reports it without the secret", async () => {
    await startTlsGateway({ NORTHBOUND_CERT_FILE: files.cert, NORTHBOUND_KEY_FILE: files.key });

    const response = await run(HEALTH);

    expect(response.errors).toBeUndefined();
    expect(response.data?.health).toMatchObject({ loginOk: false, error: 'UPSTREAM_UNAVAILABLE' });
    // The emulator's chain ends in the test CA (OpenSSL completes it from `tls.ca`), which the system store lacks.
    expect(response.data?.health.upstreamCode).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    const text = JSON.stringify(response);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('PRIVATE KEY');
    // The handshake failed before any request: the login form (and its secret) never left the gateway.
    expect((await stats()).total).toBe(0);
  });

  it('connects anonymously without a client certificate, which the platform accepts and counts', async () => {
    await startTlsGateway({ NORTHBOUND_CA_FILE: files.ca });

    const { data } = await run(HEALTH);

    expect(data?.health.loginOk).toBe(true);
    const seen = await stats();
    expect(seen.total).toBeGreaterThan(0);
    expect(seen.tls).toEqual({ clientCertificates: 0, untrusted: 0, anonymous: seen.total });
  });

  it('counts a client certificate from another CA as untrusted', async () => {
    await startTlsGateway({ NORTHBOUND_CA_FILE: files.ca, NORTHBOUND_CERT_FILE: files.otherCert, NORTHBOUND_KEY_FILE: files.otherKey });

    const { data } = await run(HEALTH);

    // Requested, not required: the platform identifies the application by appId/secret, so the call still works.
    expect(data?.health.loginOk).toBe(true);
    const seen = await stats();
    expect(seen.total).toBeGreaterThan(0);
    expect(seen.tls).toEqual({ clientCertificates: 0, untrusted: seen.total, anonymous: 0 });
  });
});
