import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Event } from '@aiscout/protocol';
import { Daemon, type DaemonTiming } from '../src/daemon/daemon.js';
import { Logger } from '../src/daemon/log.js';
import type { DaemonSensor } from '../src/daemon/sensors.js';
import { loadEnrollment } from '../src/identity/identity.js';
import { readStatus } from '../src/status/status.js';
import { agentEnv, floodSensor, loadTestConfig, syntheticEvent, testConfig } from './helpers/agent.js';
import { collectorForFile, ENROLL_SECRET, SECOND_SECRET, tempDir, until } from './helpers/collector.js';
import { httpsProxy, makePki, type TestPki } from './helpers/tls.js';

const collector = collectorForFile('aiscout-agent-faults-');
const quiet = new Logger('fatal', () => undefined);
const timing: DaemonTiming = { firstRunMs: 3_600_000, windowMs: 3_600_000, heartbeatMs: 3_600_000, idlePollMs: 100, backoffBaseMs: 50, backoffCapMs: 300 };

const processRows = (agentId: string, user: string) =>
  collector.count("SELECT event_id FROM events WHERE agent_id = {a:UUID} AND kind = 'process' AND user = {u:String}", { a: agentId, u: user });

/** A sensor that hands out whatever events the test queues. */
function queueSensor(): DaemonSensor & { queue: Event[] } {
  const s = {
    name: 'queue', interval: 'processes' as const, heavy: false, queue: [] as Event[], enabled: () => true,
    run: async () => ({ events: s.queue.splice(0) }),
  };
  return s;
}

describe('agent faults against the real collector', () => {
  it('full spool: the oldest data is dropped, counted, and reported in the next heartbeat after a SIGHUP-style reload to a reachable collector', async () => {
    const state = tempDir('aiscout-agent-full-');
    const unreachable = agentEnv(state.path, 'http://127.0.0.1:1', ENROLL_SECRET, { AISCOUT_SPOOL_MAX_BYTES: String(1024 * 1024) });
    const reachable = { ...unreachable, AISCOUT_COLLECTOR_URL: collector.url };
    let env = unreachable;
    const daemon = new Daemon({ config: await testConfig(env), configSource: 'env', log: quiet, sensors: [floodSensor(2000)], homes: [], timing, loadConfig: () => loadTestConfig(env) });
    await daemon.start();
    for (let i = 0; i < 4; i++) await daemon.runSensorsNow();
    const beat = daemon.heartbeatEvent();
    expect(beat.spool_dropped).toBeGreaterThan(0);
    expect(beat.spool_bytes).toBeLessThanOrEqual(1024 * 1024);
    const status = (await daemon.flushStatus(), await readStatus(state.path))!;
    expect(status.enrollment.state).toBe('unenrolled');
    expect(status.enrollment.reason).toMatch(/ECONNREFUSED/);

    env = reachable;
    expect(await daemon.reload()).toBe(true);
    await daemon.heartbeat();
    await until(async () => (await readStatus(state.path))?.spool.records === 0, 30_000, 'spool drained');
    const agentId = (await loadEnrollment(state.path))!.agent_id;
    const beats = await collector.query<{ details: string }>("SELECT details FROM events WHERE agent_id = {a:UUID} AND kind = 'agent'", { a: agentId });
    const dropped = beats.map((b) => (JSON.parse(b.details) as { spool_dropped: number }).spool_dropped);
    expect(Math.max(...dropped)).toBeGreaterThan(0);
    await daemon.stop(3000);
    state.cleanup();
  }, 60_000);

  it('a batch the collector refuses for good is quarantined and does not block the spool', async () => {
    const state = tempDir('aiscout-agent-poison-');
    const queue = queueSensor();
    const daemon = new Daemon({ config: await testConfig(agentEnv(state.path, collector.url, ENROLL_SECRET)), configSource: 'env', log: quiet, sensors: [queue], homes: [], timing, deliveryLimits: { maxEvents: 1, maxBytes: 1 << 20, timeoutMs: 10_000 } });
    await daemon.start();
    const future = { ...syntheticEvent(1, 'poison-user'), window_start: '2099-01-01T00:00:00.000Z', window_end: '2099-01-01T00:05:00.000Z' } as Event;
    const good = syntheticEvent(2, 'poison-user');
    queue.queue.push(future, good);
    await daemon.runSensorsNow();
    await until(async () => {
      const st = await readStatus(state.path);
      return st?.spool.records === 0 && st.delivery.quarantined_batches === 1 && st.delivery.events_acked === 1;
    }, 20_000, 'poison set aside, good event delivered');
    const agentId = (await loadEnrollment(state.path))!.agent_id;
    expect(await collector.count('SELECT 1 FROM events WHERE event_id = {id:UUID}', { id: good.id })).toBe(1);
    const quarantined = readdirSync(path.join(state.path, 'quarantine'));
    expect(quarantined).toHaveLength(1);
    const saved = JSON.parse(readFileSync(path.join(state.path, 'quarantine', quarantined[0]!), 'utf8')) as { reason: string; records: string[] };
    expect(saved.reason).toMatch(/^EVENT_TIME_OUT_OF_RANGE/);
    expect(saved.records[0]).toContain(future.id);
    await daemon.stop(3000);
    const status = (await readStatus(state.path))!;
    expect(status.delivery).toMatchObject({ quarantined_batches: 1, quarantined_records: 1 });
    expect(await processRows(agentId, 'poison-user')).toBe(1);
    state.cleanup();
  });

  it('revoked agent: stops sending, says so in status, stays revoked after a restart, and enrolls anew only with a new secret', async () => {
    const state = tempDir('aiscout-agent-revoked-');
    const env = agentEnv(state.path, collector.url, ENROLL_SECRET);
    const flood = floodSensor(10, undefined, 'revoke-user');
    let daemon = new Daemon({ config: await testConfig(env), configSource: 'env', log: quiet, sensors: [flood], homes: [], timing });
    await daemon.start();
    await daemon.runSensorsNow();
    await until(async () => (await readStatus(state.path))?.delivery.events_acked === 10, 20_000, 'first delivery');
    const first = (await loadEnrollment(state.path))!;
    expect(await collector.revoke(first.agent_id)).toBe(200);

    await daemon.runSensorsNow();
    await until(async () => (await readStatus(state.path))?.enrollment.state === 'revoked', 20_000, 'revocation noticed');
    await daemon.runSensorsNow();
    await daemon.stop(2000);
    let status = (await readStatus(state.path))!;
    expect(status.delivery.last_error).toMatch(/AGENT_REVOKED/);
    expect(status.spool.records).toBe(21); // 20 events + the heartbeat written at stop
    expect((await loadEnrollment(state.path))!.revoked).toBe(true);
    expect(await processRows(first.agent_id, 'revoke-user')).toBe(10);

    // Same secret after a restart: still revoked, nothing sent, no new enrollment.
    daemon = new Daemon({ config: await testConfig(env), configSource: 'env', log: quiet, sensors: [], homes: [], timing });
    await daemon.start();
    await new Promise((r) => setTimeout(r, 500));
    await daemon.stop(1000);
    status = (await readStatus(state.path))!;
    expect(status.enrollment).toMatchObject({ state: 'revoked', agent_id: first.agent_id });
    expect(status.spool.records).toBe(22); // + this run's stop heartbeat
    expect(await processRows(first.agent_id, 'revoke-user')).toBe(10);

    // A new secret: a new key, a new agent id, and the spooled events arrive.
    daemon = new Daemon({ config: await testConfig({ ...env, AISCOUT_ENROLLMENT_SECRET: SECOND_SECRET }), configSource: 'env', log: quiet, sensors: [], homes: [], timing });
    await daemon.start();
    await until(async () => (await readStatus(state.path))?.spool.records === 0, 20_000, 'spool drained after re-enrollment');
    await daemon.stop(2000);
    const second = (await loadEnrollment(state.path))!;
    expect(second.revoked).toBe(false);
    expect(second.agent_id).not.toBe(first.agent_id);
    expect(await processRows(second.agent_id, 'revoke-user')).toBe(20);
    state.cleanup();
  }, 60_000);

  it('no leak: with pseudonymization on, the user name, home path and a refused secret never reach the logs or the collector', async () => {
    const state = tempDir('aiscout-agent-noleak-');
    const lines: string[] = [];
    const USER = 'markeruser7f3a';
    const BAD_SECRET = 'refused-secret-MARKER-9c1d';
    const env = agentEnv(state.path, collector.url, BAD_SECRET, { AISCOUT_PRIVACY_PSEUDONYMIZE_USERS: 'true', AISCOUT_PRIVACY_PSEUDONYM_KEY: 'noleak-test-key-000001' });
    const failing: DaemonSensor = {
      name: 'failing', interval: 'processes', heavy: false, enabled: () => true,
      run: async () => {
        throw Object.assign(new Error(`EACCES: permission denied, open '/home/${USER}/.config/x'`), { code: 'EACCES' });
      },
    };
    const detecting: DaemonSensor = {
      name: 'detecting', interval: 'processes', heavy: false, enabled: () => true,
      run: async () => ({
        detections: [{
          kind: 'process', tool: 'claude-code', tool_name: 'Claude Code', category: 'coding-agent' as never, confidence: 1, candidates: ['claude-code'],
          evidence: { matcher: 'process-name', value: 'claude' }, user: USER, location: `/home/${USER}/.local/bin/claude`, version: null, ecosystem: null, product: null, item: 'claude', count: 1,
        }],
      }),
    };
    let daemon = new Daemon({ config: await testConfig(env), configSource: 'env', log: new Logger('trace', (l) => lines.push(l)), sensors: [failing, detecting], homes: [], timing });
    await daemon.start();
    await daemon.runSensorsNow();
    await daemon.flushWindow();
    await until(async () => (await readStatus(state.path))?.enrollment.reason?.includes('ENROLLMENT_SECRET_INVALID') === true, 10_000, 'enrollment refused');
    await daemon.stop(500);
    // Now with the right secret: what reaches ClickHouse carries the pseudonym only.
    daemon = new Daemon({ config: await testConfig({ ...env, AISCOUT_ENROLLMENT_SECRET: ENROLL_SECRET }), configSource: 'env', log: new Logger('trace', (l) => lines.push(l)), sensors: [], homes: [], timing });
    await daemon.start();
    await until(async () => (await readStatus(state.path))?.spool.records === 0, 20_000, 'delivered');
    await daemon.stop(2000);
    const agentId = (await loadEnrollment(state.path))!.agent_id;
    const rows = await collector.query<Record<string, unknown>>("SELECT * FROM events WHERE agent_id = {a:UUID} AND kind = 'process' AND tool = 'claude-code' AND exe = '~/.local/bin/claude'", { a: agentId });
    expect(rows.length).toBe(1);
    expect(String(rows[0]!.user)).toMatch(/^p:[0-9a-f]{32}$/);
    const everything = lines.join('') + JSON.stringify(await collector.query("SELECT * FROM events WHERE agent_id = {a:UUID}", { a: agentId }));
    expect(lines.join('')).toContain('"msg":"sensor failed"');
    for (const marker of [USER, BAD_SECRET, ENROLL_SECRET]) expect(everything).not.toContain(marker);
    state.cleanup();
  });

  describe('TLS', () => {
    let pki: TestPki;
    const pkiDir = tempDir('aiscout-agent-pki-');
    const closers: (() => Promise<void>)[] = [];
    beforeAll(() => {
      pki = makePki(pkiDir.path);
    });
    afterAll(async () => {
      for (const c of closers) await c();
      pkiDir.cleanup();
    });

    async function attempt(cert: string, ca: string): Promise<{ status: Awaited<ReturnType<typeof readStatus>>; }> {
      const proxy = await httpsProxy(() => collector.port, pki.serverKey, cert);
      closers.push(proxy.close);
      const state = tempDir('aiscout-agent-tls-');
      const daemon = new Daemon({ config: await testConfig(agentEnv(state.path, proxy.url, ENROLL_SECRET, { AISCOUT_CA_FILE: ca })), configSource: 'env', log: quiet, sensors: [floodSensor(5)], homes: [], timing });
      await daemon.start();
      await daemon.runSensorsNow();
      await until(async () => {
        const s = await readStatus(state.path);
        return s !== null && (s.spool.records === 0 || s.delivery.consecutive_failures >= 2);
      }, 20_000, 'delivery or failures');
      await daemon.stop(1000);
      const status = await readStatus(state.path);
      state.cleanup();
      return { status };
    }

    it('delivers over HTTPS with the configured CA', async () => {
      const { status } = await attempt(pki.serverCert, pki.caCert);
      expect(status?.enrollment.state).toBe('enrolled');
      expect(status?.delivery.events_acked).toBeGreaterThanOrEqual(5);
    });

    it('wrong CA: a clear error, nothing sent, the data stays spooled', async () => {
      const { status } = await attempt(pki.serverCert, pki.otherCaCert);
      expect(status?.enrollment.state).toBe('unenrolled');
      expect(status?.enrollment.reason).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
      expect(status?.spool.records).toBeGreaterThanOrEqual(5);
    });

    it('expired collector certificate: a clear error, the data stays spooled', async () => {
      const { status } = await attempt(pki.expiredCert, pki.caCert);
      expect(status?.enrollment.reason).toMatch(/CERT_HAS_EXPIRED/);
      expect(status?.spool.records).toBeGreaterThanOrEqual(5);
    });
  });
});

export { existsSync };
