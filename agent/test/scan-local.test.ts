import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClassifier } from '@aiscout/signatures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/command.js';
import type { McpObservation } from '../src/mcp/types.js';
import { scanOnce, type ScanResult } from '../src/scan.js';
import { FakeHomes } from './helpers/fake-home.js';
import { MCP_FIXTURES, SECRET_MARKER, copyFixtureTree } from './helpers/mcp-home.js';
import { REPO_ROOT } from './helpers/processes.js';
import { expectSensorHealth } from './helpers/sensor-health.js';

/**
 * The one-shot scan's usage-logs and mcp-servers sensors against a fake home holding the real-shaped
 * usage logs (test/fixtures/usage) and MCP configs (test/fixtures/mcp), plus planted secrets.
 */

const USAGE_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'usage');
const LOG_MARKER = 'SECRET-MARKER-7f3a'; // already in every usage fixture's prompt and reply text
const PLANTED = `sk-proj-PLANTED${randomBytes(12).toString('hex')}`;
const CODEX_FILE = 'rollout-2026-11-20T11-00-00-019a9776-0a34-7842-8627-112b63d66e90.jsonl';
const GEMINI_JSON = 'session-2026-11-20T12-00-e3c1a2b4.json';
const GEMINI_JSONL = 'session-2026-11-20T13-00-a1b2c3d4.jsonl';

const classifier = defaultClassifier();
let homes: FakeHomes;
let alice: { user: string; dir: string };
let system: string;
let claudeLog: string;

// ---- independent expectations, computed from the fixture files by the formats' documented rules ----

interface Sums {
  tokens_in: number;
  tokens_out: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  requests: number;
}
type Expected = Map<string, Sums & { lastMs: number }>;

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((l) => {
    try {
      const v: unknown = JSON.parse(l);
      return typeof v === 'object' && v !== null ? [v as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);
function addTo(out: Expected, key: string, s: Omit<Sums, 'requests'>, ts: number): void {
  const row = out.get(key) ?? { tokens_in: 0, tokens_out: 0, tokens_cache_read: 0, tokens_cache_write: 0, requests: 0, lastMs: -Infinity };
  row.tokens_in += s.tokens_in;
  row.tokens_out += s.tokens_out;
  row.tokens_cache_read += s.tokens_cache_read;
  row.tokens_cache_write += s.tokens_cache_write;
  row.requests += 1;
  row.lastMs = Math.max(row.lastMs, ts);
  out.set(key, row);
}

/** Claude Code: one request per message id (streamed lines repeat it), each field at its maximum; synthetic errors are not requests. */
function claudeExpected(text: string, out: Expected): void {
  const byId = new Map<string, { model: string; u: Omit<Sums, 'requests'>; ts: number }>();
  for (const line of jsonLines(text)) {
    const m = line.message as Record<string, unknown> | undefined;
    const usage = m?.usage as Record<string, unknown> | undefined;
    if (line.type !== 'assistant' || !usage || m?.model === '<synthetic>') continue;
    const prev = byId.get(String(m?.id))?.u;
    byId.set(String(m?.id), {
      model: String(m?.model),
      ts: Date.parse(String(line.timestamp)),
      u: {
        tokens_in: Math.max(prev?.tokens_in ?? 0, num(usage.input_tokens)),
        tokens_out: Math.max(prev?.tokens_out ?? 0, num(usage.output_tokens)),
        tokens_cache_read: Math.max(prev?.tokens_cache_read ?? 0, num(usage.cache_read_input_tokens)),
        tokens_cache_write: Math.max(prev?.tokens_cache_write ?? 0, num(usage.cache_creation_input_tokens)),
      },
    });
  }
  for (const r of byId.values()) addTo(out, `claude-code ${r.model}`, r.u, r.ts);
}

/** Codex: running totals per session; input excludes the cached part; a repeated total is no new request. */
function codexExpected(text: string, out: Expected): void {
  let model = '';
  let last: Record<string, unknown> | null = null;
  for (const line of jsonLines(text)) {
    const p = line.payload as Record<string, unknown>;
    if (line.type === 'turn_context') model = String(p.model);
    const total = (p.info as Record<string, unknown> | null | undefined)?.total_token_usage as Record<string, unknown> | undefined;
    if (p.type !== 'token_count' || !total || total.total_tokens === last?.total_tokens) continue;
    const prev = last;
    last = total;
    const delta = (k: string) => num(total[k]) - num(prev?.[k]);
    addTo(
      out,
      `openai-codex ${model}`,
      { tokens_in: delta('input_tokens') - delta('cached_input_tokens'), tokens_out: delta('output_tokens'), tokens_cache_read: delta('cached_input_tokens'), tokens_cache_write: 0 },
      Date.parse(String(line.timestamp)),
    );
  }
}

/** Gemini CLI: one request per reply with tokens (the last version of a reply wins); thoughts count as output, tool tokens as input. */
function geminiExpected(messages: Record<string, unknown>[], out: Expected): void {
  const byId = new Map<string, Record<string, unknown>>();
  for (const m of messages) if (m.type === 'gemini' && m.tokens) byId.set(String(m.id), m);
  for (const m of byId.values()) {
    const t = m.tokens as Record<string, number>;
    addTo(
      out,
      `gemini-cli ${String(m.model)}`,
      { tokens_in: num(t.input) - num(t.cached) + num(t.tool), tokens_out: num(t.output) + num(t.thoughts), tokens_cache_read: num(t.cached), tokens_cache_write: 0 },
      Date.parse(String(m.timestamp)),
    );
  }
}

async function expectedUsage(): Promise<Expected> {
  const out: Expected = new Map();
  claudeExpected(await readFile(path.join(USAGE_FIXTURES, 'claude-code', 'session.jsonl'), 'utf8'), out);
  codexExpected(await readFile(path.join(USAGE_FIXTURES, 'codex', CODEX_FILE), 'utf8'), out);
  const doc = JSON.parse(await readFile(path.join(USAGE_FIXTURES, 'gemini', GEMINI_JSON), 'utf8')) as { messages: Record<string, unknown>[] };
  geminiExpected(doc.messages, out);
  geminiExpected(jsonLines(await readFile(path.join(USAGE_FIXTURES, 'gemini', GEMINI_JSONL), 'utf8')).filter((l) => typeof l.id === 'string'), out);
  return out;
}

// ---- the fake home ----

async function place(src: string, dest: string): Promise<string> {
  await mkdir(path.dirname(dest), { recursive: true });
  await copyFile(path.join(USAGE_FIXTURES, src), dest);
  return dest;
}

/** Every file under `dir` with its size and modification time: what "left unchanged" means. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(e.parentPath, e.name);
    const st = await stat(full);
    out.push(`${path.relative(dir, full)} ${e.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs}`}`);
  }
  return out.sort();
}

/** The MCP sensor's golden output for this home and system root, plus the planted server. */
async function expectedMcp(): Promise<{ servers: string[]; settings: string[] }> {
  const golden = JSON.parse(await readFile(path.join(MCP_FIXTURES, 'expected-linux.json'), 'utf8')) as McpObservation[];
  const servers = golden.flatMap((o) =>
    o.type === 'mcp-server' ? [`${o.tool} ${o.user ?? 'system'} ${o.name} ${o.transport} ${o.host ?? o.command} ${o.flags.join(',')} ${o.location}`] : [],
  );
  servers.push('cursor alice planted stdio node literal-secret .cursor/mcp.json');
  const settings = golden.flatMap((o) => (o.type === 'agent-setting' ? [`${o.tool} ${o.user ?? 'system'} ${o.setting} ${o.flags.join(',')} ${o.location}`] : []));
  return { servers: servers.sort(), settings: settings.sort() };
}

const serverKeys = (r: ScanResult) => r.mcp_servers.map((s) => `${s.tool} ${s.user} ${s.name} ${s.transport} ${s.target} ${s.flags.join(',')} ${s.location}`).sort();
const settingKeys = (r: ScanResult) => r.agent_settings.map((s) => `${s.tool} ${s.user} ${s.setting} ${s.flags.join(',')} ${s.location}`).sort();

beforeAll(async () => {
  homes = await FakeHomes.create();
  alice = await homes.home('alice');
  claudeLog = await place('claude-code/session.jsonl', path.join(alice.dir, '.claude', 'projects', '-home-alice-src-app', '5b0e0c1e-8a3c-4d7e-9c1f-2b6f1d9a4e10.jsonl'));
  // A prompt holding a planted secret, written the way Claude Code writes a user turn.
  await appendFile(claudeLog, JSON.stringify({ type: 'user', message: { role: 'user', content: `use key ${PLANTED}` }, uuid: 'u-9', timestamp: '2026-11-20T10:00:30.000Z' }) + '\n');
  await place(`codex/${CODEX_FILE}`, path.join(alice.dir, '.codex', 'sessions', '2026', '11', '20', CODEX_FILE));
  const chats = path.join(alice.dir, '.gemini', 'tmp', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'chats');
  await place(`gemini/${GEMINI_JSON}`, path.join(chats, GEMINI_JSON));
  await place(`gemini/${GEMINI_JSONL}`, path.join(chats, GEMINI_JSONL));
  await copyFixtureTree('home', alice.dir, alice.dir);
  // A server whose env value and argument are the planted secret.
  const cursor = path.join(alice.dir, '.cursor', 'mcp.json');
  const config = JSON.parse(await readFile(cursor, 'utf8')) as { mcpServers: Record<string, unknown> };
  config.mcpServers.planted = { command: 'node', args: ['server.js', `--token=${PLANTED}`], env: { PLANTED_TOKEN: PLANTED } };
  await writeFile(cursor, JSON.stringify(config, null, 2));
  system = path.join(homes.root, 'system');
  await copyFixtureTree('system', system, system);
});

afterAll(async () => {
  await homes.dispose();
});

describe('scanOnce: usage logs and MCP servers', () => {
  it('sums tokens per tool, user and model exactly as the fixtures say, with quality labels', async () => {
    const result = await scanOnce({ classifier, homes: [alice], platform: 'linux', sensors: ['usage-logs'], usage: { env: {}, envHome: '/nonexistent' } });
    const expected = await expectedUsage();
    // Positive control: the independent reading found every tool's requests.
    expect([...expected.keys()].sort()).toEqual(['claude-code claude-sonnet-4-5-20250929', 'gemini-cli gemini-2.5-flash', 'gemini-cli gemini-2.5-pro', 'openai-codex gpt-5-codex']);
    expect(expected.get('claude-code claude-sonnet-4-5-20250929')).toMatchObject({ tokens_in: 8, tokens_out: 579, tokens_cache_read: 41376, tokens_cache_write: 10748, requests: 2 });

    const got = new Map(result.usage.map((u) => [`${u.tool} ${u.model}`, u]));
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, want] of expected) {
      const row = got.get(key);
      const { lastMs, ...sums } = want;
      expect(row, key).toMatchObject({ kind: 'usage', user: 'alice', source: 'log', ...sums });
      expect(row?.last_seen, key).toBe(new Date(lastMs).toISOString());
      expect(Date.parse(row?.first_seen ?? '') <= lastMs, key).toBe(true);
    }
    expect(got.get('claude-code claude-sonnet-4-5-20250929')?.quality).toBe('undercount');
    expect(result.usage.filter((u) => u.tool !== 'claude-code').every((u) => u.quality === 'exact')).toBe(true);
    expect(result.sensors.map((s) => s.name)).toEqual(['usage-logs']);
    // The Claude log's damaged last line is a parse error, counted, not fatal.
    expectSensorHealth(result.sensors[0]!, { name: 'usage-logs', observations: result.usage.reduce((n, u) => n + u.requests, 0) + 1, errors: { parse: 1 } });
  });

  it('reads past the per-pass byte budget: a small budget gives the same totals over more passes', async () => {
    const usage = { env: {}, envHome: '/nonexistent' };
    const full = await scanOnce({ classifier, homes: [alice], platform: 'linux', sensors: ['usage-logs'], usage });
    // Smaller than the Claude Code log (4.4 kB): one pass cannot read it all.
    const small = await scanOnce({ classifier, homes: [alice], platform: 'linux', sensors: ['usage-logs'], usage: { ...usage, limits: { maxBytesPerScan: 2048 } } });
    expect(small.usage).toEqual(full.usage);
    expect(full.usage).toHaveLength(4);
  });

  it('inventories every MCP server and agent setting with its flags', async () => {
    const result = await scanOnce({ classifier, homes: [alice], platform: 'linux', sensors: ['mcp-servers'], mcp: { systemRoot: system } });
    const want = await expectedMcp();
    expect(serverKeys(result)).toEqual(want.servers);
    expect(settingKeys(result)).toEqual(want.settings);
    expect(result.mcp_servers.find((s) => s.ecosystem === 'claude-desktop' && s.name === 'github')).toMatchObject({
      tool: 'claude',
      transport: 'stdio',
      target: 'docker',
      identity: 'ghcr.io/github/github-mcp-server',
      env_keys: ['GITHUB_PERSONAL_ACCESS_TOKEN'],
      flags: ['literal-secret', 'unpinned-package'],
    });
    expect(result.agent_settings.some((s) => s.flags.includes('permission-bypass'))).toBe(true);
    expectSensorHealth(result.sensors[0]!, { name: 'mcp-servers', observations: want.servers.length + want.settings.length });
  });
});

describe('aiscout-agent scan --once with usage logs and MCP servers', () => {
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
    return { code, out, err };
  }

  it('--json adds usage, mcp-server and agent-setting lines, never a secret', async () => {
    const { code, out, err } = await run(['scan', '--once', '--json', '--home', alice.dir, '--sensors', 'usage-logs,mcp-servers']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const usage = lines.filter((l) => l.type === 'usage');
    expect(usage.every((u) => u.kind === 'usage')).toBe(true);
    const expected = await expectedUsage();
    for (const [key, { lastMs: _, ...sums }] of expected) {
      expect(usage.find((u) => `${String(u.tool)} ${String(u.model)}` === key), key).toMatchObject(sums);
    }
    expect(lines.filter((l) => l.type === 'mcp-server').every((l) => l.kind === 'mcp-server')).toBe(true);
    expect(lines.filter((l) => l.type === 'agent-setting').length).toBeGreaterThan(0);
    expect(lines.some((l) => l.type === 'mcp-server' && l.name === 'planted' && (l.env_keys as string[]).includes('PLANTED_TOKEN'))).toBe(true);
    expect(lines.filter((l) => l.type === 'sensor').map((l) => l.name)).toEqual(['usage-logs', 'mcp-servers']);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', detections: 0, usage: usage.length, mcp_servers: lines.filter((l) => l.type === 'mcp-server').length });
    // Positive control: the home does hold the markers the output must not.
    expect(await readFile(claudeLog, 'utf8')).toContain(PLANTED);
    expect(await readFile(path.join(alice.dir, '.cursor', 'mcp.json'), 'utf8')).toContain(PLANTED);
    for (const marker of [PLANTED, LOG_MARKER, SECRET_MARKER]) expect(out).not.toContain(marker);
  });

  it('prints the usage and MCP tables, the summary counts and both sensors’ health', async () => {
    const { code, out } = await run(['scan', '--once', '--home', alice.dir, '--sensors', 'mcp-servers,usage-logs']);
    expect(code).toBe(0);
    const lines = out.split('\n');
    const usageAt = lines.indexOf('Token usage from local logs:');
    expect(lines[usageAt + 1]).toMatch(/^TOOL\s+USER\s+MODEL\s+IN\s+OUT\s+CACHE-READ\s+CACHE-WRITE\s+REQUESTS\s+QUALITY\s+LAST-SEEN$/);
    expect(lines.find((l) => l.startsWith('claude-code'))?.split(/\s+/)).toEqual([
      'claude-code',
      'alice',
      'claude-sonnet-4-5-20250929',
      '8',
      '579',
      '41376',
      '10748',
      '2',
      'undercount',
      new Date((await expectedUsage()).get('claude-code claude-sonnet-4-5-20250929')!.lastMs).toISOString().replace('.000Z', 'Z'),
    ]);
    const mcpAt = lines.indexOf('MCP servers and agent settings:');
    expect(mcpAt).toBeGreaterThan(usageAt);
    expect(lines[mcpAt + 1]).toMatch(/^TOOL\s+USER\s+SERVER\s+TRANSPORT\s+TARGET\s+FLAGS\s+LOCATION$/);
    expect(lines.find((l) => l.startsWith('claude ') && / github /.test(l))?.split(/\s+/)).toEqual([
      'claude',
      'alice',
      'github',
      'stdio',
      'docker',
      'literal-secret,unpinned-package',
      '.config/Claude/claude_desktop_config.json',
    ]);
    expect(lines.some((l) => /^claude-code\s+alice\s+setting:\S+\s+-\s+-\s+permission-bypass/.test(l))).toBe(true);
    expect(out).toMatch(/^0 detections of 0 tools from 0 observations \(0 not AI, dropped\) in 1 homes; catalog sha256:\w+; usage-logs: 4 usage rows, 8 requests; mcp-servers: \d+ MCP servers, \d+ agent settings; \d+ ms$/m);
    // 9 records: the 8 requests plus one streamed correction (requests 0) of Claude Code's msg_01ABC.
    expect(out).toMatch(/^ {2}usage-logs\s+ran, 9 observations, errors: parse 1$/m);
    expect(out).toMatch(/^ {2}mcp-servers\s+ran, \d+ observations, no errors$/m);
    for (const marker of [PLANTED, LOG_MARKER, SECRET_MARKER]) expect(out).not.toContain(marker);
  });

  it('--sensors runs only the named sensors and rejects unknown or empty lists', async () => {
    const only = await run(['scan', '--once', '--json', '--home', alice.dir, '--sensors', 'ide-extensions']);
    expect(only.code).toBe(0);
    const lines = only.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.type === 'sensor').map((l) => l.name)).toEqual(['ide-extensions']);
    expect(lines.some((l) => l.type === 'usage' || l.type === 'mcp-server')).toBe(false);
    const table = await run(['scan', '--once', '--home', alice.dir, '--sensors', 'browser-extensions']);
    expect(table.out).not.toContain('Token usage from local logs');
    expect(table.out).not.toContain('MCP servers');
    expect(table.out).not.toMatch(/usage-logs|mcp-servers/);
    for (const [argv, message] of [
      [['--sensors', 'usage-logs,dns'], /--sensors: unknown sensor dns \(known: processes, ide-extensions, browser-extensions, usage-logs, mcp-servers\)/],
      [['--sensors', ','], /--sensors needs at least one of/],
      [['--sensors', 'Processes'], /unknown sensor Processes/],
    ] as const) {
      const bad = await run(['scan', '--once', '--home', alice.dir, ...argv]);
      expect(bad.code, argv.join(' ')).toBe(2);
      expect(bad.out).toBe('');
      expect(bad.err).toMatch(message);
    }
    const pcap = await run(['pcap', '--sensors', 'processes', 'x.pcap']);
    expect(pcap.code).toBe(2);
    expect(pcap.err).toMatch(/pcap does not take --sensors/);
  });

  it('as a real process, leaves the home, the state dir and the temp dir exactly as they were', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'aiscout-scan-dirs-'));
    try {
      const stateHome = path.join(scratch, 'xdg-state');
      const tmp = path.join(scratch, 'tmp');
      await mkdir(stateHome);
      await mkdir(tmp);
      const before = { home: await snapshot(alice.dir), system: await snapshot(system) };
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: alice.dir, XDG_STATE_HOME: stateHome, TMPDIR: tmp };
      delete env.CLAUDE_CONFIG_DIR;
      delete env.CODEX_HOME;
      const cliPath = path.join(REPO_ROOT, 'agent', 'src', 'cli.ts');
      const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cliPath, 'scan', '--once', '--json', '--home', alice.dir], {
          cwd: REPO_ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let o = '';
        let e = '';
        child.stdout.on('data', (c: Buffer) => (o += c.toString()));
        child.stderr.on('data', (c: Buffer) => (e += c.toString()));
        child.on('error', reject);
        child.on('exit', (c) => resolve({ code: c, out: o, err: e }));
      });
      expect(err).toBe('');
      expect(code).toBe(0);
      const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      // The scan did read the logs (so "nothing written" is not "nothing done").
      expect(lines.filter((l) => l.type === 'usage').length).toBe(4);
      expect(lines.filter((l) => l.type === 'sensor').map((l) => l.name)).toEqual(['processes', 'ide-extensions', 'browser-extensions', 'usage-logs', 'mcp-servers']);
      expect(await snapshot(alice.dir)).toEqual(before.home);
      expect(await snapshot(system)).toEqual(before.system);
      expect(await readdir(stateHome)).toEqual([]);
      // tsx (which runs the TypeScript sources) keeps its compile cache in TMPDIR; nothing else may appear there.
      expect((await readdir(tmp)).filter((name) => !name.startsWith('tsx-'))).toEqual([]);
      for (const marker of [PLANTED, LOG_MARKER, SECRET_MARKER]) expect(out).not.toContain(marker);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
