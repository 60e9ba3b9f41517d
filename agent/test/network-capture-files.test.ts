// Capture-file readers: pcap in both byte orders and both timestamp precisions, pcapng with several
// interfaces and link types, every link type, damaged and foreign files, chunked file reading.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError, captureFromBytes, openCapture } from '../src/network/capture-file.js';
import { PcapngReader } from '../src/network/pcapng-file.js';
import type { RawFrame } from '../src/network/packet.js';
import { CAPTURES, captureBytes, findingsOf, pcapFile, readFrames } from './network-frames.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aiscout-pcap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const summary = (frames: RawFrame[]) => findingsOf(frames).findings.map((f) => JSON.stringify(f));

describe('pcap', () => {
  const base = readFrames('tls-clients.pcap');

  it('reads the big-endian copy (byte-swapped by the record script) exactly like the original', () => {
    expect(readFrames('tls-clients.big-endian.pcap')).toEqual(base);
  });

  it('reads nanosecond timestamps (editcap -F nsecpcap) to the same microseconds', () => {
    const micro = readFrames('dns-udp-tcp.pcap');
    const nano = readFrames('dns-udp-tcp.nanosecond.pcap');
    expect(nano.map((f) => f.tsMicros)).toEqual(micro.map((f) => f.tsMicros));
    expect(summary(nano)).toEqual(summary(micro));
    expect(micro[0]!.tsMicros % 1000).not.toBe(0); // real microseconds, not a rounded clock
  });

  it('decodes raw IP, BSD null, Linux SLL and SLL2 link types to the same findings as Ethernet', () => {
    expect(summary(readFrames('tls-clients.raw-ip.pcap'))).toEqual(summary(base));
    expect(summary(readFrames('dns-udp-tcp.null.pcap'))).toEqual(summary(readFrames('dns-udp-tcp.pcap')));
    expect(readFrames('dns-udp-tcp.null.pcap')[0]!.linkType).toBe(0);
    expect(readFrames('sll-dns-tls.pcap')[0]!.linkType).toBe(113);
    expect(readFrames('sll2-dns-tls.pcap')[0]!.linkType).toBe(276);
    expect(summary(readFrames('sll2-dns-tls.pcap')).length).toBe(3);
  });

  it('decodes VLAN-tagged Ethernet (802.1Q and QinQ tags inserted in real frames)', () => {
    const tagged = base.map((f) => {
      const d = new Uint8Array(f.data.length + 8);
      d.set(f.data.subarray(0, 12));
      d.set([0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 7], 12);
      d.set(f.data.subarray(12), 20);
      return { ...f, data: d };
    });
    expect(summary(tagged)).toEqual(summary(base));
  });

  it('reports a truncated file after the frames before the damage', () => {
    const bytes = captureBytes('tls-clients.pcap');
    const reader = captureFromBytes(bytes.subarray(0, bytes.length - 10));
    let n = 0;
    while (reader.next() !== null) n++;
    expect(n).toBe(base.length - 1);
    expect(reader.error).toMatch(/record at byte \d+ is truncated/);
    const bad = new Uint8Array(bytes.subarray(0, 24 + 16));
    new DataView(bad.buffer).setUint32(24 + 8, 0x7fffffff, true);
    const r2 = captureFromBytes(bad);
    expect(r2.next()).toBeNull();
    expect(r2.error).toMatch(/claims 2147483647 captured bytes/);
  });

  it('refuses files that are not captures with a clear error', () => {
    expect(() => captureFromBytes(new TextEncoder().encode('GET / HTTP/1.1\r\n'))).toThrow(CaptureFormatError);
    expect(() => captureFromBytes(new Uint8Array(2))).toThrow(/shorter than a file header/);
    expect(() => captureFromBytes(captureBytes('tls-clients.pcap').subarray(0, 20))).toThrow(/file header is truncated/);
  });

  it('reads a file larger than its 1 MiB chunk in pieces, frames intact', () => {
    const frames = Array.from({ length: 60 }, () => base).flat();
    const file = path.join(tmp, 'big.pcap');
    writeFileSync(file, pcapFile(frames));
    const reader = openCapture(file);
    const read: RawFrame[] = [];
    for (let f = reader.next(); f !== null; f = reader.next()) read.push(f);
    reader.close();
    expect(reader.error).toBeNull();
    expect(read.length).toBe(frames.length);
    expect(read.map((f) => f.data)).toEqual(frames.map((f) => f.data));
  });
});

/** A pcapng section: SHB, IDBs (link type, tsresol), EPBs; either byte order. */
function pcapng(littleEndian: boolean, ifaces: { linkType: number; tsresol?: number }[], packets: { iface: number; ts: bigint; data: Uint8Array }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const len = 12 + ((body.length + 3) & ~3);
    const b = new Uint8Array(len);
    const d = new DataView(b.buffer);
    d.setUint32(0, type, littleEndian);
    d.setUint32(4, len, littleEndian);
    b.set(body, 8);
    d.setUint32(len - 4, len, littleEndian);
    blocks.push(b);
  };
  const shb = new Uint8Array(16);
  const sd = new DataView(shb.buffer);
  sd.setUint32(0, 0x1a2b3c4d, littleEndian);
  sd.setUint16(4, 1, littleEndian);
  sd.setBigInt64(8, -1n, littleEndian);
  block(0x0a0d0d0a, shb);
  for (const i of ifaces) {
    const body = new Uint8Array(i.tsresol === undefined ? 8 : 8 + 8 + 4);
    const d = new DataView(body.buffer);
    d.setUint16(0, i.linkType, littleEndian);
    d.setUint32(4, 0, littleEndian);
    if (i.tsresol !== undefined) {
      d.setUint16(8, 9, littleEndian);
      d.setUint16(10, 1, littleEndian);
      body[12] = i.tsresol;
    }
    block(1, body);
  }
  for (const p of packets) {
    const body = new Uint8Array(20 + p.data.length);
    const d = new DataView(body.buffer);
    d.setUint32(0, p.iface, littleEndian);
    d.setUint32(4, Number(p.ts >> 32n), littleEndian);
    d.setUint32(8, Number(p.ts & 0xffffffffn), littleEndian);
    d.setUint32(12, p.data.length, littleEndian);
    d.setUint32(16, p.data.length, littleEndian);
    body.set(p.data, 20);
    block(6, body);
  }
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

describe('pcapng', () => {
  it('reads two interfaces with different link types in one file (mergecap of Ethernet and SLL2 captures)', () => {
    const reader = captureFromBytes(captureBytes('mixed-two-interfaces.pcapng')) as PcapngReader;
    const seen = new Set<string>();
    for (let f = reader.next(); f !== null; f = reader.next()) seen.add(`${f.iface} ${f.linkType}`);
    expect(reader.linkTypes).toEqual([1, 276]);
    expect([...seen].sort()).toEqual(['0 1', '1 276']);
    const names = summary(readFrames('mixed-two-interfaces.pcapng'));
    expect(names).toEqual(expect.arrayContaining([...summary(readFrames('dns-udp-tcp.pcap')), ...summary(readFrames('sll2-dns-tls.pcap'))]));
  });

  it('reads the pcapng copy of a pcap to the same frames', () => {
    expect(readFrames('tls-chromium-pq.pcapng').map(({ data, tsMicros, linkType }) => ({ data, tsMicros, linkType }))).toEqual(readFrames('tls-chromium-pq.pcap'));
  });

  it('honours if_tsresol (nanoseconds, powers of two) and big-endian sections, several sections in a file', () => {
    const frame = readFrames('tls-clients.pcap')[0]!;
    const ns = 1_763_771_585_123_456_789n;
    const a = pcapng(false, [{ linkType: 1, tsresol: 9 }], [{ iface: 0, ts: ns, data: frame.data }]);
    const b = pcapng(true, [{ linkType: 101 }, { linkType: 1, tsresol: 0x80 | 20 }], [{ iface: 1, ts: 3n << 20n, data: frame.data }]);
    const both = new Uint8Array([...a, ...b]);
    const reader = captureFromBytes(both);
    const first = reader.next()!;
    const second = reader.next()!;
    expect(reader.next()).toBeNull();
    expect(reader.error).toBeNull();
    expect(first.tsMicros).toBe(1_763_771_585_123_456);
    expect(second.tsMicros).toBe(3_000_000);
    expect(second.linkType).toBe(1);
    expect(second.iface).toBe(1);
  });

  it('skips packets of undeclared interfaces and stops at a block with a bad length', () => {
    const frame = readFrames('tls-clients.pcap')[0]!;
    const file = pcapng(true, [{ linkType: 1 }], [{ iface: 3, ts: 0n, data: frame.data }, { iface: 0, ts: 0n, data: frame.data }]);
    const reader = captureFromBytes(file);
    expect(reader.next()?.iface).toBe(0);
    expect(reader.skipped).toBe(1);
    const broken = file.slice();
    new DataView(broken.buffer).setUint32(28 + 4, 13, true); // IDB length not a multiple of 4
    const r2 = captureFromBytes(broken);
    expect(r2.next()).toBeNull();
    expect(r2.error).toMatch(/invalid length 13/);
  });
});

it('every committed capture is read to its end', () => {
  for (const name of ['dns-udp-tcp.pcap', 'tls-chromium-pq.pcapng', 'mixed-two-interfaces.pcapng']) {
    const reader = openCapture(path.join(CAPTURES, name));
    while (reader.next() !== null);
    reader.close();
    expect(reader.error, name).toBeNull();
    expect(reader.frames).toBeGreaterThan(0);
  }
});
