/**
 * End-to-end ingest benchmark: a collector process on a fresh embedded store, and many simulated
 * agents that enroll, then each send signed, gzipped batches one after another (as agents do) for
 * a fixed time. Prints one JSON object: events/s acknowledged and stored, ack latency p50/p99,
 * collector RSS, and the rows counted in ClickHouse at the end (must equal the events acked).
 *
 *   node --import tsx collector/bench/ingest.ts [--agents 50] [--seconds 20] [--events 1000] [--seed 42]
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  AGENT_ID_HEADER, PROTOCOL_VERSION, SIGNATURE_HEADER, generateAgentKeyPair, privateKeyFromBase64, signBody, uuidv7,
  type Event, type HostFacts,
} from '@aiscout/protocol';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    events: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
    rate: { type: 'string', default: '0' },
  },
});
const AGENTS = Number(values.agents);
const SECONDS = Number(values.seconds);
const EVENTS = Number(values.events);
/** Offered load in events/s over all agents (0: each agent sends its next batch as soon as the last is acked). */
const RATE = Number(values.rate);
const interval = RATE > 0 ? (AGENTS * EVENTS * 1000) / RATE : 0;
let seed = Number(values.seed);
/** Deterministic choices (users, tools), so runs are comparable. */
function rand(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}

const TOOLS = ['claude-code', 'github-copilot', 'cursor', 'openai-api', 'anthropic-api', 'ollama', 'chatgpt', 'gemini-cli'];
const TEAMS = ['platform', 'data', 'mobile', 'web', 'security', 'finance'];

function events(n: number, users: string[]): Event[] {
  const end = new Date(Date.now() - 60_000);
  const window = { window_start: new Date(end.getTime() - 300_000).toISOString(), window_end: end.toISOString() };
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const tool = TOOLS[rand(TOOLS.length)]!;
    const base = { id: uuidv7(), ...window, user: users[rand(users.length)]!, count: 1 + rand(20), confidence: 0.9, candidates: [tool] };
    const k = rand(10);
    if (k < 4) {
      out.push({ kind: 'network', tool, ...base, evidence: { matcher: 'host', value: `api.${tool}.example` }, server_name: `api.${tool}.example`,
        name_source: 'tls-sni', transport: 'tcp', dst_port: 443, process_exe: '/usr/bin/node', bytes_up: rand(100_000), bytes_down: rand(400_000),
        connections: 1 + rand(5), est_tokens_in: rand(20_000), est_tokens_out: rand(60_000), ech: false });
    } else if (k < 7) {
      out.push({ kind: 'usage', tool, ...base, evidence: { matcher: 'usage-log', value: `${tool}-log` }, model: 'model-x', tokens_in: rand(5000),
        tokens_out: rand(3000), tokens_cache_read: rand(50_000), tokens_cache_write: rand(5000), requests: 1 + rand(30), source: 'log',
        quality: 'exact', session_hash: randomBytes(6).toString('hex') });
    } else if (k < 9) {
      out.push({ kind: 'process', tool, ...base, evidence: { matcher: 'process-name', value: tool }, exe: `/usr/local/bin/${tool}`,
        process_name: tool, version: '1.2.3' });
    } else {
      out.push({ kind: 'extension', tool, ...base, evidence: { matcher: 'vscode-extension', value: `${tool}.ext` }, ecosystem: 'vscode',
        item_kind: 'ide-extension', extension_id: `${tool}.ext`, version: '1.0.0', location: '.vscode/extensions', flags: [] });
    }
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const dataDir = mkdtempSync(join(tmpdir(), 'aiscout-bench-'));
const secret = randomBytes(24).toString('base64url');
const token = randomBytes(32).toString('base64url');
const child = fork(new URL('./_collector-child.ts', import.meta.url).pathname, [dataDir, secret, token], {
  execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve, reject) => {
  child.once('message', (m: { port: number }) => resolve(m.port));
  child.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
});
const base = `http://127.0.0.1:${port}`;

interface SimAgent {
  id: string;
  key: ReturnType<typeof privateKeyFromBase64>;
  host: HostFacts;
  bodies: { body: Buffer; signature: string; events: number }[];
}

// Enroll every agent, then prepare its batches (the agents' CPU is not what we measure).
const agents: SimAgent[] = [];
const batchesPerAgent = Math.ceil(((RATE > 0 ? RATE * 1.05 : 150_000) * SECONDS) / EVENTS / AGENTS) + 2;
const prepStarted = Date.now();
for (let a = 0; a < AGENTS; a++) {
  const keys = generateAgentKeyPair();
  const host: HostFacts = { hostname: `host-${a}`, os: 'linux', os_version: 'Debian 12', arch: 'x64', serial: `SN${a}`, primary_user: `user${a}`, team: TEAMS[a % TEAMS.length]! };
  const res = await fetch(`${base}/v1/enroll`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ protocol_version: PROTOCOL_VERSION, enrollment_secret: secret, public_key: keys.publicKey, agent_version: '0.1.0', host }),
  });
  if (res.status !== 200) throw new Error(`enroll: ${res.status} ${await res.text()}`);
  const { agent_id } = (await res.json()) as { agent_id: string };
  const key = privateKeyFromBase64(keys.privateKey);
  const users = [`user${a}`, `user${a}-alt`, `svc-${a % 7}`];
  const bodies: SimAgent['bodies'] = [];
  for (let s = 1; s <= batchesPerAgent; s++) {
    const batch = { protocol_version: PROTOCOL_VERSION, batch_id: uuidv7(), agent_id, seq: s, sent_at: new Date().toISOString(), agent_version: '0.1.0', catalog_version: 'bench', host, events: events(EVENTS, users) };
    const body = gzipSync(JSON.stringify(batch), { level: 1 });
    bodies.push({ body, signature: signBody(key, body), events: EVENTS });
  }
  agents.push({ id: agent_id, key, host, bodies });
}
const prepSeconds = (Date.now() - prepStarted) / 1000;

const latencies: number[] = [];
let acked = 0;
let failures = 0;
const statuses: Record<string, number> = {};
let maxRss = 0;
const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssBytes(child.pid!))), 250);
const started = performance.now();
const deadline = started + SECONDS * 1000;

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: AGENTS });

const errorCodes: Record<string, number> = {};

function post(agent: SimAgent, body: Buffer, signature: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/v1/batches`,
      {
        method: 'POST', agent: keepAlive,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length, [AGENT_ID_HEADER]: agent.id, [SIGNATURE_HEADER]: signature },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? String(res.statusCode);
            errorCodes[code] = (errorCodes[code] ?? 0) + 1;
          }
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runAgent(agent: SimAgent, index: number): Promise<void> {
  let i = 0;
  // Paced agents start spread over one interval, as real agents' timers are.
  let next = started + (interval > 0 ? (index * interval) / AGENTS : 0);
  while (performance.now() < deadline && i < agent.bodies.length) {
    if (interval > 0) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (performance.now() >= deadline) break;
    }
    const b = agent.bodies[i]!;
    const t0 = performance.now();
    const status = await post(agent, b.body, b.signature);
    const ms = performance.now() - t0;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 200) {
      next += interval;
      latencies.push(ms);
      acked += b.events;
      i++;
    } else {
      failures++;
      // A 503 asks us to wait; a real agent would honour Retry-After, we retry the same batch soon.
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

await Promise.all(agents.map((a, i) => runAgent(a, i)));
const elapsed = (performance.now() - started) / 1000;
clearInterval(rssTimer);

const metricsText = await (await fetch(`${base}/metrics`)).text();
const metric = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1] ?? 0);
const flushes = metric('aiscout_insert_seconds_count');
const flushSeconds = metric('aiscout_insert_seconds_sum');

const stored = await new Promise<number>((resolve, reject) => {
  child.once('message', (m: { count?: number; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m.count!)));
  child.send({ cmd: 'count' });
});
child.send({ cmd: 'stop' });
await new Promise((r) => child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    bench: 'collector-ingest',
    machine: { cpus: cpus().length, node: process.version },
    store: 'embedded chDB',
    agents: AGENTS,
    offered_events_per_second: RATE > 0 ? RATE : 'max',
    events_per_batch: EVENTS,
    seconds: Number(elapsed.toFixed(2)),
    batches_acked: latencies.length,
    events_acked: acked,
    events_stored_in_clickhouse: stored,
    acked_equals_stored: acked === stored,
    events_per_second_stored: Math.round(stored / elapsed),
    ack_latency_ms: { p50: Number(percentile(latencies, 50).toFixed(1)), p99: Number(percentile(latencies, 99).toFixed(1)), max: Number((latencies.at(-1) ?? 0).toFixed(1)) },
    non_200: failures,
    statuses,
    error_codes: errorCodes,
    machine_load_average: loadavg().map((l) => Number(l.toFixed(2))),
    inserts: flushes,
    insert_ms_mean: flushes ? Number(((flushSeconds / flushes) * 1000).toFixed(1)) : 0,
    events_per_insert_mean: flushes ? Math.round(acked / flushes) : 0,
    collector_rss_mb_max: Math.round(maxRss / 1024 / 1024),
    prep_seconds: prepSeconds,
  })}\n`,
);
