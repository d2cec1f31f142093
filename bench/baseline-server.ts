/**
 * The in-memory baseline of `npm run bench:compare` (issue 22): graphql-js alone answering the README's dashboard
 * from a plain object holding the gateway's own answer. Its schema mirrors the dashboard's shape (the gateway's
 * types, fields, nullability and enums); default resolvers read the object; a parsed and validated document is
 * kept per query text, as a gateway's cache would. Forked by bench/compare.ts so its CPU and memory are its own:
 * it receives the answer's `data` over IPC, replies with its URL, and ends when the parent disconnects.
 */
import { createServer } from 'node:http';
import { buildSchema, execute, parse, validate, type DocumentNode, type GraphQLError } from 'graphql';

const schema = buildSchema(`
  type Query { operations(first: Int = 20): OperationConnection }
  type OperationConnection { nodes: [Operation!]! }
  type Operation { id: ID! status: OperationStatus! stats: OperationStats! subtasks(first: Int = 20): SubtaskConnection }
  type OperationStats { total: Int! success: Int! fail: Int! progress: Float! }
  type SubtaskConnection { nodes: [Subtask!]! }
  type Subtask { status: SubtaskStatus! device: Device }
  type Device { name: String fwVersion: String status: DeviceStatus }
  enum OperationStatus { FAILED PROCESSING STOPPED SUCCESS WAIT }
  enum SubtaskStatus { FAILED PROCESSING STOPPED SUCCESS TIMEOUT WAIT }
  enum DeviceStatus { ABNORMAL INACTIVE OFFLINE ONLINE }
`);

const documents = new Map<string, DocumentNode>();

/** The query's document, parsed and validated once; or why it is not valid. */
function documentOf(query: string): DocumentNode | readonly GraphQLError[] {
  const known = documents.get(query);
  if (known) return known;
  const document = parse(query);
  const errors = validate(schema, document);
  if (errors.length > 0) return errors;
  documents.set(query, document);
  return document;
}

function serve(rootValue: unknown): void {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      try {
        const { query, variables } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string; variables?: Record<string, unknown> };
        const document = documentOf(query);
        if (!('kind' in document)) return reply(400, { errors: document });
        // Default resolvers only: the execution is synchronous.
        reply(200, execute({ schema, document, rootValue, variableValues: variables }));
      } catch (error) {
        reply(400, { errors: [{ message: String(error) }] });
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.send?.({ url: `http://127.0.0.1:${port}/graphql` });
  });
}

process.once('message', (message) => serve((message as { data: unknown }).data));
process.once('disconnect', () => process.exit(0));
