import { createServer } from 'node:net';

/** A port the gateway was told to listen on, and the variable that told it. */
export interface PortSetting {
  variable: 'PORT' | 'EMULATOR_PORT';
  port: number;
  host: string;
}

/**
 * Ports the gateway was told to listen on are taken. Start-up then ends with the message alone, one line per taken
 * port naming the variable to change, rather than a stack trace that leaves the operator to guess which port it was.
 */
export class PortInUseError extends Error {
  constructor(readonly taken: readonly PortSetting[]) {
    super(taken.map(({ variable, port, host }) => `${variable}: port ${port} on ${host} is already in use; stop what listens there or set ${variable} to a free port (0: any)`).join('\n'));
  }
}

/**
 * Rethrows a listen failure as {@link PortInUseError} when that is what it is, naming with it each of `others` (the
 * ports not yet listened on) that is taken too: the operator frees them all at once rather than one per try.
 */
export async function asPortInUse(error: unknown, failed: PortSetting, others: readonly PortSetting[] = []): Promise<unknown> {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') return error;
  const taken = [failed];
  for (const other of others) if (other.port !== 0 && !(await free(other))) taken.push(other);
  return new PortInUseError(taken);
}

/** Whether nothing listens there now (a port refused for another reason is not said to be taken). */
function free({ port, host }: PortSetting): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE'));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
