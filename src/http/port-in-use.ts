/**
 * A port the gateway was told to listen on is taken. Start-up then ends with the message alone, one line naming the
 * variable to change, rather than a stack trace that leaves the operator to guess which port it was.
 */
export class PortInUseError extends Error {
  constructor(
    readonly variable: 'PORT' | 'EMULATOR_PORT',
    port: number,
    host: string,
  ) {
    super(`${variable}: port ${port} on ${host} is already in use; stop what listens there or set ${variable} to a free port (0: any)`);
  }
}

/** Rethrows a listen failure as {@link PortInUseError} when that is what it is. */
export function asPortInUse(error: unknown, variable: PortInUseError['variable'], port: number, host: string): unknown {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' ? new PortInUseError(variable, port, host) : error;
}
