/**
 * The emulator as a bench's child process (bench/stack.ts forks it): started with the options given as JSON in the
 * first argument, its URL sent to the parent once it listens; it stops when the parent disconnects.
 */
import { startEmulator, type EmulatorOptions } from '../src/emulator/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions;
const emulator = await startEmulator({ ...options, port: 0 });
process.send?.({ url: emulator.url });
process.once('disconnect', () => void emulator.close().finally(() => process.exit(0)));
