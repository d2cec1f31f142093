// First: warnings of the modules imported below go to the log too.
import { logProcessWarningsTo } from './logging/process-warnings.js';
import { setFlagsFromString } from 'node:v8';
import { loadConfig, StartRefused, type GatewayConfig } from './config.js';
import { createLogger } from './logging/logger.js';
import { printRefused, printStarted } from './logging/start-output.js';
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
    printRefused([...loaded.errors, 'Not started: fix the variables above (see README.md, Configuration).']);
    process.exitCode = 1;
    return;
  }
  const { config } = loaded;
  const logger = createLogger(config.logLevel);
  logProcessWarningsTo(logger);

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
    (gateway) => printStarted(...startSummary(gateway, config)),
    (error: unknown) => {
      if (error instanceof PortInUseError || error instanceof StartRefused) printRefused(error.message.split('\n'));
      else logger.error('start-up failed:', error);
      void exit(1);
    },
  );
}

/** Where everything is: as fields for the JSON line, and as text for a person at a terminal. */
function startSummary(gateway: Gateway, config: GatewayConfig): [Record<string, unknown>, string[]] {
  const { url, baseUrl, emulator, platform } = gateway;
  const websocket = url.replace(/^http/, 'ws');
  const sse = `${baseUrl}${GRAPHQL_SSE_PATH}`;
  const consoleUrl = config.console ? `${baseUrl}/console` : undefined;
  const health = { live: `${baseUrl}/health/live`, ready: `${baseUrl}/health/ready` };
  const metrics = `${baseUrl}/metrics`;
  // The emulator's demo secret goes to the terminal only: no log line carries a secret.
  const fields = { url, websocket, sse, playground: config.playground, console: consoleUrl, platform: platform.url, appId: platform.appId, emulator: emulator !== undefined, health, metrics, introspection: config.introspection };
  const text = [`GraphQL endpoint: ${url}`, `Live updates:     ${websocket} (graphql-ws), ${sse} (graphql-sse)`];
  if (config.playground !== 'off') {
    const kind = config.playground === 'graphiql' ? 'GraphiQL, works offline' : 'Apollo Sandbox, needs internet access';
    text.push(`Playground:       ${url} (open it in a browser: ${kind})`);
  }
  if (consoleUrl) text.push(`Console:          ${consoleUrl} (the operators' page, in a browser)`);
  if (emulator) text.push(`Emulator:         ${emulator.url} (demo credentials: appId ${emulator.credentials.appId}, secret ${emulator.credentials.secret})`);
  else text.push(`Platform:         ${platform.url} (appId ${platform.appId})`);
  text.push(`Health:           ${health.live}, ${health.ready}; metrics: ${metrics}`);
  return [fields, text];
}

main();
