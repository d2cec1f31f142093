/** `npm run emulator`: the platform emulator on its own. A wrong variable stops it with one line naming it. */
import { readFileSync } from 'node:fs';
import { DEFAULTS, startEmulator } from './index.js';

function stop(message: string): never {
  console.error(message);
  process.exit(1);
}

function fromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) stop(`${name}=${raw} is not an integer.`);
  return value;
}

/** A positive integer, or `off` for no throttle. */
function throttleFromEnv(): number | null | undefined {
  const raw = process.env.EMULATOR_THROTTLE_PER_MINUTE;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'off') return null;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    stop(`EMULATOR_THROTTLE_PER_MINUTE=${raw}: use a positive integer (calls per 60 s per application) or off.`);
  }
  return value;
}

/**
 * Both files or neither: then the emulator serves HTTPS. With a CA as well, a client certificate that chains to it
 * counts as one in `/_emulator/stats` (mutual TLS from `npm run emulator`).
 */
function tlsFromEnv(): { cert: Buffer; key: Buffer; ca?: Buffer } | undefined {
  const certFile = process.env.EMULATOR_TLS_CERT_FILE || undefined;
  const keyFile = process.env.EMULATOR_TLS_KEY_FILE || undefined;
  const caFile = process.env.EMULATOR_TLS_CA_FILE || undefined;
  if (!certFile && !keyFile) {
    if (caFile) stop('EMULATOR_TLS_CA_FILE needs EMULATOR_TLS_CERT_FILE and EMULATOR_TLS_KEY_FILE: the CA is for client certificates, which only HTTPS asks for.');
    return undefined;
  }
  if (!certFile) stop('EMULATOR_TLS_CERT_FILE is missing: set it with EMULATOR_TLS_KEY_FILE, or neither.');
  if (!keyFile) stop('EMULATOR_TLS_KEY_FILE is missing: set it with EMULATOR_TLS_CERT_FILE, or neither.');
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      return stop(`${name}=${file} cannot be read: ${(error as Error).message}`);
    }
  };
  const pemCertificate = (name: string, file: string) => {
    const contents = read(name, file);
    if (!contents.includes('-----BEGIN CERTIFICATE-----')) stop(`${name}=${file} holds no PEM certificate.`);
    return contents;
  };
  const cert = pemCertificate('EMULATOR_TLS_CERT_FILE', certFile);
  const key = read('EMULATOR_TLS_KEY_FILE', keyFile);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('utf8'))) stop(`EMULATOR_TLS_KEY_FILE=${keyFile} holds no PEM private key.`);
  return { cert, key, ca: caFile === undefined ? undefined : pemCertificate('EMULATOR_TLS_CA_FILE', caFile) };
}

const clockSetting = process.env.EMULATOR_CLOCK || 'realtime';
if (clockSetting !== 'realtime' && clockSetting !== 'manual') stop(`EMULATOR_CLOCK=${clockSetting}: use realtime or manual.`);
const clock: 'realtime' | 'manual' = clockSetting;
const throttlePerMinute = throttleFromEnv();
const tls = tlsFromEnv();

const started = Date.now();
try {
  const emulator = await startEmulator({
    port: fromEnv('EMULATOR_PORT') ?? DEFAULTS.port,
    host: process.env.EMULATOR_HOST || DEFAULTS.host,
    seed: fromEnv('EMULATOR_SEED'),
    devices: fromEnv('EMULATOR_DEVICES'),
    startTime: process.env.EMULATOR_START_TIME || undefined,
    throttlePerMinute,
    tls,
    clock,
    appId: process.env.EMULATOR_APP_ID || undefined,
    secret: process.env.EMULATOR_SECRET || undefined,
    stateFile: process.env.EMULATOR_STATE_FILE || undefined,
  });
  emulator.keepState();
  console.log(`Platform emulator ready in ${Date.now() - started} ms at ${emulator.url}`);
  if (process.env.EMULATOR_STATE_FILE) {
    console.log(`  state: ${process.env.EMULATOR_STATE_FILE} (${emulator.restored ? 'went on from it' : 'new'}; identity ${emulator.identity})`);
  }
  console.log(`  credentials: appId=${emulator.credentials.appId} secret=${emulator.credentials.secret}`);
  console.log(`  control API: ${emulator.url}/_emulator/stats, /reset, /clock, /faults, /outcomes, /devices, /credentials`);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`The emulator could not start: ${(error as Error).message}`);
  process.exit(1);
}
