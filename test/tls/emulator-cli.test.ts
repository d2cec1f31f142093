// `npm run emulator` with mutual TLS: EMULATOR_TLS_CA_FILE names the CA whose client certificates the emulator counts
// as such, so a gateway's mutual TLS can be tried against the emulator on its own (the built dist/src/emulator/cli.js).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE } from '../harness/routes.js';
import { startStack } from '../harness/stack.js';
import { createCertificateAuthority, type Pem } from './pki.js';

const EMULATOR_MAIN = fileURLToPath(new URL('../../dist/src/emulator/cli.js', import.meta.url));
const HEALTH = parse('{ health { loginOk error } }') as TypedDocumentNode<{ health: { loginOk: boolean; error: string | null } }, Record<string, never>>;

let dir: string;
let authority: Pem;
let server: Pem;
const files = { ca: '', cert: '', key: '', serverCert: '', serverKey: '', notPem: '' };

beforeAll(async () => {
  const ca = (authority = await createCertificateAuthority('Emulator CLI test CA'));
  server = await ca.issue('localhost', 'server', [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
  ]);
  const client = await ca.issue('northbound-gateway', 'client');
  dir = await mkdtemp(join(tmpdir(), 'emulator-cli-tls-'));
  const write = async (name: string, contents: string) => {
    const path = join(dir, name);
    await writeFile(path, contents, { mode: 0o600 });
    return path;
  };
  files.ca = await write('ca.pem', ca.cert);
  files.cert = await write('client.pem', client.cert);
  files.key = await write('client-key.pem', client.key);
  files.serverCert = await write('server.pem', server.cert);
  files.serverKey = await write('server-key.pem', server.key);
  files.notPem = await write('not-a-certificate.txt', 'just some text\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run emulator over mutual TLS', () => {
  it('with EMULATOR_TLS_CA_FILE, counts the gateway certificate as a client certificate on every call', async () => {
    // The emulator as its own process, its TLS files given through EMULATOR_TLS_CERT_FILE, _KEY_FILE and _CA_FILE.
    const stack = await startStack({
      platform: { process: true, devices: 20, tls: { key: server.key, cert: server.cert, ca: authority.cert } },
      env: { NORTHBOUND_CA_FILE: files.ca, NORTHBOUND_CERT_FILE: files.cert, NORTHBOUND_KEY_FILE: files.key },
    });
    try {
      const { data, errors } = await stack.gateway.run(HEALTH);

      expect(errors).toBeUndefined();
      expect(data?.health).toEqual({ loginOk: true, error: null });
      expect(stack.platform.url).toMatch(/^https:/);
      const seen = await stack.platform.stats();
      expect(seen.byRoute[ROUTE.login]).toBe(1);
      expect(seen.total).toBeGreaterThanOrEqual(2);
      expect(seen.tls).toEqual({ clientCertificates: seen.total, untrusted: 0, anonymous: 0 });
    } finally {
      await stack.close();
    }
  });
});

/** Runs the emulator CLI until it exits (a refused start) or is ready (then it is stopped: its exit code is not asked). */
function runCli(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [EMULATOR_MAIN], { env: { PATH: process.env.PATH ?? '', EMULATOR_PORT: '0', EMULATOR_DEVICES: '5', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Platform emulator ready')) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('EMULATOR_TLS_CA_FILE refusals', () => {
  it('stops with one line when the CA comes without a certificate and key to serve HTTPS with', async () => {
    const { code, output } = await runCli({ EMULATOR_TLS_CA_FILE: files.ca });

    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^EMULATOR_TLS_CA_FILE needs EMULATOR_TLS_CERT_FILE and EMULATOR_TLS_KEY_FILE/)]);
  });

  it('stops with one line naming the variable when the file holds no PEM certificate, or cannot be read', async () => {
    const tls = { EMULATOR_TLS_CERT_FILE: files.serverCert, EMULATOR_TLS_KEY_FILE: files.serverKey };

    const notPem = await runCli({ ...tls, EMULATOR_TLS_CA_FILE: files.notPem });
    const missing = await runCli({ ...tls, EMULATOR_TLS_CA_FILE: join(dir, 'missing.pem') });

    expect(notPem.code).toBe(1);
    expect(notPem.output.trim()).toBe(`EMULATOR_TLS_CA_FILE=${files.notPem} holds no PEM certificate.`);
    expect(missing.code).toBe(1);
    expect(missing.output.trim()).toMatch(/^EMULATOR_TLS_CA_FILE=\S+missing\.pem cannot be read: ENOENT/);
    expect(missing.output.trim().split('\n')).toHaveLength(1);
  });

  it('starts on HTTPS with all three files', async () => {
    const { output } = await runCli({ EMULATOR_TLS_CERT_FILE: files.serverCert, EMULATOR_TLS_KEY_FILE: files.serverKey, EMULATOR_TLS_CA_FILE: files.ca });

    expect(output).toMatch(/Platform emulator ready in \d+ ms at https:\/\/127\.0\.0\.1:\d+/);
  });
});
