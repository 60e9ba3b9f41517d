import { appendFile, copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageEvent, uuidv7, validator } from '@aiscout/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SensorHealthCounter } from '../src/sensors/health.js';
import { UsageLogReader, usageLogs } from '../src/sensors/usage-logs.js';
import { aggregateUsage } from '../src/usage/aggregate.js';
import type { UsageRecord } from '../src/usage/types.js';
import { FakeHomes } from './helpers/fake-home.js';
import { collect, expectSensorHealth } from './helpers/sensor-health.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'usage');
const SECRET = 'SECRET-MARKER-7f3a';
const CLAUDE_SESSION = '5b0e0c1e-8a3c-4d7e-9c1f-2b6f1d9a4e10';
const CODEX_FILE = 'rollout-2026-11-20T11-00-00-019a9776-0a34-7842-8627-112b63d66e90.jsonl';
const GEMINI_JSON = 'session-2026-11-20T12-00-e3c1a2b4.json';
const GEMINI_JSONL = 'session-2026-11-20T13-00-a1b2c3d4.jsonl';

let homes: FakeHomes;
beforeEach(async () => {
  homes = await FakeHomes.create();
});
afterEach(async () => {
  await homes.dispose();
});

async function place(src: string, dest: string): Promise<string> {
  await mkdir(path.dirname(dest), { recursive: true });
  await copyFile(path.join(FIXTURES, src), dest);
  return dest;
}

const claudeFile = (home: string, root = path.join(home, '.claude')) => path.join(root, 'projects', '-home-alice-src-app', `${CLAUDE_SESSION}.jsonl`);
const codexFile = (home: string, root = path.join(home, '.codex')) => path.join(root, 'sessions', '2026', '11', '20', CODEX_FILE);
const geminiDir = (home: string) => path.join(home, '.gemini', 'tmp', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'chats');

async function placeAll(home: string): Promise<void> {
  await place('claude-code/session.jsonl', claudeFile(home));
  await place(`codex/${CODEX_FILE}`, codexFile(home));
  await place(`gemini/${GEMINI_JSON}`, path.join(geminiDir(home), GEMINI_JSON));
  await place(`gemini/${GEMINI_JSONL}`, path.join(geminiDir(home), GEMINI_JSONL));
}

function sums(records: UsageRecord[], tool?: string) {
  const rs = tool ? records.filter((r) => r.tool === tool) : records;
  return {
    tokens_in: rs.reduce((s, r) => s + r.tokens_in, 0),
    tokens_out: rs.reduce((s, r) => s + r.tokens_out, 0),
    tokens_cache_read: rs.reduce((s, r) => s + r.tokens_cache_read, 0),
    tokens_cache_write: rs.reduce((s, r) => s + r.tokens_cache_write, 0),
    requests: rs.reduce((s, r) => s + r.requests, 0),
  };
}

async function openReader(stateFile: string, limits = {}) {
  const health = new SensorHealthCounter('usage-logs');
  const reader = await UsageLogReader.open({ stateFile, health, limits });
  return { reader, health };
}

describe('usage-logs sensor: the real formats', () => {
  it('reads Claude Code, Codex and Gemini CLI logs into exact per-request token counts', async () => {
    const alice = await homes.home('alice');
    await placeAll(alice.dir);
    const health = new SensorHealthCounter('usage-logs');
    const stateFile = path.join(homes.root, 'state', 'usage.json');
    const records = await collect(usageLogs({ homes: [alice], stateFile, health, env: {}, envHome: '/nonexistent' }));

    // Claude Code: msg_01ABC streamed as 3 lines (output 9, 9, 159) counts once at its maximum.
    expect(sums(records, 'claude-code')).toEqual({ tokens_in: 8, tokens_out: 579, tokens_cache_read: 41376, tokens_cache_write: 10748, requests: 2 });
    // Codex: running totals; the repeated token_count event adds nothing; input excludes cached.
    expect(sums(records, 'openai-codex')).toEqual({ tokens_in: 8000, tokens_out: 1100, tokens_cache_read: 19000, tokens_cache_write: 0, requests: 2 });
    // Gemini: legacy JSON (2 replies) + JSONL (2 replies; the first written before its tokens).
    expect(sums(records, 'gemini-cli')).toEqual({ tokens_in: 5510 + 5400, tokens_out: 470 + 170, tokens_cache_read: 13000 + 4800, tokens_cache_write: 0, requests: 4 });

    expect(new Set(records.map((r) => r.user))).toEqual(new Set(['alice']));
    expect(records.filter((r) => r.tool === 'claude-code').every((r) => r.quality === 'undercount' && r.source === 'log')).toBe(true);
    expect(records.filter((r) => r.tool !== 'claude-code').every((r) => r.quality === 'exact')).toBe(true);
    expect(records.find((r) => r.tool === 'openai-codex')?.model).toBe('gpt-5-codex');
    expect(records.find((r) => r.tool === 'openai-codex')?.session).toBe('019a9776-0a34-7842-8627-112b63d66e90');
    expect([...new Set(records.map((r) => r.model))].sort()).toEqual(['claude-sonnet-4-5-20250929', 'gemini-2.5-flash', 'gemini-2.5-pro', 'gpt-5-codex']);
    // The damaged last Claude line is a parse error; the synthetic message is skipped silently.
    expectSensorHealth(health, { name: 'usage-logs', observations: records.length, errors: { parse: 1 } });
  });

  it('never lets text from any format reach records, events or the state file', async () => {
    const alice = await homes.home('alice');
    await placeAll(alice.dir);
    const stateFile = path.join(homes.root, 'usage.json');
    const records = await collect(usageLogs({ homes: [alice], stateFile, env: {}, envHome: '/nonexistent' }));
    expect(records.length).toBeGreaterThan(0);
    const events = aggregateUsage(records, 3600);
    for (const out of [JSON.stringify(records), JSON.stringify(events), await readFile(stateFile, 'utf8')]) {
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain('fix the bug');
    }
    // Raw session ids stay out of the events (the local state file names files, which may hold them).
    expect(JSON.stringify(events)).not.toContain(CLAUDE_SESSION);
    expect(JSON.stringify(events)).not.toContain('019a9776-0a34-7842-8627-112b63d66e90');
  });
});

describe('usage-logs sensor: incremental reading', () => {
  it('reads only what was appended since the last scan, across reader restarts', async () => {
    const alice = await homes.home('alice');
    const file = await place('claude-code/session.jsonl', claudeFile(alice.dir));
    const stateFile = path.join(homes.root, 'usage.json');
    const scan = () => collect(usageLogs({ homes: [alice], stateFile, env: {}, envHome: '/x' }));
    expect((await scan()).length).toBe(3);
    expect(await scan()).toEqual([]);
    await appendFile(
      file,
      JSON.stringify({
        type: 'assistant', sessionId: CLAUDE_SESSION, requestId: 'req_3', timestamp: '2026-11-20T10:05:00.000Z', uuid: 'a-9',
        message: { id: 'msg_03', model: 'claude-opus-4-1', role: 'assistant', content: [{ type: 'text', text: SECRET }],
          usage: { input_tokens: 7, output_tokens: 11, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 } },
      }) + '\n',
    );
    const more = await scan();
    expect(more.map((r) => [r.model, r.tokens_in, r.tokens_out, r.requests])).toEqual([['claude-opus-4-1', 7, 11, 1]]);
  });

  it('leaves a half-written last line alone until it is complete', async () => {
    const alice = await homes.home('alice');
    const file = claudeFile(alice.dir);
    await mkdir(path.dirname(file), { recursive: true });
    const line = JSON.stringify({
      type: 'assistant', sessionId: 's1', requestId: 'r1', timestamp: '2026-11-20T10:00:00.000Z',
      message: { id: 'm1', model: 'claude-sonnet-4-5', usage: { input_tokens: 4, output_tokens: 40, cache_read_input_tokens: 0, cache_creation_input_tokens: 9 } },
    });
    const half = Math.floor(line.length / 2);
    await writeFile(file, line.slice(0, half));
    const { reader, health } = await openReader(path.join(homes.root, 'usage.json'));
    expect(await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }))).toEqual([]);
    expect(reader.trackedFiles()[0]?.offset).toBe(0);
    await appendFile(file, line.slice(half) + '\n');
    const got = await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }));
    expect(got.map((r) => [r.tokens_in, r.tokens_out, r.tokens_cache_write])).toEqual([[4, 40, 9]]);
    expect(reader.trackedFiles()[0]?.offset).toBe(line.length + 1);
    expectSensorHealth(health, { name: 'usage-logs', observations: 1, errors: {} });
  });

  it('starts again from byte 0 when a file is truncated or replaced', async () => {
    const alice = await homes.home('alice');
    const file = await place('claude-code/session.jsonl', claudeFile(alice.dir));
    const stateFile = path.join(homes.root, 'usage.json');
    const { reader } = await openReader(stateFile);
    expect((await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }))).length).toBe(3);
    const fresh = JSON.stringify({
      type: 'assistant', sessionId: 's-new', requestId: 'r-new', timestamp: '2026-11-21T09:00:00.000Z',
      message: { id: 'm-new', model: 'claude-haiku-4-5', usage: { input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 3, cache_creation_input_tokens: 4 } },
    });
    await writeFile(file, fresh + '\n'); // same inode, shorter: truncated and rewritten
    const got = await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }));
    expect(got.map((r) => [r.session, r.model, r.tokens_cache_write])).toEqual([['s-new', 'claude-haiku-4-5', 4]]);
  });

  it('follows a file renamed aside (rotation) to its end and reads the new file from the start', async () => {
    const alice = await homes.home('alice');
    const file = codexFile(alice.dir);
    await mkdir(path.dirname(file), { recursive: true });
    const src = (await readFile(path.join(FIXTURES, 'codex', CODEX_FILE), 'utf8')).split('\n').filter(Boolean);
    // First part: up to and including the first token_count with usage (index 6).
    await writeFile(file, src.slice(0, 7).join('\n') + '\n');
    const { reader } = await openReader(path.join(homes.root, 'usage.json'));
    const first = await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }));
    expect(sums(first).tokens_in).toBe(4000);
    // The writer appends the rest, then the file is rotated aside (out of the glob) and a new one begins.
    await appendFile(file, src.slice(7).join('\n') + '\n');
    await rename(file, `${file}.1`);
    await writeFile(file, src.slice(0, 7).join('\n').replaceAll('019a9776-0a34-7842-8627-112b63d66e90', '11111111-2222-4333-8444-555555555555') + '\n');
    const second = await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }));
    expect(second.map((r) => [r.session, r.tokens_in, r.tokens_cache_read])).toEqual([
      ['11111111-2222-4333-8444-555555555555', 4000, 8000],
      ['019a9776-0a34-7842-8627-112b63d66e90', 4000, 11000],
    ]);
  });

  it('re-parses a rewritten whole-JSON Gemini chat but reports only the new messages', async () => {
    const alice = await homes.home('alice');
    const file = await place(`gemini/${GEMINI_JSON}`, path.join(geminiDir(alice.dir), GEMINI_JSON));
    const { reader } = await openReader(path.join(homes.root, 'usage.json'));
    expect((await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }))).length).toBe(2);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    doc.messages.push({ id: 'm-gem-3', timestamp: '2026-11-20T12:05:00.000Z', type: 'gemini', content: [{ text: SECRET }],
      tokens: { input: 100, output: 10, cached: 0, thoughts: 5, tool: 0, total: 115 }, model: 'gemini-2.5-pro' });
    await writeFile(file, JSON.stringify(doc, null, 2));
    const got = await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }));
    expect(got.map((r) => [r.request, r.tokens_in, r.tokens_out])).toEqual([['msg:m-gem-3', 100, 15]]);
  });

  it('caps bytes per scan and line length, counting what it skipped', async () => {
    const alice = await homes.home('alice');
    const file = claudeFile(alice.dir);
    await mkdir(path.dirname(file), { recursive: true });
    const mk = (i: number) => JSON.stringify({
      type: 'assistant', sessionId: 's', requestId: `r${i}`, timestamp: '2026-11-20T10:00:00.000Z',
      message: { id: `m${i}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } },
    });
    const huge = JSON.stringify({ type: 'user', message: { content: 'x'.repeat(5000) } });
    await writeFile(file, [mk(1), huge, mk(2), mk(3), mk(4)].join('\n') + '\n');
    const { reader, health } = await openReader(path.join(homes.root, 'usage.json'), { maxLineBytes: 1000, maxBytesPerScan: 1200, chunkBytes: 256 });
    const seen: UsageRecord[] = [];
    for (let i = 0; i < 10; i++) seen.push(...(await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }))));
    expect(seen.map((r) => r.request)).toEqual(['m1:r1', 'm2:r2', 'm3:r3', 'm4:r4']);
    expectSensorHealth(health, { name: 'usage-logs', observations: 4, errors: { limit: 1 } });
  });
});

describe('usage-logs sensor: homes and relocation', () => {
  it('reads every home given (as root) and attributes each to its owner', async () => {
    const alice = await homes.home('alice');
    const bob = await homes.home('bob');
    await place('claude-code/session.jsonl', claudeFile(alice.dir));
    await place('claude-code/session.jsonl', claudeFile(bob.dir));
    await place(`codex/${CODEX_FILE}`, codexFile(bob.dir));
    const records = await collect(usageLogs({ homes: [alice, bob], stateFile: path.join(homes.root, 'u.json'), env: {}, envHome: '/x' }));
    expect(sums(records.filter((r) => r.user === 'alice'))).toMatchObject({ tokens_out: 579, requests: 2 });
    expect(sums(records.filter((r) => r.user === 'bob'))).toMatchObject({ tokens_out: 579 + 1100, requests: 4 });
  });

  it('follows CLAUDE_CONFIG_DIR and CODEX_HOME for the agent user only', async () => {
    const alice = await homes.home('alice');
    const bob = await homes.home('bob');
    const claudeRoot = path.join(homes.root, 'elsewhere', 'claude');
    const codexRoot = path.join(homes.root, 'elsewhere', 'codex');
    await place('claude-code/session.jsonl', claudeFile(alice.dir, claudeRoot));
    await place(`codex/${CODEX_FILE}`, codexFile(alice.dir, codexRoot));
    await place('claude-code/session.jsonl', claudeFile(bob.dir)); // bob keeps the default place
    const env = { CLAUDE_CONFIG_DIR: claudeRoot, CODEX_HOME: codexRoot };
    const records = await collect(usageLogs({ homes: [alice, bob], stateFile: path.join(homes.root, 'u.json'), env, envHome: alice.dir }));
    expect(records.filter((r) => r.user === 'alice').map((r) => r.tool).sort()).toEqual(['claude-code', 'claude-code', 'claude-code', 'openai-codex', 'openai-codex']);
    expect(records.filter((r) => r.user === 'bob').length).toBe(3);
  });
});

describe('usage-logs sensor: first run', () => {
  it('reads past records older than notBefore without reporting them', async () => {
    const alice = await homes.home('alice');
    await placeAll(alice.dir);
    const { reader } = await openReader(path.join(homes.root, 'u.json'));
    const notBefore = Date.parse('2026-11-20T11:30:00.000Z');
    const got = await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x', notBefore }));
    expect(got.every((r) => r.ts >= notBefore)).toBe(true);
    expect(got.map((r) => r.tool).sort()).toEqual(['gemini-cli', 'gemini-cli', 'gemini-cli', 'gemini-cli']);
    expect(await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }))).toEqual([]);
  });
});

describe('usage-logs sensor: state file', () => {
  it('survives a damaged state file by starting over and counting a parse error', async () => {
    const alice = await homes.home('alice');
    await place('claude-code/session.jsonl', claudeFile(alice.dir));
    const stateFile = path.join(homes.root, 'usage.json');
    await writeFile(stateFile, '{"version":1,"files":');
    const { reader, health } = await openReader(stateFile);
    expect((await collect(reader.scan({ homes: [alice], env: {}, envHome: '/x' }))).length).toBe(3);
    await reader.save();
    expect(JSON.parse(await readFile(stateFile, 'utf8')).version).toBe(1);
    expectSensorHealth(health, { name: 'usage-logs', observations: 3, errors: { parse: 2 } });
  });
});

describe('aggregateUsage', () => {
  it('sums per tool, user, model, session and window into valid usage events', async () => {
    const alice = await homes.home('alice');
    await placeAll(alice.dir);
    const records = await collect(usageLogs({ homes: [alice], stateFile: path.join(homes.root, 'u.json'), env: {}, envHome: '/x' }));
    const events = aggregateUsage(records, 3600, { sessionKey: 'k' });
    const check = validator(UsageEvent);
    for (const e of events) {
      const v = check({ ...e, id: uuidv7() });
      expect(v.ok ? [] : v.issues).toEqual([]);
    }
    const claude = events.filter((e) => e.tool === 'claude-code');
    expect(claude).toHaveLength(1);
    expect(claude[0]).toMatchObject({
      window_start: '2026-11-20T10:00:00.000Z', window_end: '2026-11-20T11:00:00.000Z', user: 'alice',
      model: 'claude-sonnet-4-5-20250929', tokens_in: 8, tokens_out: 579, tokens_cache_read: 41376, tokens_cache_write: 10748,
      requests: 2, count: 3, source: 'log', quality: 'undercount', evidence: { matcher: 'usage-log', value: 'claude-code-jsonl' },
    });
    expect(claude[0]?.session_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(events.filter((e) => e.tool === 'gemini-cli').map((e) => e.model).sort()).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
  });

  it('drops log figures of a session that OpenTelemetry reported in the same batch', () => {
    const base = { tool: 'claude-code', user: 'alice', session: 's', ts: Date.UTC(2026, 10, 20, 10), model: 'm', tokens_cache_read: 0, tokens_cache_write: 0, requests: 1 };
    const events = aggregateUsage(
      [
        { ...base, request: 'a', tokens_in: 1, tokens_out: 1, source: 'log', quality: 'undercount', origin: 'claude-code-jsonl' },
        { ...base, request: 'b', tokens_in: 500, tokens_out: 90, source: 'otel', quality: 'exact', origin: 'otlp-logs' },
        { ...base, session: 'other', request: 'c', tokens_in: 2, tokens_out: 3, source: 'log', quality: 'undercount', origin: 'claude-code-jsonl' },
      ],
      300,
    );
    expect(events.map((e) => [e.source, e.tokens_in, e.tokens_out])).toEqual(expect.arrayContaining([['otel', 500, 90], ['log', 2, 3]]));
    expect(events).toHaveLength(2);
    expect(() => aggregateUsage([], 0)).toThrow(RangeError);
  });
});
