/**
 * The edge under attack (issue 20), on gateway processes over the emulator (push on), each figure printed:
 *  1. Fan-out: 20 connections × 20 `deviceUpdated` subscriptions of cost 7,322 each (distinct documents) under one
 *     read key, on PostgreSQL; then one device rename. Reported: subscriptions accepted and refused, executions of
 *     the rename, the seconds until every accepted subscriber heard it, events carrying an error, another key's
 *     `fleet` query latency during the fan-out (and before), the gateway's RSS. Run with the defaults, then with
 *     GATEWAY_MAX_LIVE_COST_PER_KEY lifted (what the fair, bounded execution does alone with all 400).
 *  2. The fragment bomb (3 levels of 300 spreads): the refusal's latency, alone and 3 at once with `/health/live`.
 *  3. Four 20 MB `connection_init` messages with a wrong key: RSS before and after.
 *  4. 100 connections × 20 subscriptions (distinct documents), dropped: RSS before, held, and 30 s after; the
 *     subscriptions and change listeners left.
 *
 *   npm run bench:edge
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres): a server where this user may create and
 * drop a database.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { throwawayDatabase } from './postgres.js';
import { memory } from './proc.js';
import { API_KEY, fixed, graphql, startEmulatorProcess, startPushGateway, type Gateway, type Json, type Platform } from './stack.js';

const OTHER_KEY = 'bench-other-key';
const KEYS = { GATEWAY_API_KEYS: `${API_KEY}:read,${OTHER_KEY}:read`, MIRROR_BUDGET_SHARE: '0.5' };
const FLEET = '{ fleet(first: 50) { nodes { id name fwVersion } } }';
const costly = (alias: string) =>
  `subscription($id: ID!) { ${alias}: deviceUpdated(id: $id) { id name operations(first: 60) { nodes { id status subtasks(first: 60) { nodes { id status device { id name fwVersion } } } } } } }`;
const BOMB = [`{ mirror { ${'...B '.repeat(300)}} }`, `fragment B on MirrorStatus { ${'...C '.repeat(300)}}`, `fragment C on MirrorStatus { ${'...D '.repeat(300)}}`, 'fragment D on MirrorStatus { notifications { received } }'].join('\n');

const rss = (gateway: Gateway) => memory(gateway.pid).rssMb;
const wsUrl = (gateway: Gateway) => gateway.url.replace(/^http/, 'ws');
const client = (gateway: Gateway, key: string): Client => createClient({ url: wsUrl(gateway), webSocketImpl: WebSocket, connectionParams: { 'x-api-key': key }, retryAttempts: 0 });

async function timed<T>(action: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await action();
  return [result, performance.now() - started];
}

async function asKey(gateway: Gateway, key: string, query: string): Promise<Json> {
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query }) });
  return response.json();
}

async function untilReady(gateway: Gateway): Promise<void> {
  for (;;) {
    const { body } = await graphql(gateway.url, '{ mirror { state } }');
    if (body.data?.mirror?.state === 'READY') return;
    await sleep(250);
  }
}

async function fanOut(platform: Platform, env: Record<string, string>, label: string): Promise<void> {
  const database = await throwawayDatabase();
  const gateway = await startPushGateway(platform, { ...KEYS, DATABASE_URL: database.url, GATEWAY_DATA_DIR: `/tmp/bench-edge-${randomBytes(4).toString('hex')}`, ...env });
  const clients: Client[] = [];
  try {
    await untilReady(gateway);
    const device = (await asKey(gateway, OTHER_KEY, '{ fleet(first: 1) { nodes { id } } }')).data.fleet.nodes[0].id as string;
    const usual: number[] = [];
    for (let i = 0; i < 5; i++) usual.push((await timed(() => asKey(gateway, OTHER_KEY, FLEET)))[1]);
    const rssBefore = rss(gateway);
    const seen: Json[][] = [];
    for (let c = 0; c < 20; c++) {
      const attacker = client(gateway, API_KEY);
      clients.push(attacker);
      for (let s = 0; s < 20; s++) {
        const values: Json[] = [];
        seen.push(values);
        attacker.subscribe({ query: costly(`d${c}_${s}`), variables: { id: device } }, { next: (v) => void values.push(v), error: (e) => void values.push({ failed: String(e) }), complete: () => undefined });
      }
    }
    await sleep(3_000);
    const refused = seen.filter((values) => values.some((v) => v.errors)).length;
    const accepted = seen.length - refused;
    const name = `renamed-${Date.now()}`;
    const renamed = performance.now();
    await fetch(`${platform.url}/_emulator/devices/${device}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    const [other, otherMs] = await timed(() => asKey(gateway, OTHER_KEY, FLEET));
    const heard = () => seen.filter((values) => values.some((v) => v.data && (Object.values(v.data)[0] as Json)?.name === name)).length;
    const errored = () => seen.filter((values) => values.some((v) => v.data && v.errors)).length;
    while (heard() + errored() < accepted && performance.now() - renamed < 60_000) await sleep(20);
    const allHeardSeconds = (performance.now() - renamed) / 1000;
    console.log(
      `${label}: ${accepted} accepted, ${refused} refused; every accepted subscriber heard the rename in ${fixed(allHeardSeconds, 2)} s, ` +
        `${errored()} events with an error; another key's fleet query: ${fixed(otherMs, 0)} ms during (usual ${fixed(Math.max(...usual), 0)} ms), ` +
        `${other.errors ? `errors ${JSON.stringify(other.errors.map((e: Json) => e.extensions?.code))}` : 'no error'}; RSS ${rssBefore} → ${rss(gateway)} MB`,
    );
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await gateway.stop();
    await database.drop();
  }
}

async function bomb(gateway: Gateway): Promise<void> {
  const alone: number[] = [];
  for (let i = 0; i < 10; i++) alone.push((await timed(() => graphql(gateway.url, BOMB)))[1]);
  alone.sort((a, b) => a - b);
  const [[, live]] = await Promise.all([timed(() => fetch(gateway.url.replace(/\/graphql$/, '/health/live'))), ...Array.from({ length: 3 }, () => graphql(gateway.url, BOMB))]);
  const { body } = await graphql(gateway.url, BOMB);
  console.log(`fragment bomb: refused (${body.errors?.[0]?.extensions?.limit}) in ${fixed(alone[5], 1)} ms median, ${fixed(alone[0], 1)}–${fixed(alone.at(-1), 1)} ms; /health/live with 3 bombs in flight: ${fixed(live, 1)} ms`);
}

async function unauthenticated(gateway: Gateway): Promise<void> {
  const before = rss(gateway);
  const codes = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const socket = new WebSocket(wsUrl(gateway), 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': 'wrong', padding: 'x'.repeat(20 * 1024 * 1024) } }));
      return closed;
    }),
  );
  await sleep(500);
  console.log(`4 × 20 MB connection_init, wrong key: closed ${codes.join(', ')}; RSS ${before} → ${rss(gateway)} MB`);
}

async function dropped(gateway: Gateway): Promise<void> {
  const metric = async (name: string) => Number(new RegExp(`^northbound_gateway_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text())?.[1]);
  const before = rss(gateway);
  const clients = Array.from({ length: 100 }, () => client(gateway, API_KEY));
  clients.forEach((c, n) => {
    for (let i = 0; i < 20; i++) c.subscribe({ query: `subscription { d${n}_${i}: deviceUpdated(id: "d-${i}") { id name } }` }, { next: () => undefined, error: () => undefined, complete: () => undefined });
  });
  while ((await metric('live_subscriptions')) < 2000) await sleep(100);
  const held = rss(gateway);
  await Promise.all(clients.map((c) => c.terminate()));
  await sleep(1_000);
  const [subscriptions, listeners] = [await metric('live_subscriptions'), await metric('live_change_listeners')];
  let after = rss(gateway);
  for (let waited = 0; waited < 30 && after - before > 5; waited++) {
    await sleep(1_000);
    after = rss(gateway);
  }
  console.log(`100 × 20 subscriptions, dropped: RSS ${before} → ${held} MB held → ${after} MB after; left: ${subscriptions} subscriptions, ${listeners} change listeners`);
}

async function main(): Promise<void> {
  const emulator = await startEmulatorProcess({ seed: 1, devices: 200, throttlePerMinute: null });
  try {
    const { platform } = emulator;
    await fanOut(platform, {}, 'fan-out, defaults');
    await fanOut(platform, { GATEWAY_MAX_LIVE_COST_PER_KEY: '1000000000' }, 'fan-out, no live cost limit');
    const gateway = await startPushGateway(platform, { ...KEYS, GATEWAY_DATA_DIR: ':memory:', GATEWAY_API_KEYS: `${API_KEY}:read` });
    try {
      await untilReady(gateway);
      await bomb(gateway);
      await unauthenticated(gateway);
      await dropped(gateway);
    } finally {
      await gateway.stop();
    }
  } finally {
    await emulator.stop();
  }
}

await main();
