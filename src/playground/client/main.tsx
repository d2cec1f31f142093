import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import type { Environment } from 'monaco-editor';
import { createRoot } from 'react-dom/client';
import { EXAMPLES } from '../examples.js';
import './page.css';

/** File names of the Monaco workers, which sit beside this script; defined by the build (src/playground/build.ts). */
declare const PLAYGROUND_WORKERS: Record<'editor' | 'json' | 'graphql', string>;

// Only readable while this script runs.
const scriptUrl = (document.currentScript as HTMLScriptElement).src;

// Monaco runs its language services in workers: self-hosted files, not the CDN modules GraphiQL's own setups use.
const monacoEnvironment: Environment = {
  getWorker: (_moduleId, label) => {
    const file = label === 'json' || label === 'graphql' ? PLAYGROUND_WORKERS[label] : PLAYGROUND_WORKERS.editor;
    return new Worker(new URL(file, scriptUrl), { name: label });
  },
};
window.MonacoEnvironment = monacoEnvironment;

// The server renders its settings as data attributes: inline scripts would need a weaker Content-Security-Policy.
const container = document.getElementById('graphiql') as HTMLElement;
const { endpoint = '/graphql', apiKeyHeader } = container.dataset;

// Subscriptions over graphql-ws at the same path; the headers editor's values go along as connectionParams.
const subscriptionUrl = new URL(endpoint, window.location.href).href.replace(/^http/, 'ws');

// With API keys configured every request needs one: open the headers editor with the header ready to fill in.
const headers =
  apiKeyHeader === undefined ? undefined : `{\n  // This gateway needs an API key: put yours here.\n  "${apiKeyHeader}": ""\n}\n`;

const fetcher = createGraphiQLFetcher({ url: endpoint, subscriptionUrl });
// Right after a tab switch GraphiQL may still send the previous tab's operation name: a name the document does not
// define is dropped, so the document's own operation runs (over the socket when it is a subscription) instead of
// being refused as an unknown operation.
const defines = (query: string, name: string) => new RegExp(`\\b(query|mutation|subscription)\\s+${name}\\b`).test(query);
const tabSafeFetcher: typeof fetcher = (params, options) =>
  fetcher(params.operationName && !defines(params.query, params.operationName) ? { ...params, operationName: null } : params, options);

createRoot(container).render(
  <GraphiQL
    fetcher={tabSafeFetcher}
    defaultTabs={EXAMPLES.map(({ query, variables }) => ({
      query,
      variables: variables && JSON.stringify(variables, null, 2),
      headers,
    }))}
    defaultHeaders={headers}
    // Most examples take variables; with API keys, the key comes first.
    defaultEditorToolsVisibility={headers === undefined ? 'variables' : 'headers'}
  >
    <GraphiQL.Logo>Northbound gateway</GraphiQL.Logo>
  </GraphiQL>,
);
