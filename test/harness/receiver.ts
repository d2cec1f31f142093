// A callback receiver like the SDKs' (/v1.0.0/messageReceiver): records every JSON notice POSTed to it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Receiver {
  url: string;
  notices: Json[];
  paths: string[];
  /** The status it answers with (200 unless a test makes it refuse). */
  status: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const notices: Json[] = [];
  const paths: string[] = [];
  let receiver: Receiver | undefined = undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url}`);
      try { notices.push(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch { notices.push({ unparsable: Buffer.concat(chunks).toString('utf8') }); }
      res.writeHead(receiver?.status ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver = {
    url: `http://127.0.0.1:${port}/v1.0.0/messageReceiver`,
    notices,
    paths,
    status: 200,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return receiver;
}
