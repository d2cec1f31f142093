import type { Request } from 'express';

/**
 * Apollo's landing page loads from a CDN and is blank offline, so it is disabled; until the offline
 * playground lands, a browser visiting the endpoint gets this self-contained page instead.
 */

/** Same negotiation as Apollo's: a GET whose Accept prefers HTML over the GraphQL response types. */
export function prefersHtml(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

export const PLACEHOLDER_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

export function placeholderPage(endpoint: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northbound GraphQL gateway</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
  code, pre { font-family: ui-monospace, monospace; background: #f3f3f3; border-radius: 4px; }
  pre { padding: 0.75rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>Northbound GraphQL gateway</h1>
<p>This is the GraphQL endpoint. An interactive playground that works offline arrives here soon.</p>
<p>Until then, send queries with any GraphQL client or with curl:</p>
<pre>curl -s ${escapeHtml(endpoint)} \\
  -H 'content-type: application/json' \\
  -d '{"query":"{ health { loginOk emulator platformUrl error } }"}'</pre>
<p>When the gateway was started with <code>GATEWAY_API_KEYS</code>, add <code>-H 'x-api-key: &lt;key&gt;'</code>.</p>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
