import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCaptureFilter, DEFAULT_PORTS, FilterConfigError } from '../src/network/bpf.js';
import { decodeFrame } from '../src/network/ip.js';
import { chooseInterfaces, linkTypeNumber, linuxMayCapture, loadCap, openLiveCapture, type LiveCapture } from '../src/network/live-capture.js';
import type { TransportPacket } from '../src/network/packet.js';

const execFileP = promisify(execFile);
const cap = loadCap();
const isRoot = process.getuid?.() === 0;
const live = cap.ok && isRoot && process.platform === 'linux';

const PORTS = { dns: [15353], tls: [0], quic: [18444] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('capture filter (bpf.ts)', () => {
  it('covers DNS, TLS edges and handshakes, and QUIC long headers for IPv4 and IPv6', () => {
    const f = buildCaptureFilter({ ...DEFAULT_PORTS, clientData: 'handshake-start' });
    expect(f).toContain('(port 53 and (udp or tcp))');
    expect(f).toContain('tcp[((tcp[12] & 0xf0) >> 2)] = 0x16');
    expect(f).toContain('ip6[40 + ((ip6[52] & 0xf0) >> 2)] = 0x16');
    expect(f).toContain('udp[8] & 0x80 != 0');
    expect(f).toContain('ip6[48] & 0x80 != 0');
  });

  it('by default lets every client data segment on TLS ports through (split ClientHellos), never server data', () => {
    const f = buildCaptureFilter();
    expect(f).toContain('ip[2:2] - ((ip[0] & 0x0f) << 2) - ((tcp[12] & 0xf0) >> 2) > 0');
    expect(f).toContain('ip6[4:2] - ((ip6[52] & 0xf0) >> 2) > 0');
    expect(f).not.toContain('= 0x16');
  });

  it('rejects bad port configuration with a clear error', () => {
    expect(() => buildCaptureFilter({ dns: [0], tls: [443], quic: [] })).toThrow(FilterConfigError);
    expect(() => buildCaptureFilter({ dns: [], tls: [70000], quic: [] })).toThrow(/tls port 70000/);
    expect(() => buildCaptureFilter({ dns: [], tls: [], quic: [] })).toThrow(/capture nothing/);
  });

  it('reads CAP_NET_RAW from /proc/self/status', () => {
    expect(linuxMayCapture('Name:\tnode\nCapEff:\t000001ffffffffff\n')).toBe(true);
    expect(linuxMayCapture('Name:\tnode\nCapEff:\t0000000000000000\n')).toBe(false);
    expect(linuxMayCapture('CapEff:\t0000000000002000\n')).toBe(true);
  });

  it('maps cap link-type names to LINKTYPE numbers', () => {
    expect(linkTypeNumber('ETHERNET')).toBe(1);
    expect(linkTypeNumber('LINKTYPE_LINUX_SLL')).toBe(113);
    expect(linkTypeNumber('Unknown linktype 276')).toBe(276);
    expect(linkTypeNumber('bogus')).toBeNull();
  });

  it('chooses up, non-loopback interfaces by default and the configured list when given', () => {
    const devices = [
      { name: 'lo', addresses: [{ addr: '127.0.0.1' }], flags: 'PCAP_IF_LOOPBACK' },
      { name: 'any', addresses: [] },
      ...Object.keys(os.networkInterfaces()).map((name) => ({ name, addresses: [] })),
      { name: 'definitely-not-an-interface0', addresses: [] },
    ];
    const chosen = chooseInterfaces(devices);
    expect(chosen).not.toContain('lo');
    expect(chosen).not.toContain('any');
    expect(chosen).not.toContain('definitely-not-an-interface0');
    expect(chooseInterfaces(devices, ['lo'])).toEqual(['lo']);
  });
});

describe('live capture without cap', () => {
  it('reports the package as missing instead of throwing', () => {
    const r = loadCap('cap-package-that-is-not-installed');
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/not installed/) });
    const open = openLiveCapture({ filter: 'udp', cap: r }, () => {});
    expect(open).toEqual({ ok: false, reason: expect.stringMatching(/not installed/) });
  });
});

describe.skipIf(!live)('live capture on loopback (root, libpcap)', () => {
  let capture: LiveCapture;
  const seen: TransportPacket[] = [];

  let tlsServer: net.Server;
  beforeAll(async () => {
    // The TLS port is whatever the OS gives the server: fixed TCP ports collide with parallel tests.
    tlsServer = net.createServer((s) => s.on('data', () => {}).on('end', () => s.end()));
    await new Promise<void>((r) => tlsServer.listen(0, '::', r));
    PORTS.tls = [(tlsServer.address() as net.AddressInfo).port];
    const r = openLiveCapture({ filter: buildCaptureFilter({ ...PORTS, clientData: 'handshake-start' }), interfaces: ['lo'] }, (frame) => {
      const p = decodeFrame(frame);
      if (p) seen.push(p);
    });
    if (!r.ok) throw new Error(r.reason);
    capture = r.capture;
  });
  afterAll(() => {
    capture?.close();
    tlsServer?.close();
  });

  it('lets through exactly the DNS, TLS-edge, ClientHello and QUIC long-header packets', async () => {
    const udpSink4 = dgram.createSocket('udp4');
    const udpSink6 = dgram.createSocket('udp6');
    await new Promise<void>((r) => udpSink4.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => udpSink6.bind(0, '::1', r));
    const send = (sock: dgram.Socket, host: string, port: number, first: number) =>
      new Promise<void>((r) => sock.send(Buffer.concat([Buffer.of(first), Buffer.alloc(40, 0x41)]), port, host, () => r()));
    // QUIC: long header (0xc3) passes, short header (0x43) is filtered out.
    await send(udpSink4, '127.0.0.1', 18444, 0xc3);
    await send(udpSink4, '127.0.0.1', 18444, 0x43);
    await send(udpSink6, '::1', 18444, 0xc3);
    await send(udpSink6, '::1', 18444, 0x43);
    // DNS port: everything passes.
    await send(udpSink4, '127.0.0.1', 15353, 0x00);

    // TLS port: the server listens on v4 and v6; the client sends a "handshake" record then "application data".
    for (const host of ['127.0.0.1', '::1']) {
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(PORTS.tls[0]!, host, async () => {
          c.write(Buffer.concat([Buffer.of(0x16, 3, 1), Buffer.alloc(60, 1)]));
          await sleep(30);
          c.write(Buffer.concat([Buffer.of(0x17, 3, 3), Buffer.alloc(60, 2)]));
          await sleep(30);
          c.end();
        });
        c.on('close', () => resolve()).on('error', reject);
      });
    }
    await sleep(300);
    udpSink4.close();
    udpSink6.close();

    const quic = seen.filter((p) => p.transport === 'udp' && p.dport === 18444);
    expect(quic.map((p) => [p.ip, p.payload[0]])).toEqual([
      [4, 0xc3],
      [6, 0xc3],
    ]);
    expect(seen.filter((p) => p.dport === 15353)).toHaveLength(1);
    for (const ip of [4, 6] as const) {
      const tcp = seen.filter((p) => p.transport === 'tcp' && p.ip === ip);
      const data = tcp.filter((p) => p.payload.length > 0);
      // Only the handshake record carries data through the filter; 0x17 application data stays out.
      expect(new Set(data.map((p) => p.payload[0]))).toEqual(new Set([0x16]));
      const flags = tcp.filter((p) => p.payload.length === 0).map((p) => p.flags! & 0x07);
      expect(flags.filter((f) => f & 0x02).length).toBeGreaterThanOrEqual(2); // SYN, SYN-ACK (retransmissions under load)
      expect(flags.filter((f) => f & 0x01).length).toBeGreaterThanOrEqual(2); // FIN each way
      // No pure ACKs get through.
      expect(flags.every((f) => f !== 0)).toBe(true);
    }
    expect(capture.stats.frames).toBe(seen.length);
  });

  it('with the default filter, passes a ClientHello continuation segment (client data not starting with 0x16) but no server data', async () => {
    const server = net.createServer((s) => {
      s.on('data', () => {});
      s.write(Buffer.concat([Buffer.of(0x17, 3, 3), Buffer.alloc(200, 3)]));
      s.on('end', () => s.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const got: TransportPacket[] = [];
    const r = openLiveCapture({ filter: buildCaptureFilter({ dns: [], tls: [port], quic: [] }), interfaces: ['lo'] }, (frame) => {
      const p = decodeFrame(frame);
      if (p) got.push(p);
    });
    if (!r.ok) throw new Error(r.reason);
    try {
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', async () => {
          c.write(Buffer.concat([Buffer.of(0x16, 3, 1), Buffer.alloc(60, 1)]));
          await sleep(30);
          c.write(Buffer.alloc(80, 0x42)); // the rest of a split ClientHello starts mid-message
          await sleep(60);
          c.end();
        });
        c.on('data', () => {}).on('close', () => resolve()).on('error', reject);
      });
      await sleep(300);
    } finally {
      r.capture.close();
      server.close();
    }
    const clientData = got.filter((p) => p.dport === port && p.payload.length > 0).map((p) => p.payload[0]);
    expect(clientData).toEqual([0x16, 0x42]);
    expect(got.filter((p) => p.sport === port && p.payload.length > 0)).toEqual([]);
  });

  it('reports a filter libpcap cannot compile as a clear error', () => {
    const r = openLiveCapture({ filter: 'tcp[[ nonsense', interfaces: ['lo'] }, () => {});
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^capture filter rejected by libpcap: .*syntax error/) });
  });

  it('is disabled with the reason when the user may not capture (run as nobody)', async () => {
    const script = path.join(os.tmpdir(), `aiscout-live-perm-${process.pid}.mjs`);
    const modulePath = path.resolve(import.meta.dirname, '../src/network/live-capture.ts');
    writeFileSync(
      script,
      `import { openLiveCapture } from ${JSON.stringify(modulePath)};\n` +
        `const r = openLiveCapture({ filter: 'udp port 53', interfaces: ['lo'] }, () => {});\n` +
        `if (r.ok) r.capture.close();\nconsole.log(JSON.stringify(r.ok ? { ok: true } : r));\n`,
    );
    const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', script], {
      uid: 65534,
      gid: 65534,
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, HOME: os.tmpdir() },
    }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`child failed: ${err.message} ${err.stderr ?? ''}`);
    });
    expect(JSON.parse(stdout.trim())).toEqual({ ok: false, reason: expect.stringMatching(/no permission to capture \(needs root or CAP_NET_RAW\)/) });
  });
});
