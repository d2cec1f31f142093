// Waiting for what a test expects to happen: read, check, and again every `everyMs`, for at most `ms`; a timeout
// throws with the last value read.

export async function eventuallyTimed<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000, everyMs = 100): Promise<{ value: T; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return { value, afterMs: Date.now() - started };
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${JSON.stringify(value).slice(0, 800)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000, everyMs = 100): Promise<T> {
  return (await eventuallyTimed(read, ok, ms, everyMs)).value;
}
