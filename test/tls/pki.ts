/** A throwaway PKI for TLS tests: a CA, a server certificate for 127.0.0.1/localhost and client certificates. */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

// ECDSA P-256: key generation takes milliseconds, where RSA-2048 takes a noticeable fraction of a second per key.
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Pem {
  cert: string;
  key: string;
}

interface Issuer {
  name: string;
  keys: webcrypto.CryptoKeyPair;
}

export interface CertificateAuthority extends Pem {
  /** Issues a certificate for a TLS server (`serverAuth`) or client (`clientAuth`). */
  issue(commonName: string, use: 'server' | 'client', altNames?: x509.JsonGeneralNames): Promise<Pem>;
}

function validity() {
  // Valid from an hour back, so a verifier whose clock runs a little behind still accepts it.
  const notBefore = new Date(Date.now() - 3_600_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + 2 * 86_400_000) };
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const issuer: Issuer = { name: `CN=${commonName}`, keys };
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: issuer.name,
    keys,
    signingAlgorithm: ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert: ca.toString('pem'),
    key: await privateKeyPem(keys),
    issue: (name, use, altNames) => issue(issuer, name, use, altNames),
  };
}

async function issue(issuer: Issuer, commonName: string, use: 'server' | 'client', altNames?: x509.JsonGeneralNames): Promise<Pem> {
  const keys = await generateKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([use === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
  ];
  if (altNames) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}`,
    issuer: issuer.name,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    ...validity(),
    extensions,
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys) };
}
