import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import type { Environment } from 'monaco-editor';
import { createRoot } from 'react-dom/client';
import { EXAMPLES } from '../examples.js';
import { getOperationAST, Kind, parse, type DocumentNode } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
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
const { endpoint = '/graphql', streamEndpoint = '/graphql/stream', apiKeyHeader } = container.dataset;

// Subscriptions over graphql-ws at the same path; the headers editor's values go along as connectionParams.
const subscriptionUrl = new URL(endpoint, window.location.href).href.replace(/^http/, 'ws');
// Or, for a network that refuses WebSockets, over Server-Sent Events: the page opened with ?transport=sse.
const overSse = new URLSearchParams(window.location.search).get('transport') === 'sse';

// With API keys configured every request needs one: open the headers editor with the header ready to fill in.
const headers =
  apiKeyHeader === undefined ? undefined : `{\n  // This gateway needs an API key: put yours here.\n  "${apiKeyHeader}": ""\n}\n`;

const fetcher = createGraphiQLFetcher({ url: endpoint, subscriptionUrl });
// Right after a tab switch GraphiQL may still send the previous tab's operation name (or none) and the previous
// tab's parsed document, by which the fetcher tells a subscription (for the socket) from the rest (for HTTP). The
// document is parsed here from the text sent, and a name it does not define is replaced by its own (when it has one
// operation): the document on screen runs, over the socket when it is a subscription.
const tabSafeFetcher: typeof fetcher = (params, options) => {
  let documentAST: DocumentNode;
  try {
    documentAST = parse(params.query);
  } catch {
    // The server words a syntax error.
    return fetcher(params, options);
  }
  const names = documentAST.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : []));
  const operationName = params.operationName && names.includes(params.operationName) ? params.operationName : names.length === 1 ? names[0] : null;
  if (overSse && getOperationAST(documentAST, operationName)?.operation === 'subscription') {
    // One stream per subscription; GraphiQL's stop ends the iteration, which ends the stream.
    const client = createSseClient({ url: streamEndpoint, headers: options?.headers as Record<string, string> | undefined, retryAttempts: 0 });
    return client.iterate({ query: params.query, variables: params.variables ?? undefined, operationName: operationName ?? undefined });
  }
  return fetcher({ ...params, operationName }, { ...options, documentAST });
};

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
