// Generated GraphQL documents thrown at the request pipeline over every transport (HTTP POST /graphql, graphql-ws),
// against a gateway process whose fleet mirror is READY: the process stays up and /health/live answers throughout,
// every answer comes within a bound, and is data or errors with a code of a closed set (never INTERNAL_SERVER_ERROR),
// the refusal graphql-js predicts, with the HTTP status that goes with it. The gateway logs nothing but JSON.
//
// Replay: FUZZ_SEED=<seed> (printed) reruns a run; FUZZ_ONLY=<index,from-to> only those documents; FUZZ_DOCUMENTS=<n>.
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGatewaySchema } from '../../src/graphql/build-schema.js';
import { mirrorReady, type GatewayProcess } from '../harness/gateway.js';
import { startStack, type Stack } from '../harness/stack.js';
import { fuzzDocument, type FuzzDocument } from './corpus.js';
import type { KnownIds } from './documents.js';
import { httpTransport, sseTransport, webSocketTransport, type Transport } from './transports.js';
import { expectation, outcomeOf, problemsOf, type Answer, type Expectation } from './verdict.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const SEED = Number(process.env.FUZZ_SEED ?? 20);
const DOCUMENTS = Number(process.env.FUZZ_DOCUMENTS ?? 10_000);
/** `3,17,40-60`: these documents only. */
const ONLY = process.env.FUZZ_ONLY?.split(',').flatMap((part) => {
  const [from, to = from] = part.split('-').map(Number) as [number, number?];
  return Array.from({ length: (to as number) - from + 1 }, (_, i) => from + i);
});
/** Operations in flight at once, over all transports. */
const IN_FLIGHT = 12;
/**
 * The longest any answer may take. Most take 10 to 20 ms; on this 2-core machine with other test files running, and
 * the gateway, the emulator and this test sharing the cores with 12 operations in flight, the slowest seen took
 * 650 ms. 5 s leaves a loaded CI machine several times that, and still catches what the bound is for: a document
 * that blocks the event loop (the fragment bomb of issue 20 did for 8.8 s).
 */
const BOUND_MS = 5_000;
/** How long an accepted subscription is held before it is completed (a refusal comes in milliseconds). */
const SUBSCRIPTION_WINDOW_MS = 150;
/** The gateway's GATEWAY_MAX_TOKENS (its default). */
const MAX_TOKENS = 2_000;
const HEALTH_EVERY_MS = 250;

/** The gateway's own schema (its scalars validate, as schema.graphql's cannot say). */
const schema = await buildGatewaySchema();
let stack: Stack;
let gateway: GatewayProcess;
let ids: KnownIds;
beforeAll(async () => {
  // The gateway as a process: a crash is a crash. The mirror answers most reads; `first` is kept small for the rest.
  stack = await startStack({ gateway: 'process', env: { MIRROR_BUDGET_SHARE: '0.5' } });
  gateway = stack.gateway as GatewayProcess;
  await mirrorReady(gateway, 60_000);
  const { data } = await gateway.query('{ fleet(first: 30) { nodes { id } } operations(first: 10) { nodes { id } } upgradePackages(first: 10) { nodes { id } } deviceGroups(first: 10) { nodes { id } } }');
  const idsOf = (connection: Json): string[] => (connection?.nodes ?? []).map((node: Json) => node.id as string);
  ids = { devices: idsOf(data.fleet), operations: idsOf(data.operations), packages: idsOf(data.upgradePackages), groups: idsOf(data.deviceGroups) };
}, 120_000);
afterAll(() => stack?.close());

interface Sent {
  document: FuzzDocument;
  expectation: Expectation;
  transport: string;
  answer: Answer;
  problems: string[];
}

/** GET /health/live on a connection of its own, as an orchestrator's probe: its status, or why there is none. */
function liveStatus(): Promise<number | string> {
  return new Promise((resolve) => {
    const request = httpGet(new URL('/health/live', gateway.baseUrl), { agent: false, timeout: BOUND_MS }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 'no status'));
    });
    request.once('timeout', () => request.destroy(new Error(`no answer in ${BOUND_MS} ms`)));
    request.once('error', (error) => resolve(String(error)));
  });
}

/** /health/live, every HEALTH_EVERY_MS until stopped: each answer's time, and what was not a 200. */
function watchHealth(): { stop(): Promise<{ times: number[]; failures: string[] }> } {
  const times: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const status = await liveStatus();
      if (status !== 200) failures.push(String(status));
      times.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, HEALTH_EVERY_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { times, failures };
    },
  };
}

/** Sends every job, `IN_FLIGHT` at once. */
async function sendAll(jobs: { document: FuzzDocument; expectation: Expectation; transport: Transport }[]): Promise<Sent[]> {
  const sent: Sent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { document, expectation: expected, transport } = jobs[next++] as (typeof jobs)[number];
      const subscription = expected.operation === 'subscription' && expected.expected === 'runs' && transport.servesSubscriptions;
      const answer = await transport.send({ ...document, subscriptionWindowMs: subscription ? SUBSCRIPTION_WINDOW_MS : undefined });
      sent.push({ document, expectation: expected, transport: transport.name, answer, problems: problemsOf(answer, expected, { boundMs: BOUND_MS, servesSubscriptions: transport.servesSubscriptions }) });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return sent;
}

function report(failure: Sent): string {
  const { document, answer } = failure;
  return [
    `#${document.index} (${document.kind}) over ${failure.transport}, graphql-js says "${failure.expectation.expected}": ${failure.problems.join('; ')}`,
    `  query: ${JSON.stringify(document.query.length > 600 ? `${document.query.slice(0, 600)}…` : document.query)}`,
    ...(document.variables ? [`  variables: ${JSON.stringify(document.variables).slice(0, 300)}`] : []),
    ...(document.operationName !== undefined ? [`  operationName: ${JSON.stringify(document.operationName)}`] : []),
    `  answer: ${JSON.stringify({ status: answer.status, body: answer.body, failure: answer.failure }).slice(0, 600)}`,
    `  replay: FUZZ_SEED=${SEED} FUZZ_ONLY=${document.index} npx vitest run test/edge/fuzz.test.ts`,
  ].join('\n');
}

/**
 * A document refused over one transport and not refused alike over another (DESIGN §1: one pipeline, the same
 * refusals), as a failure of each. Not compared: subscriptions (HTTP POST serves none), the empty query (Apollo's own
 * refusal), and refusals that depend on the moment (RATE_LIMITED, UPSTREAM_TIMEOUT).
 */
function differentRefusals(sent: Sent[]): Sent[] {
  const byDocument = new Map<number, Sent[]>();
  for (const one of sent) byDocument.set(one.document.index, [...(byDocument.get(one.document.index) ?? []), one]);
  const different: Sent[] = [];
  for (const answers of byDocument.values()) {
    const [first] = answers as [Sent];
    if (first.expectation.operation === 'subscription' || first.document.query === '') continue;
    const outcomes = answers.map((one) => outcomeOf(one.answer));
    if (!outcomes.some((outcome) => outcome.startsWith('refused')) || outcomes.some((outcome) => /RATE_LIMITED|UPSTREAM_TIMEOUT/.test(outcome))) continue;
    if (new Set(outcomes).size === 1) continue;
    const all = answers.map((one, i) => `${one.transport}: ${outcomes[i]}`).join(', ');
    different.push(...answers.map((one) => ({ ...one, problems: [`not refused alike over every transport (${all})`] })));
  }
  return different;
}

/** The gateway process's resident memory in MB (Linux), for the summary. */
function rssMb(): number {
  const status = readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0);
}

/** Every transport of the gateway, each a `send`. */
function transportsOf(gateway: GatewayProcess, webSocketConnections = 4): Transport[] {
  const { apiKey } = gateway;
  return [httpTransport(gateway.url, apiKey), webSocketTransport(gateway.url, apiKey, webSocketConnections), sseTransport(gateway.url, apiKey)];
}

/** What the run did: how many, how fast, and each transport's outcomes. */
function summary(sent: Sent[], documents: number, seconds: number, health: number[], rss: string): string {
  const outcomes = new Map<string, number>();
  for (const { transport, answer } of sent) {
    const outcome = `${transport} ${outcomeOf(answer)}`;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const times = sent.map((s) => s.answer.ms);
  return [
    `fuzz: FUZZ_SEED=${SEED}, ${documents} documents, ${sent.length} operations in ${seconds.toFixed(1)} s (${Math.round(sent.length / seconds)}/s, ${IN_FLIGHT} in flight); ` +
      `answer times p50 ${percentile(times, 50)} ms, p99 ${percentile(times, 99)} ms, max ${percentile(times, 100)} ms`,
    `fuzz: /health/live ${health.length} times, max ${percentile(health, 100)} ms; gateway RSS ${rss}`,
    ...[...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([outcome, count]) => `fuzz:   ${outcome}: ${count}`),
  ].join('\n');
}

/** The failures, one of each kind first (numbers aside), and the errors the gateway logged meanwhile. */
function failureReport(failures: Sent[], logged: string[]): string {
  const kinds = new Map<string, Sent>();
  for (const failure of failures) {
    const kind = `${failure.transport} ${failure.problems[0]?.replace(/\d+/g, 'N').slice(0, 80)}`;
    if (!kinds.has(kind)) kinds.set(kind, failure);
  }
  const shown = [...new Set([...kinds.values(), ...failures])].slice(0, Number(process.env.FUZZ_SHOW ?? 15));
  const errors = logged.filter((line) => !line.startsWith('{"level":"') || /"level":"(error|fatal)"/.test(line));
  const errorLines = errors.length === 0 ? '' : `\nthe gateway logged ${errors.length} errors, the first:\n${errors.slice(0, 5).map((line) => line.slice(0, 1_500)).join('\n')}`;
  return `FUZZ_SEED=${SEED}: ${failures.length} bad answers (${kinds.size} kinds), these first:\n${shown.map(report).join('\n')}${errorLines}`;
}

describe(`the request pipeline under ${ONLY ? ONLY.length : DOCUMENTS} generated documents (FUZZ_SEED=${SEED})`, () => {
  it('answers every one over every transport within the bound, with data or coded errors, alike, and stays up', async () => {
    const indices = ONLY ?? Array.from({ length: DOCUMENTS }, (_, i) => i);
    const documents = indices.map((index) => fuzzDocument(SEED, index, ids));
    const transports = transportsOf(gateway);
    const jobs = documents.flatMap((document) => {
      const expected = expectation(document, schema, MAX_TOKENS);
      return transports.map((transport) => ({ document, expectation: expected, transport }));
    });
    const logFrom = gateway.log.lines.length;
    const rssBefore = rssMb();
    const health = watchHealth();
    const started = performance.now();
    const sent = await sendAll(jobs);
    const seconds = (performance.now() - started) / 1000;
    const healthSeen = await health.stop();
    await Promise.all(transports.map((transport) => transport.close()));
    console.log(summary(sent, documents.length, seconds, healthSeen.times, `${rssBefore} MB before, ${rssMb()} MB after`));

    const failures = [...sent.filter((s) => s.problems.length > 0), ...differentRefusals(sent)].sort((a, b) => a.document.index - b.document.index);
    expect(failures.length, failureReport(failures, gateway.log.lines.slice(logFrom))).toBe(0);
    expect(healthSeen.failures, '/health/live during the run').toEqual([]);
    expect(Math.max(...healthSeen.times), '/health/live answer time during the run').toBeLessThan(BOUND_MS);

    // Still up, and still answering over every transport.
    expect(gateway.child.exitCode).toBeNull();
    expect(await liveStatus()).toBe(200);
    const after = transportsOf(gateway, 1);
    for (const transport of after) expect((await transport.send({ query: '{ mirror { state } }' })).body).toEqual({ data: { mirror: { state: 'READY' } } });
    await Promise.all(after.map((transport) => transport.close()));

    // Only JSON lines (stdout and stderr), none about an uncaught exception or an unhandled rejection.
    const lines = gateway.log.lines.slice(logFrom);
    expect(lines.filter((line) => !line.startsWith('{')), 'plain-text lines in the gateway output').toEqual([]);
    expect(lines.filter((line) => /uncaught|unhandled/i.test(line)), 'uncaught or unhandled in the gateway log').toEqual([]);
  }, 300_000);
});
