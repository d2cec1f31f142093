/** The TLS files of an https NORTHBOUND_URL: read and checked as PEM, each problem one line naming its variable. */
import type { TlsMaterial } from '../datasources/platform/client.js';

export type ReadFile = (path: string) => Buffer;

export const TLS_VARIABLES = ['NORTHBOUND_CA_FILE', 'NORTHBOUND_CERT_FILE', 'NORTHBOUND_KEY_FILE'] as const;

export function readTls(raw: (name: string) => string | undefined, https: boolean, readFile: ReadFile, errors: string[]): TlsMaterial {
  const read = (name: (typeof TLS_VARIABLES)[number]): Buffer | undefined => {
    const path = raw(name);
    if (path === undefined) return undefined;
    if (!https) {
      errors.push(`${name}: only used with an https NORTHBOUND_URL`);
      return undefined;
    }
    let contents: Buffer;
    try {
      contents = readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      errors.push(`${name}: cannot read ${path} (${code}); expected a readable PEM file`);
      return undefined;
    }
    if (!contents.toString('latin1').includes('-----BEGIN ')) {
      errors.push(`${name}: ${path} is not PEM; expected a PEM file (-----BEGIN ...)`);
      return undefined;
    }
    return contents;
  };
  const tls: TlsMaterial = { ca: read('NORTHBOUND_CA_FILE'), cert: read('NORTHBOUND_CERT_FILE'), key: read('NORTHBOUND_KEY_FILE') };
  // A client certificate is useless without its key and vice versa.
  if (raw('NORTHBOUND_CERT_FILE') !== undefined && raw('NORTHBOUND_KEY_FILE') === undefined) {
    errors.push('NORTHBOUND_KEY_FILE: required when NORTHBOUND_CERT_FILE is set');
  }
  if (raw('NORTHBOUND_KEY_FILE') !== undefined && raw('NORTHBOUND_CERT_FILE') === undefined) {
    errors.push('NORTHBOUND_CERT_FILE: required when NORTHBOUND_KEY_FILE is set');
  }
  return tls;
}
