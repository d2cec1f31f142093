import express, { type Router } from 'express';
import { prefersHtml } from '../playground/index.js';

/** What a browser gets at the endpoint: the bundled GraphiQL, Apollo Sandbox (loads from Apollo's CDN), or nothing. */
export type PlaygroundKind = 'graphiql' | 'apollo-sandbox' | 'off';

/** Nothing to load, nothing to run: the page is text. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * What a person with a browser finds: `/` leads to the playground, or, with none, to a page saying where the
 * endpoint is and how to call it. With no playground the same page answers a browser at the endpoint, which
 * would otherwise get Apollo's CSRF refusal as JSON. Mount it before the playground and the GraphQL middleware.
 */
export function endpointPage(options: { graphqlPath: string; playground: PlaygroundKind }): Router {
  const router = express.Router();
  const send: express.RequestHandler = (_req, res) => {
    res.set({ 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.type('html').send(page(options.graphqlPath));
  };
  if (options.playground === 'off') {
    router.get('/', send);
    router.get(options.graphqlPath, (req, res, next) => (prefersHtml(req) ? send(req, res, next) : next()));
  } else {
    router.get('/', (_req, res) => res.redirect(302, options.graphqlPath));
  }
  return router;
}

function page(graphqlPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northbound GraphQL gateway</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em; } code { font-size: 0.95em; }</style>
</head>
<body>
<h1>Northbound GraphQL gateway</h1>
<p>The GraphQL endpoint is <code>${graphqlPath}</code> on this server. Send it a <code>POST</code> with
<code>Content-Type: application/json</code> and a body such as <code>{"query": "{ health { loginOk } }"}</code>,
from any GraphQL client.</p>
<p>The playground is off on this gateway (<code>GATEWAY_PLAYGROUND</code>).</p>
</body>
</html>
`;
}
