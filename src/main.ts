import { setFlagsFromString } from 'node:v8';
import { loadConfig, StartRefused } from './config.js';
import { createLogger } from './logging/logger.js';
import { PortInUseError } from './http/port-in-use.js';
import { createGateway, GRAPHQL_SSE_PATH, type Gateway } from './server.js';

/** A close that hangs (a stuck upstream call) must not keep the process alive forever. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * V8 lets a busy process's heap grow to several times what is live before it collects in full: a gateway with
 * 50 MB live peaked near 300 MB under a dashboard load. Smaller growth steps keep the resident size near the live
 * size for a little CPU. An operator's own `--heap-growing-percent` (NODE_OPTIONS) wins.
 */
const HEAP_GROWING_PERCENT = 20;

function main(): void {
  const nodeFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (!nodeFlags.some((flag) => /^--heap[-_]growing[-_]percent/.test(flag))) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const line of loaded.errors) console.error(line);
    console.error('Not started: fix the variables above (see README.md, Configuration).');
    process.exitCode = 1;
    return;
  }
  const { config } = loaded;
  const logger = createLogger(config.logLevel);

  const starting: Promise<Gateway> = createGateway(config, { logger });

  let exiting = false;
  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    setTimeout(() => {
      logger.error(`close did not finish within ${CLOSE_TIMEOUT_MS} ms; exiting anyway`);
      process.exit(code || 1);
    }, CLOSE_TIMEOUT_MS).unref();
    try {
      // A signal during start-up waits for the start to finish (or fail) and then closes what started.
      const gateway = await starting.catch(() => undefined);
      await gateway?.close();
    } catch (error) {
      logger.error('close failed:', error);
      code ||= 1;
    }
    process.exit(code);
  };

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (exiting) {
        // A second signal means "now": skip the graceful close.
        process.exit(1);
      }
      logger.info(`${signal} received; closing`);
      void exit(0);
    });
  }
  // Log, close what is open, exit non-zero: never die silently, never keep running in an unknown state.
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception:', error);
    void exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection:', reason);
    void exit(1);
  });

  starting.then(
    (gateway) => {
      logger.info(
        { url: gateway.url, platform: gateway.platform.url, emulator: gateway.emulator !== undefined, playground: config.playground, introspection: config.introspection },
        'gateway started',
      );
      console.log(`GraphQL endpoint: ${gateway.url}`);
      console.log(`Live updates:     ${gateway.url.replace(/^http/, 'ws')} (graphql-ws), ${gateway.baseUrl}${GRAPHQL_SSE_PATH} (graphql-sse)`);
      if (config.playground !== 'off') {
        const kind = config.playground === 'graphiql' ? 'GraphiQL, works offline' : 'Apollo Sandbox, needs internet access';
        console.log(`Playground:       ${gateway.url} (open it in a browser: ${kind})`);
      }
      if (config.console) console.log(`Console:          ${gateway.baseUrl}/console (the operators' page, in a browser)`);
      if (gateway.emulator) {
        const { appId, secret } = gateway.emulator.credentials;
        console.log(`Emulator:         ${gateway.emulator.url} (demo credentials: appId ${appId}, secret ${secret})`);
      } else {
        console.log(`Platform:         ${gateway.platform.url} (appId ${gateway.platform.appId})`);
      }
      console.log(`Health:           ${gateway.baseUrl}/health/live, ${gateway.baseUrl}/health/ready; metrics: ${gateway.baseUrl}/metrics`);
    },
    (error: unknown) => {
      if (error instanceof PortInUseError || error instanceof StartRefused) console.error(error.message);
      else logger.error('start-up failed:', error);
      void exit(1);
    },
  );
}

main();
