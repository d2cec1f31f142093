// The fuzz test's documents: `fuzzDocument(seed, index, ids)` is document `index` of the run seeded with `seed`, the
// same on every machine. A mix of operations built from the schema (documents.ts), some wrong on purpose, wrong
// variables, documents of several operations, syntax garbage, and documents at and past the query limits (depth,
// aliases, directives, tokens, cost) that stay within the body limit.
import { DocumentBuilder, type KnownIds, type RootKind } from './documents.js';
import { Random } from '../../src/emulator/random.js';

export interface FuzzDocument {
  index: number;
  /** What it was made to exercise. */
  kind: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Variables as JSON text, nested deeper than JSON.stringify can write (instead of `variables`). */
  rawVariables?: string;
  operationName?: string;
}

/** Each document's JSON body stays under this: the gateway's body limit (GATEWAY_MAX_BODY_BYTES) is 102,400. */
const MAX_DOCUMENT_BYTES = 90_000;

type Maker = (random: Random, ids: KnownIds) => Omit<FuzzDocument, 'index' | 'kind'>;

const built =
  (kind: RootKind, chaos: number): Maker =>
  (random, ids) => {
    const builder = new DocumentBuilder(random, ids, chaos);
    return builder.operation(kind, random.int(1, kind === 'query' ? 6 : 3), random.int(1, 4), random.chance(0.3) ? 'Fuzz' : undefined);
  };

const MAKERS: readonly (readonly [number, string, Maker])[] = [
  [28, 'query', built('query', 0)],
  [12, 'query with mistakes', built('query', 0.06)],
  [7, 'mutation', built('mutation', 0.02)],
  [8, 'subscription', (random, ids) => built('subscription', random.chance(0.5) ? 0 : 0.08)(random, ids)],
  [6, 'wrong variables', wrongVariables],
  [7, 'several operations', severalOperations],
  [12, 'syntax garbage', (random, ids) => ({ query: garble(random, built('query', 0)(random, ids).query) })],
  [4, 'junk', (random) => ({ query: junk(random) })],
  [16, 'extreme', extreme],
];

/** One of the choices, each as likely as its weight (written weight first, as the tables here read best). */
function weighted<T>(random: Random, choices: readonly (readonly [number, T])[]): T {
  return random.weighted(choices.map(([weight, value]) => [value, weight] as const));
}

export function fuzzDocument(seed: number, index: number, ids: KnownIds): FuzzDocument {
  // The emulator's seeded generator, a stream per document: one failing document can be made again alone.
  const random = new Random(seed, index);
  const [kind, make] = weighted(random, MAKERS.map(([weight, kind, make]) => [weight, [kind, make]] as const));
  const document = { index, kind, ...make(random, ids) };
  if (JSON.stringify(document).length > MAX_DOCUMENT_BYTES) return { index, kind: `${kind} (cut)`, query: document.query.slice(0, MAX_DOCUMENT_BYTES / 2) };
  return document;
}

/** A valid query sent with variables it does not take: missing, wrong, extra, or deeply nested. */
function wrongVariables(random: Random, ids: KnownIds): Omit<FuzzDocument, 'index' | 'kind'> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const builder = new DocumentBuilder(random, ids);
    const { query, variables } = builder.operation('query', random.int(1, 4), random.int(1, 3));
    const names = Object.keys(variables);
    if (names.length === 0 && attempt < 19) continue;
    const target = names.length > 0 ? random.pick(names) : 'extra';
    const changed: Record<string, unknown> = { ...variables };
    if (random.chance(0.1)) {
      delete changed[target];
      return { query, rawVariables: withNested(changed, target, ['[', '"x"', ']'], random.int(100, 20_000)) };
    }
    weighted<() => void>(random, [
      [3, () => delete changed[target]],
      [4, () => (changed[target] = random.pick<unknown>([null, 'x', 7, 1.5, true, {}, [], [null], { a: { b: [] } }, '9'.repeat(400)]))],
      [2, () => (changed.notDeclared = 1)],
    ])();
    return { query, variables: changed };
  }
  throw new Error('unreachable');
}

/** The variables' JSON with one more, `name`: `open` `depth` times, `leaf`, `close` `depth` times. */
function withNested(variables: Record<string, unknown>, name: string, [open, leaf, close]: [string, string, string], depth: number): string {
  const json = JSON.stringify(variables);
  return `${json.slice(0, -1)}${json === '{}' ? '' : ','}${JSON.stringify(name)}:${open.repeat(depth)}${leaf}${close.repeat(depth)}}`;
}

/** Several operations (and sometimes other definitions) in one document, with or without the name to run. */
function severalOperations(random: Random, ids: KnownIds): Omit<FuzzDocument, 'index' | 'kind'> {
  const count = random.pick([1, 2, 2, 3, 5, 40]);
  const names = Array.from({ length: count }, (_, i) => (random.chance(0.15) ? '' : random.chance(0.1) ? 'Dup' : `Op${i}`));
  const operations = names.map((name) => {
    const kind = weighted<RootKind>(random, [[6, 'query'], [1, 'mutation'], [1, 'subscription']]);
    return new DocumentBuilder(random, ids, 0, false).operation(kind, random.int(1, 3), 2, name || undefined).query;
  });
  if (random.chance(0.1)) operations.push(random.pick(['type Extra { a: Int }', 'schema { query: Query }', 'fragment Unused on Query { mirror { state } }', 'directive @x on FIELD']));
  const operationName = weighted<string | undefined>(random, [
    [3, names.find((name) => name !== '')],
    [2, undefined],
    [1, 'NoSuchOperation'],
    [1, ''],
  ]);
  return { query: operations.join('\n'), ...(operationName === undefined ? {} : { operationName }) };
}

const PUNCTUATION = ['{', '}', '(', ')', '[', ']', ':', '$', '@', '!', '.', '...', '=', '"', '"""', ',', '\\', '#', '|', '&', '\u0000', '\u202e', '\ufeff', '\ud800', 'é', '😀', '\n'];

/** The text with one to three edits that most likely break its syntax. */
function garble(random: Random, text: string): string {
  let garbled = text;
  for (let edits = random.int(1, 3); edits > 0; edits--) {
    const at = random.int(0, garbled.length);
    const to = Math.min(garbled.length, at + random.int(1, 20));
    garbled = weighted<() => string>(random, [
      [2, () => garbled.slice(0, at)],
      [2, () => garbled.slice(0, at) + garbled.slice(to)],
      [4, () => garbled.slice(0, at) + random.pick(PUNCTUATION) + garbled.slice(at)],
      [2, () => garbled.slice(0, at) + random.pick(PUNCTUATION) + garbled.slice(at + 1)],
      [1, () => garbled.slice(0, to) + garbled.slice(at, to) + garbled.slice(to)],
      [1, () => garbled.replace(/[{}]/g, (brace) => (brace === '{' ? '}' : '{'))],
    ])();
  }
  return garbled;
}

/** Text that is hardly GraphQL at all. */
function junk(random: Random): string {
  const printable = () => Array.from({ length: random.int(1, 200) }, () => String.fromCharCode(random.int(32, 126))).join('');
  const any = () => Array.from({ length: random.int(1, 200) }, () => String.fromCodePoint(random.pick([random.int(0, 0x7f), random.int(0x80, 0xffff), random.int(0x10000, 0x10ffff)]))).join('');
  return weighted<() => string>(random, [
    [3, () => random.pick(['', ' ', '\n\t', '# only a comment', '{', '}', '{}', '{ }', 'query', 'mutation', 'subscription {}', 'null', '[]', '"string"', '12345', 'SELECT * FROM devices', '<script>alert(1)</script>', '\u0000\u0001', '\ufeff{ mirror { state } }', '{ mirror { state } } }', 'query Q($: Int) { mirror { state } }'])],
    [3, printable],
    [2, any],
    [1, () => '{'.repeat(random.int(10, 1_500))],
    [1, () => '{ a'.repeat(random.int(10, 1_000))],
  ])();
}

/** Documents at and past the query limits (depth 10, 15 aliases, 50 directives, 2,000 tokens, cost 10,000). */
function extreme(random: Random, ids: KnownIds): Omit<FuzzDocument, 'index' | 'kind'> {
  const device = JSON.stringify(ids.devices[0] ?? 'x');
  return weighted<() => Omit<FuzzDocument, 'index' | 'kind'>>(random, [
    [2, () => ({ query: `{ device(id: ${device}) { ${deepFields(random.int(1, 3))} } }` })],
    [1, () => ({ query: `{ ${'... on Query { '.repeat(random.int(10, 600))}mirror { state } }` })],
    [2, () => nestedInlineFragments(random.int(5, 420))],
    [1, () => ({ query: `{ ${'a { '.repeat(random.int(5, 1_000))}b }` })],
    [1, () => ({ query: `{ devices(ids: ${'['.repeat(random.int(2, 1_200))}"x"${']'.repeat(random.int(2, 1_200))}) { id } }` })],
    [2, () => ({ query: `{ mirror { ${'state '.repeat(random.pick([10, 300, 1_000, 1_990, 2_500, 14_000]))}} }` })],
    [2, () => ({ query: `{ ${Array.from({ length: random.int(10, 40) }, (_, i) => `a${i}: mirror { state }`).join(' ')} }` })],
    [2, () => ({ query: `{ mirror { ${'state @include(if: true) '.repeat(random.int(30, 120))}} }` })],
    [3, () => fragmentBomb(random)],
    [1, () => ({ query: `{ device(id: "${'x'.repeat(random.pick([100, 10_000, 80_000]))}") { id } }` })],
    [1, () => ({ query: `query(${Array.from({ length: random.int(50, 400) }, (_, i) => `$v${i}: Int`).join(' ')}) { mirror { state } }` })],
    [1, () => ({ query: `{ fleet(first: ${random.pick(['99999999999999999999', '1e400', '-0', '-1', '0x10', '1.0', '"3"', 'null', '[1]'])}) { totalCount } }` })],
    [1, () => ({ query: random.pick(['{ __schema { types { name fields { name } } } }', '{ __type(name: "Device") { fields { name } } }', '{ __typename }', '{ x: mirror { state } x: health { loginOk } }', '{ dévice(id: "x") { id } }']) })],
    [1, () => ({ query: `{ fleet(first: 500) { nodes { operations(first: 500) { nodes { subtasks(first: 500) { nodes { id } } } } } } }` })],
    [1, () => ({ query: DEEP_PARAS, rawVariables: withNested({}, 'p', ['{"a":', '{"leaf":true}', '}'], random.int(100, 12_000)) })],
  ])();
}

/** A batch task for a device that does not exist, its command's parameters sent as a variable. */
const DEEP_PARAS =
  'mutation($p: JSONObject) { createBatchTask(input: { name: "deep", timeout: 10, target: { type: DEVICE_LIST, deviceIds: ["no-such-device"] }, command: { serviceId: "s", method: "m", paras: $p } }) { taskId } }';

/** `levels` rounds of device → its operations → their subtasks → their device. */
function deepFields(levels: number): string {
  let inner = 'name';
  for (let i = 0; i < levels; i++) inner = `operations(first: 1) { nodes { subtasks(first: 1) { nodes { device { ${inner} } } } } }`;
  return inner;
}

/** Inline fragments inside inline fragments, closed properly, `levels` deep. */
function nestedInlineFragments(levels: number): Omit<FuzzDocument, 'index' | 'kind'> {
  return { query: `{ ${'... on Query { '.repeat(levels)}mirror { state }${' }'.repeat(levels)} }` };
}

/** Levels of fragments, each spreading the next many times: priced, never expanded, by the cost rule. */
function fragmentBomb(random: Random): Omit<FuzzDocument, 'index' | 'kind'> {
  const levels = random.int(2, 5);
  const spreads = random.pick([3, 10, 30, 100, 300]);
  const names = Array.from({ length: levels }, (_, i) => `L${i}`);
  const lines = [`{ mirror { ${`...${names[0]} `.repeat(spreads)}} }`];
  names.forEach((name, i) => {
    const next = names[i + 1];
    lines.push(`fragment ${name} on MirrorStatus { ${next ? `...${next} `.repeat(spreads) : 'notifications { received } state'} }`);
  });
  return { query: lines.join('\n') };
}
