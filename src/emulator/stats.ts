/** The request counters that GET /_emulator/stats answers. */
import type { TLSSocket } from 'node:tls';

/** Over HTTPS, per platform request: its connection's client certificate chains to `tls.ca`, does not, or is absent. */
export interface TlsClientCounts {
  clientCertificates: number;
  untrusted: number;
  anonymous: number;
}

export interface EmulatorStats {
  total: number;
  throttled: number;
  /** Calls refused with 1010005 (no valid token): each login voids the app's earlier tokens. */
  tokenRejected: number;
  byRoute: Record<string, number>;
  tls?: TlsClientCounts;
}

export function emptyStats(servesTls: boolean): EmulatorStats {
  return { total: 0, throttled: 0, tokenRejected: 0, byRoute: {}, ...(servesTls ? { tls: { clientCertificates: 0, untrusted: 0, anonymous: 0 } } : {}) };
}

export function tlsClient(socket: TLSSocket): keyof TlsClientCounts {
  if (socket.authorized) return 'clientCertificates';
  // With no client certificate Node returns an empty object.
  return Object.keys(socket.getPeerCertificate()).length > 0 ? 'untrusted' : 'anonymous';
}
