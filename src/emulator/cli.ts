/** `npm run emulator`: the platform emulator on its own. */
import { DEFAULTS, startEmulator } from './index.js';

function fromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    console.error(`${name}=${raw} is not an integer.`);
    process.exit(1);
  }
  return value;
}

const clockSetting = process.env.EMULATOR_CLOCK || 'realtime';
if (clockSetting !== 'realtime' && clockSetting !== 'manual') {
  console.error(`EMULATOR_CLOCK=${clockSetting}: use realtime or manual.`);
  process.exit(1);
}
const clock: 'realtime' | 'manual' = clockSetting;

const started = Date.now();
try {
  const emulator = await startEmulator({
    port: fromEnv('EMULATOR_PORT') ?? DEFAULTS.port,
    host: process.env.EMULATOR_HOST || DEFAULTS.host,
    seed: fromEnv('EMULATOR_SEED'),
    devices: fromEnv('EMULATOR_DEVICES'),
    startTime: process.env.EMULATOR_START_TIME || undefined,
    throttlePerMinute: fromEnv('EMULATOR_THROTTLE_PER_MINUTE'),
    clock,
    appId: process.env.EMULATOR_APP_ID || undefined,
    secret: process.env.EMULATOR_SECRET || undefined,
  });
  console.log(`Platform emulator ready in ${Date.now() - started} ms at ${emulator.url}`);
  console.log(`  credentials: appId=${emulator.credentials.appId} secret=${emulator.credentials.secret}`);
  console.log(`  control API: ${emulator.url}/_emulator/stats, /reset, /clock, /faults, /credentials`);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`The emulator could not start: ${(error as Error).message}`);
  process.exit(1);
}
