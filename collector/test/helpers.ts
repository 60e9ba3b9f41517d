import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import {
  AGENT_ID_HEADER, PROTOCOL_VERSION, SIGNATURE_HEADER, generateAgentKeyPair, signBody, uuidv7,
  type AgentKeyPair, type Batch, type Event, type HostFacts,
} from '@aiscout/protocol';
import { build, type BuildOptions } from '../src/app.js';
import { DEFAULT_CONFIG, type CollectorConfig } from '../src/config.js';

export const ENROLL_SECRET = 'enroll-secret-MARKER-5f1c2a9b';
export const RETIRED_SECRET = 'retired-secret-MARKER-77aa1100';
export const ADMIN_TOKEN = 'admin-token-MARKER-0c4e1d2f3a4b5c6d';
export const KNOWN_TOOLS = new Set(['claude-code', 'github-copilot', 'anthropic-api', 'cursor', 'ollama']);

/** A fresh data folder per test file: chDB binds one data path per process. */
export function tempDir(prefix = 'aiscout-collector-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, overrides: Partial<CollectorConfig> = {}): CollectorConfig {
  return {
    ...structuredClone(DEFAULT_CONFIG),
    clickhouse: { ...DEFAULT_CONFIG.clickhouse, path: join(dataDir, 'clickhouse') },
    enrollmentSecrets: [
      { id: 'current', secret: ENROLL_SECRET, retired: false },
      { id: 'old', secret: RETIRED_SECRET, retired: true },
    ],
    adminTokens: [{ id: 'ops', token: ADMIN_TOKEN }],
    logLevel: 'silent',
    collectorId: 'test-collector',
    source: '(test)',
    ...overrides,
  };
}

export async function buildApp(config: CollectorConfig, extra: Partial<BuildOptions> = {}): Promise<FastifyInstance> {
  return build({ config, knownToolIds: KNOWN_TOOLS, probeIntervalMs: 100, ...extra });
}

export const HOST: HostFacts = { hostname: 'laptop-42', os: 'linux', os_version: 'Debian 12', arch: 'x64', serial: null, primary_user: 'alice', team: 'platform' };

export interface TestAgent {
  id: string;
  keys: AgentKeyPair;
  host: HostFacts;
  seq: number;
}

export async function enroll(app: FastifyInstance, host: HostFacts = HOST, keys = generateAgentKeyPair()): Promise<TestAgent> {
  const res = await app.inject({
    method: 'POST', url: '/v1/enroll',
    payload: { protocol_version: PROTOCOL_VERSION, enrollment_secret: ENROLL_SECRET, public_key: keys.publicKey, agent_version: '0.1.0', host },
  });
  if (res.statusCode !== 200) throw new Error(`enroll failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ agent_id: string; last_seq: number }>();
  return { id: body.agent_id, keys, host, seq: body.last_seq };
}

let counter = 0;

/** Events of every kind, windows in the last hour. */
export function sampleEvents(n: number, user = 'alice', tool = 'claude-code'): Event[] {
  const end = new Date(Date.now() - 60_000);
  const start = new Date(end.getTime() - 300_000);
  const window = { window_start: start.toISOString(), window_end: end.toISOString() };
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const id = uuidv7();
    counter++;
    const base = { id, ...window, user, count: 2, confidence: 0.9 };
    switch (i % 4) {
      case 0:
        out.push({ kind: 'usage', tool, ...base, evidence: { matcher: 'usage-log', value: 'claude-code-jsonl' }, candidates: [tool],
          model: 'claude-sonnet-4-5', tokens_in: 100, tokens_out: 50, tokens_cache_read: 10, tokens_cache_write: 5, requests: 3,
          source: 'log', quality: 'exact', session_hash: `s${counter % 97}` });
        break;
      case 1:
        out.push({ kind: 'network', tool, ...base, evidence: { matcher: 'host', value: 'api.anthropic.com' }, candidates: [tool],
          server_name: 'api.anthropic.com', name_source: 'tls-sni', transport: 'tcp', dst_port: 443, process_exe: '/usr/bin/node',
          bytes_up: 4000, bytes_down: 12000, connections: 2, est_tokens_in: 1000, est_tokens_out: 3000, ech: false });
        break;
      case 2:
        out.push({ kind: 'process', tool, ...base, evidence: { matcher: 'process-name', value: 'claude' }, candidates: [tool],
          exe: '/usr/local/bin/claude', process_name: 'claude', version: '2.0.1' });
        break;
      default:
        out.push({ kind: 'extension', tool: 'github-copilot', ...base, evidence: { matcher: 'vscode-extension', value: 'github.copilot' },
          candidates: ['github-copilot'], ecosystem: 'vscode', item_kind: 'ide-extension', extension_id: 'github.copilot',
          version: '1.250.0', location: '.vscode/extensions', flags: [] });
    }
  }
  return out;
}

export function makeBatch(agent: TestAgent, events: Event[], seq?: number): Batch {
  if (seq === undefined) agent.seq += 1;
  return {
    protocol_version: PROTOCOL_VERSION, batch_id: uuidv7(), agent_id: agent.id, seq: seq ?? agent.seq,
    sent_at: new Date().toISOString(), agent_version: '0.1.0', catalog_version: 'test', host: agent.host, events,
  };
}

export interface SendOptions {
  gzip?: boolean;
  ndjson?: boolean;
  /** Sign these bytes instead of the body (tamper tests). */
  signOver?: Buffer;
  headers?: Record<string, string>;
}

export function encodeBatch(batch: Batch, opts: SendOptions = {}): Buffer {
  let body: Buffer;
  if (opts.ndjson) {
    const { events, ...envelope } = batch;
    body = Buffer.from([JSON.stringify(envelope), ...events.map((e) => JSON.stringify(e))].join('\n') + '\n');
  } else body = Buffer.from(JSON.stringify(batch));
  return opts.gzip ? gzipSync(body) : body;
}

export async function sendRaw(app: FastifyInstance, agent: TestAgent, body: Buffer, opts: SendOptions = {}) {
  return app.inject({
    method: 'POST', url: '/v1/batches', payload: body,
    headers: {
      'content-type': opts.ndjson ? 'application/x-ndjson' : 'application/json',
      ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
      [AGENT_ID_HEADER]: agent.id,
      [SIGNATURE_HEADER]: signBody(agent.keys.privateKey, opts.signOver ?? body),
      ...opts.headers,
    },
  });
}

export async function sendBatch(app: FastifyInstance, agent: TestAgent, batch: Batch, opts: SendOptions = {}) {
  return sendRaw(app, agent, encodeBatch(batch, opts), opts);
}

export async function count(app: FastifyInstance, sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const rows = await app.collector.store.query<{ n: string }>(`SELECT toString(${sql.startsWith('SELECT') ? '' : ''}n) AS n FROM (${sql})`, params);
  return Number(rows[0]?.n ?? 0);
}

export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
