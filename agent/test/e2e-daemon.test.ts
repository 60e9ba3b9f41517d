import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { defaultSensors } from '../src/daemon/sensors.js';
import { Daemon } from '../src/daemon/daemon.js';
import { Logger } from '../src/daemon/log.js';
import { loadEnrollment } from '../src/identity/identity.js';
import { readStatus } from '../src/status/status.js';
import { agentEnv, floodSensor, testConfig } from './helpers/agent.js';
import { collectorForFile, ENROLL_SECRET, tempDir, until } from './helpers/collector.js';
import { installFakePackage, spawnReady, stop } from './helpers/processes.js';
import { SECRET_MARKER, copyFixtureTree } from './helpers/mcp-home.js';

const collector = collectorForFile('aiscout-agent-e2e-');
const quiet = new Logger('fatal', () => undefined);

describe('agent daemon ↔ real collector (chDB) on loopback', () => {
  let fake: ChildProcess | undefined;
  afterAll(() => stop(fake));

  it('enrolls, aggregates a real process per window, delivers signed batches and a heartbeat into ClickHouse', async () => {
    const state = tempDir('aiscout-agent-state-');
    // A real process that the catalog knows: node running @anthropic-ai/claude-code's cli.js.
    const script = await installFakePackage(state.path, '@anthropic-ai/claude-code', 'cli.js');
    fake = await spawnReady(process.execPath, [script]);
    const config = await testConfig(agentEnv(state.path, collector.url, ENROLL_SECRET));
    const processes = defaultSensors().filter((s) => s.name === 'processes');
    const daemon = new Daemon({
      config, configSource: 'env', log: quiet, sensors: processes, homes: [],
      timing: { firstRunMs: 3_600_000, windowMs: 3_600_000, heartbeatMs: 3_600_000, idlePollMs: 200 },
    });
    await daemon.start();
    // Three scans in one window: one row, count = 3 sightings.
    await daemon.runSensorsNow();
    await daemon.runSensorsNow();
    await daemon.runSensorsNow();
    expect(await daemon.flushWindow()).toBeGreaterThanOrEqual(1);
    await daemon.heartbeat();
    await until(async () => (await loadEnrollment(state.path)) !== null, 10_000, 'enrollment');
    const enrollment = (await loadEnrollment(state.path))!;
    await until(async () => (await collector.count("SELECT 1 FROM events WHERE agent_id = {a:UUID} AND kind = 'agent'", { a: enrollment.agent_id })) >= 1, 20_000, 'heartbeat stored');
    const rows = await collector.query<{ tool: string; count: string; exe: string; user: string }>(
      "SELECT tool, toString(count) AS count, exe, user FROM events WHERE agent_id = {a:UUID} AND kind = 'process' AND exe = {exe:String}",
      { a: enrollment.agent_id, exe: realpathSync(process.execPath) },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tool: 'claude-code', count: '3' });
    await daemon.stop(5000);
    const status = (await readStatus(state.path))!;
    expect(status.enrollment).toMatchObject({ state: 'enrolled', agent_id: enrollment.agent_id });
    expect(status.delivery.batches_acked).toBeGreaterThanOrEqual(2);
    expect(status.spool.records).toBe(0);
    expect(status.stopped_at).not.toBeNull();
    await stop(fake);
    state.cleanup();
  });

  it('collector down for a while, then back on the same data: every event arrives exactly once', async () => {
    const state = tempDir('aiscout-agent-state-');
    const flood = floodSensor(50);
    const config = await testConfig(agentEnv(state.path, collector.url, ENROLL_SECRET));
    const daemon = new Daemon({
      config, configSource: 'env', log: quiet, sensors: [flood], homes: [],
      timing: { firstRunMs: 3_600_000, windowMs: 3_600_000, heartbeatMs: 3_600_000, idlePollMs: 200, backoffBaseMs: 100, backoffCapMs: 500 },
    });
    await daemon.start();
    await daemon.runSensorsNow();
    await until(async () => (await readStatus(state.path))?.delivery.events_acked === 50, 20_000, 'first delivery');
    const agentId = (await loadEnrollment(state.path))!.agent_id;

    await collector.stop();
    for (let i = 0; i < 4; i++) await daemon.runSensorsNow();
    await until(async () => ((await readStatus(state.path))?.delivery.consecutive_failures ?? 0) >= 2, 20_000, 'failures seen');
    const down = (await readStatus(state.path))!;
    expect(down.delivery.last_error).toMatch(/ECONNREFUSED/);
    expect(down.spool.records).toBe(200);

    await collector.start();
    await until(async () => (await readStatus(state.path))?.spool.records === 0, 30_000, 'spool drained');
    await daemon.stop(5000);
    const total = await collector.count("SELECT event_id FROM events WHERE agent_id = {a:UUID} AND kind = 'process' AND user = 'e2e-user'", { a: agentId });
    const distinct = await collector.count("SELECT DISTINCT event_id FROM events WHERE agent_id = {a:UUID} AND kind = 'process' AND user = 'e2e-user'", { a: agentId });
    expect([total, distinct]).toEqual([flood.produced, flood.produced]);
    state.cleanup();
  });
});

describe('MCP inventory through the daemon', () => {
  it('sends each configured MCP server as an extension event (item_kind mcp-server) with its flags, never a secret', async () => {
    const state = tempDir('aiscout-agent-state-');
    const home = path.join(state.path, 'alice');
    await copyFixtureTree('home', home, home);
    const config = await testConfig(agentEnv(path.join(state.path, 'state'), collector.url, ENROLL_SECRET));
    const daemon = new Daemon({
      config, configSource: 'env', log: quiet, sensors: defaultSensors().filter((s) => s.name === 'mcp-servers'), homes: [{ user: 'mcp-alice', dir: home }],
      timing: { firstRunMs: 3_600_000, windowMs: 3_600_000, heartbeatMs: 3_600_000, idlePollMs: 200 },
    });
    await daemon.start();
    await daemon.runSensorsNow();
    await until(async () => (await readStatus(path.join(state.path, 'state')))?.spool.records === 0 && ((await readStatus(path.join(state.path, 'state')))?.delivery.events_acked ?? 0) > 0, 20_000, 'delivered');
    await daemon.stop(3000);
    const rows = await collector.query<{ tool: string; ecosystem: string; extension_id: string; flags: string[]; details: string; evidence_matcher: string }>(
      "SELECT tool, ecosystem, extension_id, flags, details, evidence_matcher FROM events WHERE kind = 'extension' AND user = 'mcp-alice'",
    );
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.every((r) => r.evidence_matcher === 'mcp-server' && JSON.parse(r.details).item_kind === 'mcp-server')).toBe(true);
    expect(new Set(rows.map((r) => r.ecosystem)).size).toBeGreaterThanOrEqual(3);
    expect(rows.some((r) => r.flags.includes('literal-secret'))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(SECRET_MARKER);
    state.cleanup();
  });
});

export { path };
