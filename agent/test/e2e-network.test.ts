/**
 * The network sensor inside the daemon, end to end: live capture on loopback (root + libpcap), a real
 * TLS connection with SNI api.anthropic.com and a real DNS query, attributed to this process, into a
 * real collector (chDB) as `network` rows. And the disabled path: the daemon as `nobody` reports the
 * network sensor disabled with the reason in its heartbeat while its other sensors keep delivering.
 */
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { chownSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Daemon } from '../src/daemon/daemon.js';
import { Logger } from '../src/daemon/log.js';
import { NetworkDaemonSensor } from '../src/daemon/network-sensor-adapter.js';
import { loadEnrollment } from '../src/identity/identity.js';
import { loadCap } from '../src/network/live-capture.js';
import { TOKEN_ESTIMATE } from '../src/network/flows.js';
import { agentEnv, testConfig } from './helpers/agent.js';
import { collectorForFile, ENROLL_SECRET, tempDir, until } from './helpers/collector.js';

const cap = loadCap();
const isRoot = process.getuid?.() === 0;
const skipReason = process.platform !== 'linux' ? 'not Linux' : !isRoot ? 'not root (live capture needs root or CAP_NET_RAW)' : !cap.ok ? cap.reason : null;
const live = skipReason === null;
if (!live) console.warn(`e2e-network: live capture tests skipped: ${skipReason}`);

const collector = collectorForFile('aiscout-net-e2e-');
const quiet = new Logger('fatal', () => undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A DNS query for `name` (type A), as a resolver would send it. */
function dnsQuery(name: string, id: number): Buffer {
  const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, 'ascii')]);
  return Buffer.concat([Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

interface NetworkRow {
  tool: string;
  server_name: string;
  exe: string;
  user: string;
  bytes_up: string;
  bytes_down: string;
  connections: string;
  est_tokens_in: string;
  est_tokens_out: string;
  tokens_in: string;
  tokens_out: string;
  name_source: string;
  ech: string;
  details: string;
}

describe.skipIf(!live)(`network sensor in the daemon, live on loopback${live ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('turns a TLS connection (SNI api.anthropic.com) and a DNS query into network rows with bytes and estimated tokens', async () => {
    const dir = tempDir('aiscout-net-state-');
    const UP = 64_000;
    const DOWN = 256_000;
    // A self-signed certificate for the name the client asks for (the sensor reads the SNI, not the certificate).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=api.anthropic.com'], { cwd: dir.path, stdio: 'pipe' });
    const server = tls.createServer({ key: readFileSync(path.join(dir.path, 'key.pem')), cert: readFileSync(path.join(dir.path, 'cert.pem')) }, (socket) => {
      let got = 0;
      socket.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got === UP) socket.write(Buffer.alloc(DOWN, 0x62));
      });
      socket.on('end', () => socket.end());
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const tlsPort = (server.address() as AddressInfo).port;
    // A local "resolver" port: the sensor reads the query; no answer is needed.
    const resolver = dgram.createSocket('udp4');
    await new Promise<void>((r) => resolver.bind(0, '127.0.0.1', () => r()));
    const dnsPort = resolver.address().port;

    const config = await testConfig(
      agentEnv(dir.path, collector.url, ENROLL_SECRET, {
        AISCOUT_SENSORS_NETWORK: 'true',
        AISCOUT_NETWORK_INTERFACES: 'lo', // loopback is left out by default
        AISCOUT_NETWORK_TLS_PORTS: String(tlsPort),
        AISCOUT_NETWORK_DNS_PORTS: String(dnsPort),
        AISCOUT_OTLP_ENABLED: 'false',
      }),
    );
    const network = new NetworkDaemonSensor();
    const daemon = new Daemon({
      config, configSource: 'env', log: quiet, sensors: [network], homes: [],
      timing: { firstRunMs: 3_600_000, windowMs: 2_000, intervalsMs: { network: 1_000 }, heartbeatMs: 3_600_000, idlePollMs: 200 },
    });
    try {
      await daemon.start();
      expect(network.cumulativeHealth()).toMatchObject({ name: 'network', enabled: true, disabled_reason: null });

      const client = tls.connect({ host: '127.0.0.1', port: tlsPort, servername: 'api.anthropic.com', rejectUnauthorized: false });
      let received = 0;
      const downloaded = new Promise<void>((resolve, reject) => {
        client.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received === DOWN) resolve();
        });
        client.on('error', reject);
      });
      await new Promise<void>((r) => client.once('secureConnect', () => r()));
      client.write(Buffer.alloc(UP, 0x61));
      const query = dgram.createSocket('udp4');
      query.send(dnsQuery('api.anthropic.com', 0x4242), dnsPort, '127.0.0.1');
      await downloaded;
      // Keep both sockets open past one connection-table read (at most every 5 s), so they are attributed.
      await sleep(6_500);
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.end();
      await closed;
      query.close();

      await until(async () => {
        await daemon.runSensorsNow();
        return (await collector.count("SELECT 1 FROM events WHERE kind = 'network' AND server_name = 'api.anthropic.com' AND name_source = 'tls-sni'")) >= 1;
      }, 20_000, 'tls-sni network row');
      await until(async () => {
        await daemon.runSensorsNow();
        return (await collector.count("SELECT 1 FROM events WHERE kind = 'network' AND server_name = 'api.anthropic.com' AND name_source = 'dns'")) >= 1;
      }, 20_000, 'dns network row');
      const agentId = (await loadEnrollment(dir.path))!.agent_id;
      const rows = await collector.query<NetworkRow>(
        `SELECT tool, server_name, exe, user, toString(bytes_up) AS bytes_up, toString(bytes_down) AS bytes_down, toString(connections) AS connections,
                toString(est_tokens_in) AS est_tokens_in, toString(est_tokens_out) AS est_tokens_out, toString(tokens_in) AS tokens_in,
                toString(tokens_out) AS tokens_out, name_source, toString(ech) AS ech, details
         FROM events WHERE agent_id = {a:UUID} AND kind = 'network' ORDER BY window_start`,
        { a: agentId },
      );
      const source = (r: NetworkRow) => r.name_source;
      const sni = rows.filter((r) => source(r) === 'tls-sni');
      expect(sni).toHaveLength(1);
      const row = sni[0]!;
      const me = os.userInfo().username;
      expect(row).toMatchObject({ tool: 'anthropic-api', server_name: 'api.anthropic.com', exe: realpathSync(process.execPath), user: me, connections: '1' });
      expect(row.ech).toBe('0');
      expect(JSON.parse(row.details)).toMatchObject({ transport: 'tcp', dst_port: tlsPort });
      // Bytes are TCP payload from SYN to FIN (sequence numbers), so they hold the TLS framing too:
      // up = ClientHello (~0.3–1.8 KB) + CCS + Finished + 22 B per 16 KiB record + close_notify;
      // down = ServerHello..Finished with the certificate (~1–1.5 KB) + two session tickets + 22 B per record.
      const up = Number(row.bytes_up);
      const down = Number(row.bytes_down);
      expect(up).toBeGreaterThan(UP);
      expect(up).toBeLessThan(UP + 4_096);
      expect(down).toBeGreaterThan(DOWN);
      expect(down).toBeLessThan(DOWN + 8_192);
      // Estimates from bytes (labelled est_*); the exact token columns stay empty for network rows.
      expect(Number(row.est_tokens_in)).toBe(Math.round((up - TOKEN_ESTIMATE.uploadOverheadPerConnection) / TOKEN_ESTIMATE.uploadBytesPerToken));
      expect(Number(row.est_tokens_out)).toBe(Math.round((down - TOKEN_ESTIMATE.downloadOverheadPerConnection) / TOKEN_ESTIMATE.downloadBytesPerToken));
      expect(Number(row.est_tokens_in)).toBeGreaterThan(0);
      expect(Number(row.est_tokens_out)).toBeGreaterThan(0);
      expect([row.tokens_in, row.tokens_out]).toEqual(['0', '0']);

      const dns = rows.filter((r) => source(r) === 'dns');
      expect(dns.length).toBeGreaterThanOrEqual(1);
      expect(dns[0]).toMatchObject({ tool: 'anthropic-api', server_name: 'api.anthropic.com', exe: realpathSync(process.execPath), user: me, bytes_up: '0', connections: '0' });
      expect(JSON.parse(dns[0]!.details)).toMatchObject({ transport: 'udp', dst_port: dnsPort });
      // Nothing that is not AI leaves the machine (loopback carries the collector's own traffic, too).
      expect(rows.every((r) => r.server_name === 'api.anthropic.com')).toBe(true);
      expect(network.cumulativeHealth().observations).toBeGreaterThanOrEqual(2);
    } finally {
      await daemon.stop(5_000);
      server.close();
      resolver.close();
      dir.cleanup();
    }
    expect(network.running).toBe(false);
  }, 60_000);

  it('restarts the capture on reload when its settings change, and stops it when the sensor is switched off', async () => {
    const dir = tempDir('aiscout-net-reload-');
    let env = agentEnv(dir.path, collector.url, ENROLL_SECRET, { AISCOUT_SENSORS_NETWORK: 'true', AISCOUT_NETWORK_INTERFACES: 'lo', AISCOUT_NETWORK_TLS_PORTS: '18443', AISCOUT_OTLP_ENABLED: 'false' });
    const lines: string[] = [];
    const network = new NetworkDaemonSensor();
    const { loadTestConfig } = await import('./helpers/agent.js');
    const daemon = new Daemon({
      config: await testConfig(env), configSource: 'env', log: new Logger('info', (l) => lines.push(l)), sensors: [network], homes: [],
      timing: { firstRunMs: 3_600_000, windowMs: 2_000, intervalsMs: { network: 1_000 }, heartbeatMs: 3_600_000, idlePollMs: 200 },
      loadConfig: () => loadTestConfig(env),
    });
    try {
      await daemon.start();
      expect(network.running).toBe(true);
      expect(await daemon.reload()).toBe(true);
      expect(lines.filter((l) => l.includes('"restarting sensor"'))).toHaveLength(0); // same settings: left alone
      env = { ...env, AISCOUT_NETWORK_TLS_PORTS: '18443,18444' };
      expect(await daemon.reload()).toBe(true);
      expect(lines.filter((l) => l.includes('"restarting sensor"') && l.includes('settings changed'))).toHaveLength(1);
      expect(network.running).toBe(true);
      env = { ...env, AISCOUT_SENSORS_NETWORK: 'false' };
      expect(await daemon.reload()).toBe(true);
      expect(network.running).toBe(false);
      expect(daemon.heartbeatEvent().sensors.find((s) => s.name === 'network')).toMatchObject({ enabled: false, disabled_reason: 'disabled by configuration' });
    } finally {
      await daemon.stop(3_000);
      dir.cleanup();
    }
  }, 30_000);
});

describe('network sensor disabled: the daemon as nobody', () => {
  it.skipIf(!isRoot)('reports network disabled with the reason in its heartbeat, and its other sensors keep delivering', async () => {
    const dir = tempDir('aiscout-net-nobody-');
    chownSync(dir.path, 65534, 65534);
    const script = path.join(dir.path, 'run.mts');
    const src = (p: string) => JSON.stringify(path.resolve(import.meta.dirname, p));
    writeFileSync(
      script,
      [
        `import { runDaemon } from ${src('../src/daemon/run.ts')};`,
        `import { Logger } from ${src('../src/daemon/log.ts')};`,
        `import { NetworkDaemonSensor } from ${src('../src/daemon/network-sensor-adapter.ts')};`,
        `import { floodSensor, loadTestConfig } from ${src('./helpers/agent.ts')};`,
        `const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AISCOUT_')));`,
        `process.exitCode = await runDaemon({ load: () => loadTestConfig(env), sensors: [new NetworkDaemonSensor(), floodSensor(3, undefined, 'nobody-flood')], homes: [],`,
        `  log: new Logger('info'), drainMs: 5000, timing: { firstRunMs: 100, windowMs: 3_600_000, heartbeatMs: 1_000, intervalsMs: { processes: 1_000 }, idlePollMs: 200 } });`,
      ].join('\n'),
    );
    const env = agentEnv(path.join(dir.path, 'state'), collector.url, ENROLL_SECRET, { AISCOUT_SENSORS_NETWORK: 'true', AISCOUT_NETWORK_INTERFACES: 'lo', AISCOUT_OTLP_ENABLED: 'false' });
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
      uid: 65534, gid: 65534, cwd: path.resolve(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, HOME: dir.path, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(async () => (await collector.count("SELECT 1 FROM events WHERE kind = 'process' AND user = 'nobody-flood'")) >= 3, 40_000, `flood delivered (log: ${log.slice(-500)})`);
      await until(async () => (await collector.count("SELECT 1 FROM events WHERE kind = 'agent' AND details LIKE '%no permission to capture%'")) >= 1, 20_000, 'heartbeat with the reason');
      const beats = await collector.query<{ details: string }>("SELECT details FROM events WHERE kind = 'agent' AND details LIKE '%no permission to capture%' LIMIT 1");
      const sensors = (JSON.parse(beats[0]!.details) as { sensors: { name: string; enabled: boolean; disabled_reason: string | null }[] }).sensors;
      expect(sensors.find((s) => s.name === 'network')).toMatchObject({ enabled: false, disabled_reason: expect.stringMatching(/^live capture unavailable: no permission to capture \(needs root or CAP_NET_RAW\)/) });
      expect(sensors.find((s) => s.name === 'flood')).toMatchObject({ enabled: true, disabled_reason: null });
      expect(log).toContain('"msg":"sensor disabled"');
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      dir.cleanup();
    }
  }, 60_000);
});
