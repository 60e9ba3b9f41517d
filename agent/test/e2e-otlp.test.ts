/**
 * The local OTLP receiver inside the daemon, end to end: real OTLP/HTTP requests (JSON and protobuf,
 * Claude Code shapes from fixtures/otlp) to the daemon's receiver on 127.0.0.1 → `usage` rows in a
 * real collector (chDB), stamped with the sender's user and the host; the same session also in a
 * Claude Code transcript in a fake home is counted once (OTel wins), although the log was read first.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LogsRequest } from './helpers/otlp-proto.js';
import { describe, expect, it } from 'vitest';
import { Daemon } from '../src/daemon/daemon.js';
import { Logger } from '../src/daemon/log.js';
import { OtlpSensor, UsagePipeline } from '../src/daemon/otlp-adapter.js';
import { defaultSensors } from '../src/daemon/sensors.js';
import { loadEnrollment } from '../src/identity/identity.js';
import { agentEnv, testConfig } from './helpers/agent.js';
import { collectorForFile, ENROLL_SECRET, tempDir, until } from './helpers/collector.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const T0_MS = Date.parse('2026-11-20T10:00:00Z'); // the fixtures' session start
const TRANSCRIPT_SESSION = '5b0e0c1e-8a3c-4d7e-9c1f-2b6f1d9a4e10';


const collector = collectorForFile('aiscout-otlp-e2e-');
const quiet = new Logger('fatal', () => undefined);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Moves every OTLP time (…UnixNano) of a fixture by `shiftMs`; metric points are placed at `metricAtMs`. */
function shiftTimes(value: unknown, shiftMs: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shiftTimes(v, shiftMs));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k.endsWith('UnixNano') && typeof v === 'string' ? String(BigInt(v) + BigInt(shiftMs) * 1_000_000n) : shiftTimes(v, shiftMs)]),
  );
}

function post(url: string, body: Buffer | string, type: string) {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': type } }).then((r) => r.status);
}

interface UsageRow {
  tool: string;
  user: string;
  host: string;
  model: string;
  quality: string;
  tokens_in: string;
  tokens_out: string;
  evidence_value: string;
  details: string;
}

describe('OTLP receiver in the daemon → usage rows in ClickHouse', () => {
  it('stamps the sender, turns JSON and protobuf exports into usage rows (otel, exact), and counts a session seen in a log too once', async () => {
    const dir = tempDir('aiscout-otlp-state-');
    const me = os.userInfo().username;
    // Everything happens "now": the log is read first, the OTel export arrives after, within the grace.
    const base = Date.now();
    const shift = base - T0_MS;
    const home = path.join(dir.path, 'home');
    const transcript = path.join(home, '.claude', 'projects', 'p', 'session.jsonl');
    mkdirSync(path.dirname(transcript), { recursive: true });
    // The fixture keeps a malformed line on purpose: move the timestamps as text.
    const text = readFileSync(path.join(FIXTURES, 'usage', 'claude-code', 'session.jsonl'), 'utf8');
    writeFileSync(transcript, text.replace(/"timestamp":"([^"]+)"/g, (_m, t: string) => `"timestamp":"${new Date(Date.parse(t) + shift).toISOString()}"`));

    const port = await freePort();
    const config = await testConfig(agentEnv(path.join(dir.path, 'state'), collector.url, ENROLL_SECRET, { AISCOUT_OTLP_PORT: String(port) }));
    const sensors = defaultSensors().filter((s) => s.name === 'usage-logs' || s.name === 'otlp');
    const otlp = sensors.find((s) => s.name === 'otlp') as OtlpSensor;
    const daemon = new Daemon({
      config, configSource: 'env', log: quiet, sensors, homes: [{ user: me, dir: home }],
      timing: { firstRunMs: 3_600_000, windowMs: 12_000, usageGraceMs: 2_000, heartbeatMs: 3_600_000, idlePollMs: 200 },
    });
    try {
      await daemon.start();
      expect(otlp.address).toEqual({ host: '127.0.0.1', port });
      expect(otlp.cumulativeHealth()).toMatchObject({ enabled: true, disabled_reason: null });

      // 1. The usage-log sensor reads the transcript first: its records wait for their window to close.
      await daemon.runSensorsNow();
      expect(daemon.heartbeatEvent().sensors.find((s) => s.name === 'usage-logs')?.observations).toBe(3); // the transcript's requests (streaming snapshots of one request count once)
      expect(await collector.count("SELECT 1 FROM events WHERE kind = 'usage'")).toBe(0);

      // 2. Claude Code exports the same session (events, protobuf, sent twice as a retry would) and
      //    another session's token counter (metrics, JSON).
      const logs = JSON.parse(JSON.stringify(shiftTimes(JSON.parse(readFileSync(path.join(FIXTURES, 'otlp', 'claude-code-logs.json'), 'utf8')), shift)).replaceAll('cc-session-1', TRANSCRIPT_SESSION)) as object;
      const logsProto = Buffer.from(LogsRequest.encode(LogsRequest.fromObject(logs)).finish());
      const metrics = JSON.stringify(shiftTimes(JSON.parse(readFileSync(path.join(FIXTURES, 'otlp', 'claude-code-metrics.json'), 'utf8')), shift - 55_000)).replaceAll('cc-session-1', 'cc-metrics-session');
      const url = (p: string) => `http://127.0.0.1:${port}${p}`;
      expect(await post(url('/v1/logs'), logsProto, 'application/x-protobuf')).toBe(200);
      expect(await post(url('/v1/logs'), logsProto, 'application/x-protobuf')).toBe(200);
      expect(await post(url('/v1/metrics'), metrics, 'application/json')).toBe(200);

      // 3. Windows close (12 s + 2 s grace): one aggregation sees log and OTel records together.
      await until(async () => {
        await daemon.runSensorsNow();
        return (await collector.count("SELECT 1 FROM events WHERE kind = 'usage'")) >= 3;
      }, 40_000, 'usage rows');
      await daemon.stop(5_000);

      const agentId = (await loadEnrollment(path.join(dir.path, 'state')))!.agent_id;
      const rows = await collector.query<UsageRow>(
        `SELECT tool, user, host, model, quality, toString(tokens_in) AS tokens_in, toString(tokens_out) AS tokens_out, evidence_value, details
         FROM events WHERE agent_id = {a:UUID} AND kind = 'usage'`,
        { a: agentId },
      );
      const src = (r: UsageRow) => (JSON.parse(r.details) as { source: string }).source;
      expect(rows.filter((r) => src(r) === 'log')).toEqual([]); // OTel won for the transcript's session
      expect(rows.every((r) => r.tool === 'claude-code' && r.user === me && r.host === os.hostname() && r.quality === 'exact' && src(r) === 'otel')).toBe(true);
      const sum = (origin: string, model: string, f: 'tokens_in' | 'tokens_out') =>
        rows.filter((r) => r.evidence_value === origin && r.model === model).reduce((n, r) => n + Number(r[f]), 0);
      // The events (sent twice) count once: the figures of the receiver's own test, haiku 300/40 and sonnet 1200/480.
      expect([sum('otlp-logs', 'claude-haiku-4-5-20251001', 'tokens_in'), sum('otlp-logs', 'claude-haiku-4-5-20251001', 'tokens_out')]).toEqual([300, 40]);
      expect([sum('otlp-logs', 'claude-sonnet-4-5-20250929', 'tokens_in'), sum('otlp-logs', 'claude-sonnet-4-5-20250929', 'tokens_out')]).toEqual([1200, 480]);
      expect([sum('otlp-metrics', 'claude-sonnet-4-5-20250929', 'tokens_in'), sum('otlp-metrics', 'claude-sonnet-4-5-20250929', 'tokens_out')]).toEqual([1200, 480]);
      const hashes = new Set(rows.map((r) => (JSON.parse(r.details) as { session_hash: string }).session_hash));
      expect(hashes.size).toBe(2);
      expect(JSON.stringify(rows)).not.toContain(TRANSCRIPT_SESSION);
      // Stopped with the daemon.
      expect(otlp.address).toBeNull();
      await expect(post(url('/v1/logs'), logsProto, 'application/x-protobuf')).rejects.toThrow();
    } finally {
      await daemon.stop(1_000);
      dir.cleanup();
    }
  }, 60_000);

  it('listens on loopback only, and a port in use or a non-loopback host leaves it disabled with the reason', async () => {
    const dir = tempDir('aiscout-otlp-bind-');
    const port = await freePort();
    // Three agents (own state directories) on one port: the first gets it.
    const config = (name: string) => testConfig(agentEnv(path.join(dir.path, name), collector.url, ENROLL_SECRET, { AISCOUT_OTLP_PORT: String(port) }));
    const timing = { firstRunMs: 3_600_000, windowMs: 3_600_000, heartbeatMs: 3_600_000, idlePollMs: 200 };
    const first = new Daemon({ config: await config('a'), configSource: 'env', log: quiet, sensors: defaultSensors().filter((s) => s.name === 'otlp'), homes: [], timing });
    const second = new Daemon({ config: await config('b'), configSource: 'env', log: quiet, sensors: defaultSensors().filter((s) => s.name === 'otlp'), homes: [], timing });
    const wide = new Daemon({ config: await config('c'), configSource: 'env', log: quiet, sensors: [new OtlpSensor(new UsagePipeline(), '0.0.0.0')], homes: [], timing });
    const started: Daemon[] = [];
    try {
      await first.start();
      started.push(first);
      // Not reachable on any other address of this machine.
      const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
      if (external) {
        const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
          const s = net.connect({ host: external.address, port }, () => {
            s.destroy();
            resolve(null);
          });
          s.once('error', resolve);
        });
        expect(err?.code).toBe('ECONNREFUSED');
      }
      await second.start();
      started.push(second);
      expect(second.heartbeatEvent().sensors.find((s) => s.name === 'otlp')).toMatchObject({ enabled: false, disabled_reason: `OTLP receiver not started: port ${port} on 127.0.0.1 is already in use` });
      await wide.start();
      started.push(wide);
      expect(wide.heartbeatEvent().sensors.find((s) => s.name === 'otlp')).toMatchObject({ enabled: false, disabled_reason: expect.stringMatching(/must bind to a loopback address/) });
      expect(first.heartbeatEvent().sensors.find((s) => s.name === 'otlp')).toMatchObject({ enabled: true, disabled_reason: null });
    } finally {
      await Promise.all(started.map((d) => d.stop(2_000)));
      dir.cleanup();
    }
  }, 30_000);
});
