import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type protobuf from 'protobufjs';
import { LogsRequest, MetricsRequest } from './helpers/otlp-proto.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../src/otlp/server.js';
import { CumulativeToDelta } from '../src/otlp/temporality.js';
import { usageFromMetrics } from '../src/otlp/to-usage.js';
import type { MetricPoint } from '../src/otlp/model.js';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { UsageLogReader } from '../src/sensors/usage-logs.js';
import { aggregateUsage } from '../src/usage/aggregate.js';
import { UsageDedup } from '../src/usage/dedup.js';
import type { UsageRecord } from '../src/usage/types.js';
import { collect, expectSensorHealth } from './helpers/sensor-health.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'otlp');
const SECRET = 'SECRET-MARKER-7f3a';
const T0 = 1795168800000000000n; // 2026-11-20T10:00:00Z

const toProto = (type: protobuf.Type, json: object): Buffer => Buffer.from(type.encode(type.fromObject(json)).finish());

const fixture = async (name: string): Promise<any> => JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8'));

let receiver: OtlpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

async function start(extra: Partial<Parameters<typeof startOtlpReceiver>[0]> = {}) {
  const got: UsageRecord[] = [];
  receiver = await startOtlpReceiver({ port: 0, defaultUser: 'console-user', onRecords: (r) => void got.push(...r), ...extra });
  return { got, url: (p: string) => `http://127.0.0.1:${receiver!.port}${p}` };
}

async function post(url: string, body: Buffer | string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}
const JSON_H = { 'content-type': 'application/json' };
const PROTO_H = { 'content-type': 'application/x-protobuf' };

function pick(r: UsageRecord) {
  return [r.tool, r.session, r.model, r.tokens_in, r.tokens_out, r.tokens_cache_read, r.tokens_cache_write, r.requests];
}

describe('OTLP receiver: the tools’ exports over real HTTP on 127.0.0.1', () => {
  it('turns Claude Code, Gemini CLI and Codex log events (JSON) into exact usage records, stamped with the sender', async () => {
    const { got, url } = await start();
    for (const name of ['claude-code-logs', 'gemini-cli-logs', 'codex-logs']) {
      const res = await post(url('/v1/logs'), JSON.stringify(await fixture(name)), JSON_H);
      expect(res.status).toBe(200);
      expect(res.type).toBe('application/json');
      expect(JSON.parse(res.body.toString())).toEqual({});
    }
    expect(got.map(pick)).toEqual([
      ['claude-code', 'cc-session-1', 'claude-sonnet-4-5-20250929', 1200, 480, 15414, 10548, 1],
      ['claude-code', 'cc-session-1', 'claude-haiku-4-5-20251001', 300, 40, 0, 2000, 1],
      // Gemini and Codex report input with the cached part included: 9000-4000, 12000-8000.
      ['gemini-cli', 'gm-session-1', 'gemini-2.5-pro', 5000, 420, 4000, 0, 1],
      ['openai-codex', 'cx-conv-1', 'gpt-5-codex', 4000, 600, 8000, 0, 1],
    ]);
    expect(got.every((r) => r.source === 'otel' && r.quality === 'exact')).toBe(true);
    // The sender is this test process: its socket's owner, read from /proc/net/tcp on Linux.
    const expectedUser = process.platform === 'linux' ? os.userInfo().username : 'console-user';
    expect(new Set(got.map((r) => r.user))).toEqual(new Set([expectedUser]));
    expect(JSON.stringify(got)).not.toContain(SECRET);
    expect(JSON.stringify(got)).not.toContain('alice@example.com');
    expectSensorHealth(receiver!.health, { name: 'otlp', observations: 4, errors: {} });
  });

  it('decodes the same requests as protobuf, plain and gzipped, and answers in protobuf', async () => {
    const { got, url } = await start({ resolveUser: async () => 'bob' });
    const logs = toProto(LogsRequest, await fixture('claude-code-logs'));
    const res = await post(url('/v1/logs'), logs, PROTO_H);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/x-protobuf');
    expect(res.body.length).toBe(0); // an empty ExportLogsServiceResponse
    const gz = await post(url('/v1/logs'), gzipSync(toProto(LogsRequest, await fixture('codex-logs'))), { ...PROTO_H, 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    const gzJson = await post(url('/v1/logs'), gzipSync(JSON.stringify(await fixture('gemini-cli-logs'))), { ...JSON_H, 'content-encoding': 'gzip' });
    expect(gzJson.status).toBe(200);
    expect(got.map(pick)).toEqual([
      ['claude-code', 'cc-session-1', 'claude-sonnet-4-5-20250929', 1200, 480, 15414, 10548, 1],
      ['claude-code', 'cc-session-1', 'claude-haiku-4-5-20251001', 300, 40, 0, 2000, 1],
      ['openai-codex', 'cx-conv-1', 'gpt-5-codex', 4000, 600, 8000, 0, 1],
      ['gemini-cli', 'gm-session-1', 'gemini-2.5-pro', 5000, 420, 4000, 0, 1],
    ]);
    expect(got[0]?.ts).toBe(Number((T0 + 2_000_000_000n) / 1_000_000n));
    expect(new Set(got.map((r) => r.user))).toEqual(new Set(['bob']));
    expect(JSON.stringify(got)).not.toContain(SECRET);
  });

  it('reads token counter metrics (delta) in JSON and protobuf; other metrics are ignored', async () => {
    const { got, url } = await start({ resolveUser: async () => null });
    const body = await fixture('claude-code-metrics');
    expect((await post(url('/v1/metrics'), JSON.stringify(body), JSON_H)).status).toBe(200);
    expect((await post(url('/v1/metrics'), toProto(MetricsRequest, body), PROTO_H)).status).toBe(200);
    const want = ['claude-code', 'cc-session-1', 'claude-sonnet-4-5-20250929', 1200, 480, 15414, 10548, 0];
    expect(got.map(pick)).toEqual([want, want]);
    expect(got.every((r) => r.user === 'console-user' && r.origin === 'otlp-metrics')).toBe(true);
  });
});

describe('OTLP receiver: cumulative counters', () => {
  const point = (value: number, startNs: bigint, timeNs: bigint, type = 'input'): MetricPoint => ({
    resource: { 'service.name': 'gemini-cli' }, metric: 'gemini_cli.token.usage', temporality: 'cumulative', monotonic: true,
    attrs: { type, model: 'gemini-2.5-pro', 'session.id': 'g1' }, startNs, timeNs, value,
  });

  it('converts running totals to deltas, handles resets, and ignores totals from before it listened', () => {
    const started = T0;
    const deltas = new CumulativeToDelta(started, 100);
    const run = (p: MetricPoint) => usageFromMetrics([p], 'alice', deltas).map((r) => r.tokens_in);
    expect(run(point(500, started - 1n, started + 1n, 'output'))).toEqual([]); // series began before: baseline only
    expect(run(point(100, started + 5n, started + 10n))).toEqual([100]);
    expect(run(point(250, started + 5n, started + 20n))).toEqual([150]);
    expect(run(point(250, started + 5n, started + 30n))).toEqual([]); // no growth
    expect(run(point(40, started + 35n, started + 40n))).toEqual([40]); // restarted: new start, lower value
    // Gemini's input includes the cached part: input 1000 with cache 600 is 400 uncached.
    const both = usageFromMetrics(
      [point(1000, started + 50n, started + 60n), { ...point(600, started + 50n, started + 60n, 'cache') }].map((p) => ({ ...p, attrs: { ...p.attrs, 'session.id': 'g2' } })),
      'alice',
      deltas,
    );
    expect(both.map((r) => [r.tokens_in, r.tokens_cache_read])).toEqual([[400, 600]]);
  });

  it('keeps the series map bounded', () => {
    const deltas = new CumulativeToDelta(0n, 50);
    for (let i = 0; i < 500; i++) deltas.delta({ ...point(i, 1n, 2n), attrs: { type: 'input', 'session.id': `s${i}` } });
    expect(deltas.size).toBe(50);
  });
});

describe('OTLP receiver: dedup with the log reader', () => {
  it('counts a retried export once and lets OTel supersede log figures of the same session', async () => {
    const dedup = new UsageDedup();
    const { got, url } = await start({ resolveUser: async () => 'alice', dedup });
    const body = JSON.stringify(await fixture('claude-code-logs'));
    expect((await post(url('/v1/logs'), body, JSON_H)).status).toBe(200);
    expect((await post(url('/v1/logs'), body, JSON_H)).status).toBe(200); // exporter retry
    expect(got).toHaveLength(2);
    // The same session's transcript line, read later from ~/.claude: OTel already has it.
    const fromLog: UsageRecord = {
      tool: 'claude-code', user: 'alice', session: 'cc-session-1', request: 'msg_1:req_1', ts: Number(T0 / 1_000_000n) + 2000,
      model: 'claude-sonnet-4-5-20250929', tokens_in: 3, tokens_out: 9, tokens_cache_read: 15414, tokens_cache_write: 10548,
      requests: 1, source: 'log', quality: 'undercount', origin: 'claude-code-jsonl',
    };
    expect(dedup.admit(fromLog)).toEqual({ verdict: 'superseded', record: null });
    // Another user's session with the same id is not affected.
    expect(dedup.admit({ ...fromLog, user: 'bob' }).verdict).toBe('new');
    expect(dedup.stats).toMatchObject({ new: 3, duplicate: 2, superseded: 1 });
  });

  it('shares one dedup with the log reader: a session OTel reported is not counted again from ~/.claude', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'aiscout-otlp-'));
    try {
      const home = { user: 'alice', dir: path.join(tmp, 'alice') };
      const file = path.join(home.dir, '.claude', 'projects', 'p', 'session.jsonl');
      await mkdir(path.dirname(file), { recursive: true });
      await copyFile(path.join(FIXTURES, '..', 'usage', 'claude-code', 'session.jsonl'), file);
      const reader = await UsageLogReader.open({ stateFile: path.join(tmp, 'state.json') });
      const { got, url } = await start({ resolveUser: async () => 'alice', dedup: reader.dedup });
      const body = await fixture('claude-code-logs');
      // The fixture's OTel session is the transcript's session, reported from 10:00:00.
      const text = JSON.stringify(body).replaceAll('cc-session-1', '5b0e0c1e-8a3c-4d7e-9c1f-2b6f1d9a4e10');
      expect((await post(url('/v1/logs'), text, JSON_H)).status).toBe(200);
      const fromLogs = await collect(reader.scan({ homes: [home], env: {}, envHome: '/x' }));
      expect(fromLogs).toEqual([]);
      expect(reader.dedup.stats.superseded).toBe(4); // the 4 assistant lines (3 streaming snapshots + 1)
      const events = aggregateUsage([...got, ...fromLogs], 3600);
      expect(events.map((e) => [e.source, e.quality, e.model, e.tokens_in, e.tokens_out])).toEqual([
        ['otel', 'exact', 'claude-haiku-4-5-20251001', 300, 40],
        ['otel', 'exact', 'claude-sonnet-4-5-20250929', 1200, 480],
      ]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('persists the dedup memory as hashes only, and restores it', () => {
    const dedup = new UsageDedup({ maxEntries: 3 });
    const rec = (request: string): UsageRecord => ({
      tool: 'openai-codex', user: 'alice', session: 'raw-session-id', request, ts: 1, model: 'm', tokens_in: 1, tokens_out: 1,
      tokens_cache_read: 0, tokens_cache_write: 0, requests: 1, source: 'log', quality: 'exact', origin: 'codex-jsonl',
    });
    for (const r of ['a', 'b', 'c', 'd']) dedup.admit(rec(r));
    const snap = dedup.snapshot();
    expect(snap.seen).toHaveLength(3);
    expect(JSON.stringify(snap)).not.toContain('raw-session-id');
    const back = UsageDedup.restore(snap, { maxEntries: 3 });
    expect(back.admit(rec('d')).verdict).toBe('duplicate');
    expect(back.admit(rec('a')).verdict).toBe('new'); // evicted as least recently used
  });
});

describe('OTLP receiver: hostile and wrong requests', () => {
  it('refuses to bind to anything but loopback', async () => {
    await expect(startOtlpReceiver({ host: '0.0.0.0', port: 0, defaultUser: 'x', onRecords: () => undefined })).rejects.toThrow(/loopback/);
    await expect(startOtlpReceiver({ host: '192.168.1.10', port: 0, defaultUser: 'x', onRecords: () => undefined })).rejects.toThrow(/loopback/);
  });

  it('answers 4xx to bad requests, never crashes, and keeps serving', async () => {
    const { got, url } = await start({ resolveUser: async () => 'alice', limits: { maxBodyBytes: 64 * 1024, maxDecodedBytes: 256 * 1024 } });
    const valid = JSON.stringify(await fixture('codex-logs'));
    expect((await post(url('/v1/logs'), valid, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(url('/v1/traces'), valid, JSON_H)).status).toBe(404);
    expect((await fetch(url('/v1/logs'))).status).toBe(405);
    expect((await post(url('/v1/logs'), valid, { ...JSON_H, 'content-encoding': 'br' })).status).toBe(415);
    expect((await post(url('/v1/logs'), '{"resourceLogs": [', JSON_H)).status).toBe(400);
    expect((await post(url('/v1/logs'), '{"resourceLogs": {"x": 1}}', JSON_H)).status).toBe(400);
    expect((await post(url('/v1/metrics'), '[1,2,3]', JSON_H)).status).toBe(400);
    // Too big as sent, and too big once gunzipped (a small bomb).
    expect((await post(url('/v1/logs'), 'x'.repeat(100 * 1024), JSON_H)).status).toBe(413);
    expect((await post(url('/v1/logs'), gzipSync(Buffer.alloc(1024 * 1024, 32)), { ...JSON_H, 'content-encoding': 'gzip' })).status).toBe(413);
    expect((await post(url('/v1/logs'), Buffer.from('not gzip'), { ...JSON_H, 'content-encoding': 'gzip' })).status).toBe(400);
    // Protobuf: truncated varint, a length past the end, a group wire type, an 11-byte varint.
    for (const bytes of [[0x0a, 0xff], [0x0a, 0x05, 0x0a], [0x0b], [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]]) {
      const res = await post(url('/v1/logs'), Buffer.from(bytes), PROTO_H);
      expect(res.status).toBe(400);
      expect(res.type).toBe('application/x-protobuf');
    }
    // Deep nesting: an attribute value of arrays inside arrays, 3000 levels, is skipped, not walked.
    const depth = 1200; // stays under the 64 KiB body cap set above
    const nested = '{"arrayValue":{"values":['.repeat(depth) + '{"stringValue":"leaf"}' + ']}}'.repeat(depth);
    const deepJson = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"model","value":${nested}}]}]}]}]}`;
    expect((await post(url('/v1/logs'), deepJson, JSON_H)).status).toBe(200);
    let deepProto = Buffer.from([0x0a, 0x04, 0x6c, 0x65, 0x61, 0x66]); // AnyValue{string_value:"leaf"}
    for (let i = 0; i < 3000; i++) {
      const arr = Buffer.concat([Buffer.from([0x0a]), varint(deepProto.length), deepProto]); // ArrayValue{values}
      deepProto = Buffer.concat([Buffer.from([0x2a]), varint(arr.length), arr]); // AnyValue{array_value}
    }
    const kv = Buffer.concat([Buffer.from([0x0a, 0x05]), Buffer.from('model'), Buffer.from([0x12]), varint(deepProto.length), deepProto]);
    const rec = Buffer.concat([Buffer.from([0x32]), varint(kv.length), kv]);
    const sl = Buffer.concat([Buffer.from([0x12]), varint(rec.length), rec]);
    const rl = Buffer.concat([Buffer.from([0x12]), varint(sl.length), sl]);
    const req = Buffer.concat([Buffer.from([0x0a]), varint(rl.length), rl]);
    expect((await post(url('/v1/logs'), req, PROTO_H)).status).toBe(200);
    // Still serving, and nothing from the bad requests got through.
    expect(got).toEqual([]);
    expect((await post(url('/v1/logs'), valid, JSON_H)).status).toBe(200);
    expect(got.map((r) => r.tool)).toEqual(['openai-codex']);
    expectSensorHealth(receiver!.health, { name: 'otlp', observations: 1, errors: { parse: 8, limit: 2 }, dropped: 2 });
  });

  it('answers 503 when the records cannot be stored, so the exporter retries', async () => {
    receiver = await startOtlpReceiver({ port: 0, defaultUser: 'x', resolveUser: async () => 'x', onRecords: () => Promise.reject(new Error('spool full')) });
    const res = await post(`http://127.0.0.1:${receiver.port}/v1/logs`, JSON.stringify(await fixture('codex-logs')), JSON_H);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 14 });
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(out);
}
