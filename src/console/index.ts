import { join } from 'node:path';
import express, { type Router } from 'express';
import type { Logger } from '../logging/logger.js';
import { escapeHtml, loadBundle, packageRoot, sendPage, serveAssets } from '../playground/index.js';
import type { ConsoleManifest } from './manifest.js';

export const CONSOLE_PATH = '/console';
const ASSETS_PATH = `${CONSOLE_PATH}/assets`;

/**
 * Everything comes from this server. Styles are 'self' only: the page sets widths through the DOM (CSSOM), which
 * the policy does not govern, and writes no style attribute or element. connect-src 'self' covers the
 * WebSocket of the same host.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleOptions {
  graphqlPath: string;
  /** Whether the gateway checks API keys: the page then asks for one. */
  keysRequired: boolean;
  logger: Logger;
}

/** Serves the operators' console (bundled by build.ts) at /console, and its files. */
export function createConsole(options: ConsoleOptions): Router {
  const router = express.Router();
  const bundle = loadBundle<ConsoleManifest>(join(packageRoot(), 'dist/console'));
  if (bundle === undefined) options.logger.warn('the console is not built (run npm run build): /console answers with a notice instead');

  router.get([CONSOLE_PATH, `${CONSOLE_PATH}/`], (_req, res) => {
    sendPage(res, bundle, CONSOLE_CONTENT_SECURITY_POLICY, 'console', (manifest) => page(manifest, options));
  });
  serveAssets(router, ASSETS_PATH, bundle, CONSOLE_CONTENT_SECURITY_POLICY);
  return router;
}

function page(manifest: ConsoleManifest, options: ConsoleOptions): string {
  const asset = (file: string): string => escapeHtml(`${ASSETS_PATH}/${file}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northbound console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset(manifest.style)}">
<script type="module" src="${asset(manifest.script)}"></script>
</head>
<body>
<div id="console" data-endpoint="${escapeHtml(options.graphqlPath)}" data-auth="${options.keysRequired ? 'keys' : 'open'}"><p>Loading the console…</p></div>
<noscript>The console needs JavaScript.</noscript>
</body>
</html>
`;
}
