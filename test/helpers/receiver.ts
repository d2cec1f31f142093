// A callback receiver like the SDKs' (/v1.0.0/messageReceiver): records every JSON notice POSTed to it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Receiver { url: string; notices: Json[]; paths: string[]; close(): Promise<void> }

export async function startReceiver(): Promise<Receiver> {
  const notices: Json[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url}`);
      try { notices.push(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch { notices.push({ unparsable: Buffer.concat(chunks).toString('utf8') }); }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1.0.0/messageReceiver`,
    notices,
    paths,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
