/**
 * End-to-end ingest benchmark: a collector process on a fresh embedded store, and many simulated
 * agents that enroll, then each send signed, gzipped batches one after another (as agents do) for
 * a fixed time. Prints one JSON object: events/s acknowledged and stored, ack latency p50/p99,
 * collector RSS, and the rows counted in ClickHouse at the end (must equal the events acked).
 *
 *   node --import tsx collector/bench/ingest.ts [--agents 50] [--seconds 20] [--events 1000] [--rate 0] [--seed 42]
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
  type HostFacts,
} from '@aiscout/protocol';
import { seeded, simulatedEvents, TEAMS } from './_events.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    events: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
    rate: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'node --import tsx collector/bench/ingest.ts [--agents 50] [--seconds 20] [--events 1000] [--rate 0] [--seed 42]\n' +
      '  --rate: offered events/s over all agents (0: each agent sends its next batch as soon as the last is acked)\n' +
      '  env BENCH_NODE_FLAGS: Node flags for the collector process (default --max-semi-space-size=64, as deployed; set empty for the Node defaults); BENCH_CPU_PROF=dir: CPU profile\n',
  );
  process.exit(0);
}
const AGENTS = Number(values.agents);
const SECONDS = Number(values.seconds);
const EVENTS = Number(values.events);
/** Offered load in events/s over all agents (0: each agent sends its next batch as soon as the last is acked). */
const RATE = Number(values.rate);
const interval = RATE > 0 ? (AGENTS * EVENTS * 1000) / RATE : 0;
const rand = seeded(Number(values.seed));

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) of a process, or of one of its threads (the main thread's id is the pid). */
function cpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
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
  execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=64').split(' ').filter(Boolean), ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
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
    const batch = { protocol_version: PROTOCOL_VERSION, batch_id: uuidv7(), agent_id, seq: s, sent_at: new Date().toISOString(), agent_version: '0.1.0', catalog_version: 'bench', host, events: simulatedEvents(EVENTS, users, rand) };
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
const cpuAtStart = { all: cpuSeconds(child.pid!), main: cpuSeconds(child.pid!, child.pid!), bench: process.cpuUsage() };
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
const benchCpu = process.cpuUsage(cpuAtStart.bench);
const cpu = {
  // Cores busy on average during the run: the collector's main (JS) thread, all its threads (engine
  // included), and this load generator, which shares the same machine.
  collector_main_thread: Number(((cpuSeconds(child.pid!, child.pid!) - cpuAtStart.main) / elapsed).toFixed(2)),
  collector_all_threads: Number(((cpuSeconds(child.pid!) - cpuAtStart.all) / elapsed).toFixed(2)),
  load_generator: Number(((benchCpu.user + benchCpu.system) / 1e6 / elapsed).toFixed(2)),
};

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
    cpu_cores_busy: cpu,
    prep_seconds: prepSeconds,
  })}\n`,
);
