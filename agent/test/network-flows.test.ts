import { realpathSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { validator, NetworkEvent } from '@aiscout/protocol';
import { randomUUID } from 'node:crypto';
import { buildCaptureFilter } from '../src/network/bpf.js';
import { scanLinux } from '../src/network/conntable-linux.js';
import { estimateTokens, FlowWindow, TcpFlowTracker, TOKEN_ESTIMATE, type ClosedFlow } from '../src/network/flows.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../src/network/ip.js';
import { loadCap, openLiveCapture } from '../src/network/live-capture.js';
import { networkObservations, NetworkPipeline } from '../src/network/network-sensor.js';
import { SensorHealthCounter } from '../src/sensors/health.js';
import { clientHello } from './helpers/quic-initial.js';
import { collect, expectSensorHealth } from './helpers/sensor-health.js';

const live = loadCap().ok && process.getuid?.() === 0 && process.platform === 'linux';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const edge = (o: Partial<Parameters<TcpFlowTracker['edge']>[0]>) => ({ tsMicros: 1, src: '10.0.0.1', dst: '10.0.0.2', sport: 50000, dport: 443, seq: 0, flags: 0, payloadLength: 0, ...o });

describe('TCP flow bytes from sequence numbers', () => {
  it('computes both directions from SYN, SYN-ACK and the FINs, across the 2^32 wrap', () => {
    const closed: ClosedFlow[] = [];
    const t = new TcpFlowTracker((f) => closed.push(f));
    const cIsn = 2 ** 32 - 10;
    t.edge(edge({ seq: cIsn, flags: TCP_SYN }));
    t.edge(edge({ src: '10.0.0.2', dst: '10.0.0.1', sport: 443, dport: 50000, seq: 1000, flags: TCP_SYN | TCP_ACK }));
    expect(t.name('10.0.0.1', 50000, '10.0.0.2', 443, 'api.anthropic.com')).toBe(true);
    // Client sent 5000 bytes: its FIN carries the last 100 of them.
    t.edge(edge({ seq: (cIsn + 1 + 4900) % 2 ** 32, flags: TCP_FIN | TCP_ACK, payloadLength: 100 }));
    expect(closed).toHaveLength(0);
    t.edge(edge({ src: '10.0.0.2', dst: '10.0.0.1', sport: 443, dport: 50000, seq: 1000 + 1 + 123456, flags: TCP_FIN | TCP_ACK }));
    expect(closed).toEqual([expect.objectContaining({ bytesUp: 5000, bytesDown: 123456, serverName: 'api.anthropic.com', complete: true })]);
    expect(t.size).toBe(0);
  });

  it('closes on RST with the side that was not seen as incomplete', () => {
    const closed: ClosedFlow[] = [];
    const t = new TcpFlowTracker((f) => closed.push(f));
    t.edge(edge({ seq: 100, flags: TCP_SYN }));
    t.edge(edge({ seq: 100 + 1 + 77, flags: TCP_RST }));
    expect(closed).toEqual([expect.objectContaining({ bytesUp: 77, bytesDown: 0, complete: false })]);
  });

  it('is bounded: open flows capped, idle ones expire, edges without a SYN are counted', () => {
    const t = new TcpFlowTracker(() => {}, { openFlows: 10, idleMs: 1000, windowRows: 10 });
    for (let i = 0; i < 50; i++) t.edge(edge({ sport: 1000 + i, flags: TCP_SYN }));
    expect(t.size).toBe(10);
    expect(t.stats.dropped).toBe(40);
    t.edge(edge({ sport: 9, flags: TCP_FIN }));
    expect(t.stats.untracked).toBe(1);
    t.expire(10_000_000);
    expect(t.size).toBe(0);
    expect(t.stats.expired).toBe(10);
  });
});

describe('token estimates', () => {
  it('subtracts per-connection overhead and divides by the documented ratios', () => {
    expect(estimateTokens(0, 0, 1)).toEqual({ in: 0, out: 0 });
    const up = TOKEN_ESTIMATE.uploadOverheadPerConnection + 4000;
    const down = TOKEN_ESTIMATE.downloadOverheadPerConnection + 15000;
    expect(estimateTokens(up, down, 1)).toEqual({ in: 1000, out: 100 });
  });

  it('sums a window per (process, name, port) into rows that fit the NetworkEvent wire schema', () => {
    const w = new FlowWindow(Date.parse('2026-01-01T00:00:00Z'));
    const base = { server_name: 'api.openai.com', name_source: 'dns' as const, transport: 'tcp' as const, dst_port: 443, process_exe: '/usr/bin/node', user: 'ana', bytes_up: 10_000, bytes_down: 50_000, connections: 1, ech: false };
    w.add(base);
    w.add({ ...base, name_source: 'tls-sni', bytes_up: 20_000 });
    w.add({ ...base, process_exe: '/usr/bin/curl' });
    const rows = w.flush(Date.parse('2026-01-01T00:01:00Z'));
    expect(rows).toHaveLength(2);
    const node = rows.find((r) => r.process_exe === '/usr/bin/node')!;
    expect(node).toMatchObject({ bytes_up: 30_000, bytes_down: 100_000, connections: 2, name_source: 'tls-sni', est_tokens_in: estimateTokens(30_000, 100_000, 2).in });
    expect(w.flush(Date.now())).toEqual([]);
    // The row carries every NetworkEvent field the sensor owns; the classifier adds the rest.
    const { type: _type, user, ...fields } = node;
    const event = {
      kind: 'network',
      tool: 'openai-api',
      id: randomUUID(),
      user: user!,
      evidence: { matcher: 'host', value: node.server_name },
      count: node.connections,
      confidence: 0.9,
      candidates: ['openai-api'],
      ...fields,
    };
    const check = validator(NetworkEvent)(event);
    expect(check.ok ? [] : check.issues).toEqual([]);
  });
});

describe.skipIf(!live)('flows on a real loopback transfer (root, libpcap)', () => {
  it('measures the exact bytes of a known transfer, names it by SNI and attributes it to this process', async () => {
    const UP_EXTRA = 150_000;
    const DOWN = 1_234_567;
    const health = new SensorHealthCounter('network');
    const pipeline = new NetworkPipeline(health);
    const hello = clientHello('api.anthropic.com');
    const record = Buffer.concat([Buffer.of(0x16, 3, 1, hello.length >> 8, hello.length & 0xff), hello]);
    const server = net.createServer((s) => {
      s.on('data', () => {});
      s.on('end', () => s.end(Buffer.alloc(DOWN, 0x61)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const open = openLiveCapture({ filter: buildCaptureFilter({ dns: [], tls: [port], quic: [] }), interfaces: ['lo'] }, (f) => pipeline.feed(f));
    if (!open.ok) throw new Error(open.reason);
    try {
      const client = net.connect(port, '127.0.0.1');
      await new Promise<void>((r) => client.on('connect', r));
      client.write(record);
      await sleep(200);
      // The sensor reads the connection table while connections are open.
      const { table } = await scanLinux();
      pipeline.flows.attribute((p) => table.ownerOf(p));
      client.end(Buffer.alloc(UP_EXTRA, 0x62));
      let received = 0;
      client.on('data', (d: Buffer) => (received += d.length));
      await new Promise<void>((r) => client.on('close', r));
      expect(received).toBe(DOWN);
      await sleep(300);
      const window = new FlowWindow(Date.now());
      pipeline.drain(window, () => null);
      const rows = window.flush(Date.now());
      expect(rows).toEqual([
        expect.objectContaining({
          server_name: 'api.anthropic.com',
          name_source: 'tls-sni',
          transport: 'tcp',
          dst_port: port,
          process_exe: realpathSync(process.execPath),
          user: os.userInfo().username,
          bytes_up: record.length + UP_EXTRA,
          bytes_down: DOWN,
          connections: 1,
        }),
      ]);
      expect(rows[0]!.est_tokens_out).toBe(estimateTokens(record.length + UP_EXTRA, DOWN, 1).out);
      // Only edges and the handshake crossed the filter, not the 1.4 MB of data.
      expect(open.capture.stats.frames).toBeLessThan(12);
    } finally {
      open.capture.close();
      server.close();
    }
  });

  it('the sensor generator yields the window and stops on abort', async () => {
    const controller = new AbortController();
    const health = new SensorHealthCounter('network');
    const server = net.createServer((s) => s.on('data', () => {}).on('end', () => s.end('ok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const gen = networkObservations({ interfaces: ['lo'], ports: { dns: [], tls: [port], quic: [] }, windowMs: 400, connTableMs: 100, signal: controller.signal, health });
    const result = collect(gen);
    const stop = setTimeout(() => controller.abort(), 4_000); // whatever happens below, the sensor stops
    await sleep(300); // capture is open
    const hello = clientHello('chatgpt.com');
    const c = net.connect(port, '127.0.0.1', () => {
      c.write(Buffer.concat([Buffer.of(0x16, 3, 1, hello.length >> 8, hello.length & 0xff), hello]));
      c.resume();
      setTimeout(() => c.end(), 1_500); // open long enough for a connection-table read
    });
    c.on('error', () => {});
    await new Promise<void>((r) => c.on('close', r));
    await sleep(900);
    controller.abort();
    clearTimeout(stop);
    const rows = await result;
    server.close();
    expect(rows.filter((r) => r.server_name === 'chatgpt.com')).toEqual([
      expect.objectContaining({ name_source: 'tls-sni', process_exe: realpathSync(process.execPath), connections: 1, bytes_down: 2 }),
    ]);
    expectSensorHealth(health, { name: 'network', minObservations: 1, errors: {} });
  });
});

describe('network sensor without capture', () => {
  it('is disabled with the reason and yields nothing (Linux)', async () => {
    const health = new SensorHealthCounter('network');
    const rows = await collect(networkObservations({ platform: 'linux', cap: { ok: false, reason: 'live capture unavailable: the optional "cap" package is not installed' }, health }));
    expect(rows).toEqual([]);
    expectSensorHealth(health, { name: 'network', observations: 0, disabled: /cap" package is not installed/ });
  });

  it('falls back to the DNS client cache on Windows', async () => {
    const controller = new AbortController();
    const health = new SensorHealthCounter('network');
    let polls = 0;
    const gen = networkObservations({
      platform: 'win32',
      cap: { ok: false, reason: 'live capture unavailable: no Npcap' },
      health,
      signal: controller.signal,
      dnsCachePollMs: 10,
      dnsCacheReader: () => {
        polls += 1;
        if (polls >= 3) controller.abort();
        if (polls === 2) throw Object.assign(new Error('powershell gone'), { code: 'ENOENT' });
        return Promise.resolve({ records: [{ entry: 'claude.ai', name: 'claude.ai', type: 'A', data: '160.79.104.10', ttl: 30 }], malformed: 0, source: 'test' });
      },
    });
    const rows = await collect(gen);
    expect(rows).toEqual([expect.objectContaining({ server_name: 'claude.ai', name_source: 'dns-cache' })]);
    expectSensorHealth(health, { name: 'network', observations: 1, errors: { vanished: 1 }, disabled: /DNS client cache/ });
  });
});
