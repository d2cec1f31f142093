import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../logging/logger.js';
import { MANIFEST_FILE, type PlaygroundManifest } from './manifest.js';

/** Where the bundle's files are served; the page links to them from any endpoint path. */
export const PLAYGROUND_ASSETS_PATH = '/playground/assets';

/**
 * Everything the page loads comes from this server, each directive as loose as the page needs and no looser
 * (checked in Chromium by removing each allowance in turn): Monaco writes hundreds of <style> elements and style
 * attributes at run time, without a nonce, hence 'unsafe-inline' for styles; GraphiQL's fonts and Monaco's
 * squiggles are data: URLs. Scripts are 'self' only (no inline script, no eval), and so are Monaco's workers
 * (separate files, not blobs).
 */
export const PLAYGROUND_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface PlaygroundOptions {
  /** The GraphQL endpoint: the page is served there and sends its requests there. */
  graphqlPath: string;
  /** GraphQL over Server-Sent Events: the live tab's transport when the page is opened with `?transport=sse`. */
  streamPath: string;
  /** Set when the gateway checks API keys: the page then opens its headers editor with this header to fill in. */
  apiKeyHeader?: string;
  logger: Logger;
}

/** Same negotiation as Apollo's landing page: a GET whose Accept prefers HTML over the GraphQL response types. */
export function prefersHtml(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/**
 * Serves GraphiQL (bundled by build.ts) to browsers at the endpoint, and its files; everything else passes on.
 * Mount it before the GraphQL middleware, which would otherwise answer those GETs.
 */
export function createPlayground(options: PlaygroundOptions): Router {
  const router = express.Router();
  const bundle = loadBundle(join(packageRoot(), 'dist/playground'));
  if (bundle === undefined) {
    options.logger.warn('the playground is not built (run npm run build): browsers at the endpoint get a notice instead');
  }

  router.get(options.graphqlPath, (req, res, next) => {
    if (!prefersHtml(req)) return next();
    sendPage(res, bundle, PLAYGROUND_CONTENT_SECURITY_POLICY, 'playground', (manifest) => page(manifest, options));
  });
  serveAssets(router, PLAYGROUND_ASSETS_PATH, bundle, PLAYGROUND_CONTENT_SECURITY_POLICY);
  return router;
}

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/** A bundled page (never cached: it names the current files), or a notice that `what` is not built. */
export function sendPage<Manifest>(res: Response, bundle: Bundle<Manifest> | undefined, policy: string, what: string, html: (manifest: Manifest) => string): void {
  res.set({ 'content-security-policy': policy, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  if (bundle === undefined) {
    res.status(503).type('text').send(`The ${what} is not built: run \`npm run build\`, then restart the gateway.\n`);
    return;
  }
  res.type('html').send(html(bundle.manifest));
}

/** GET `path/:file`: one of the bundle's files; any other name passes on. */
export function serveAssets<Manifest>(router: Router, path: string, bundle: Bundle<Manifest> | undefined, policy: string): void {
  router.get(`${path}/:file`, (req, res, next) => {
    const file = bundle?.files.get(req.params.file);
    if (file === undefined) return next();
    sendAsset(req, res, file, policy);
  });
}

interface Asset {
  path: string;
  /** build.ts wrote a gzipped copy beside it. */
  gzipped: boolean;
}

export interface Bundle<Manifest = PlaygroundManifest> {
  manifest: Manifest;
  files: ReadonlyMap<string, Asset>;
}

/** Read once at start-up: the set of servable files is fixed, so a request can never name another path. */
export function loadBundle<Manifest = PlaygroundManifest>(dir: string): Bundle<Manifest> | undefined {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const assetsDir = join(dir, 'assets');
  const names = new Set(readdirSync(assetsDir));
  const files = new Map<string, Asset>();
  for (const name of names) {
    if (!name.endsWith('.gz')) files.set(name, { path: join(assetsDir, name), gzipped: names.has(`${name}.gz`) });
  }
  return { manifest, files };
}

/** `policy`: workers take their policy from their own script's response. */
function sendAsset(req: Request, res: Response, asset: Asset, policy: string): void {
  const gzip = asset.gzipped && req.acceptsEncodings(['gzip', 'identity']) === 'gzip';
  res.set({
    // Names carry a content hash: a new build means new names, so a copy never goes stale.
    'cache-control': 'public, max-age=31536000, immutable',
    vary: 'Accept-Encoding',
    'content-security-policy': policy,
    ...SECURITY_HEADERS,
  });
  // The type of the file, not of its compressed copy.
  res.type(extname(asset.path));
  if (gzip) res.set('content-encoding', 'gzip');
  res.sendFile(gzip ? `${asset.path}.gz` : asset.path, { acceptRanges: false, cacheControl: false });
}

function page(manifest: PlaygroundManifest, options: PlaygroundOptions): string {
  const asset = (file: string): string => escapeHtml(`${PLAYGROUND_ASSETS_PATH}/${file}`);
  const apiKey = options.apiKeyHeader === undefined ? '' : ` data-api-key-header="${escapeHtml(options.apiKeyHeader)}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northbound GraphQL gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset(manifest.style)}">
<script src="${asset(manifest.script)}" defer></script>
</head>
<body>
<div id="graphiql" data-endpoint="${escapeHtml(options.graphqlPath)}" data-stream-endpoint="${escapeHtml(options.streamPath)}"${apiKey}>Loading the playground…</div>
<noscript>The playground needs JavaScript. Send GraphQL requests to this URL with any GraphQL client.</noscript>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The folder with package.json above this module: the same from src/ (tests) and from dist/src/ (npm start). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the playground module');
    dir = parent;
  }
  return dir;
}
