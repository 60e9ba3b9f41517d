// Test helpers for the network sensor: read a committed capture, build frames and pcap files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureFromBytes } from '../src/network/capture-file.js';
import { NetworkDecoder } from '../src/network/decode.js';
import { PacketView, decodeInto, DECODE_OK } from '../src/network/ip.js';
import type { NetworkFinding, RawFrame } from '../src/network/packet.js';
import type { ReassemblyLimits } from '../src/network/tcp-reassembly.js';

export const CAPTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'captures');

export function captureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(CAPTURES, name)));
}

/** Every frame of a committed capture (data copied, so frames outlive the reader). */
export function readFrames(name: string): RawFrame[] {
  const reader = captureFromBytes(captureBytes(name));
  const out: RawFrame[] = [];
  for (let f = reader.next(); f !== null; f = reader.next()) out.push({ ...f, data: f.data.slice() });
  if (reader.error !== null) throw new Error(reader.error);
  return out;
}

export function findingsOf(frames: Iterable<RawFrame>, limits?: Partial<ReassemblyLimits>): { findings: NetworkFinding[]; decoder: NetworkDecoder } {
  const findings: NetworkFinding[] = [];
  const decoder = new NetworkDecoder({ onFinding: (f) => findings.push(f), limits });
  for (const f of frames) decoder.feed(f);
  return { findings, decoder };
}

/** Decodes one frame for a test (fresh view). */
export function view(frame: RawFrame): PacketView | null {
  const v = new PacketView();
  return decodeInto(v, frame.linkType, frame.data, frame.tsMicros) === DECODE_OK ? v : null;
}

/** An Ethernet/IPv4/TCP or UDP frame. */
export function ipv4Frame(o: { src?: number[]; dst?: number[]; proto: 'tcp' | 'udp'; sport: number; dport: number; seq?: number; flags?: number; payload: Uint8Array }): Uint8Array {
  const transport = o.proto === 'tcp' ? 20 : 8;
  const total = 20 + transport + o.payload.length;
  const b = new Uint8Array(14 + total);
  const d = new DataView(b.buffer);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  d.setUint16(12, 0x0800);
  const ip = 14;
  b[ip] = 0x45;
  d.setUint16(ip + 2, total);
  b[ip + 8] = 64;
  b[ip + 9] = o.proto === 'tcp' ? 6 : 17;
  b.set(o.src ?? [10, 0, 0, 1], ip + 12);
  b.set(o.dst ?? [10, 0, 0, 2], ip + 16);
  // No checksums: the sensor does not verify them (offload leaves them wrong in captures anyway).
  const t = ip + 20;
  d.setUint16(t, o.sport);
  d.setUint16(t + 2, o.dport);
  if (o.proto === 'tcp') {
    d.setUint32(t + 4, (o.seq ?? 1000) >>> 0);
    b[t + 12] = 5 << 4;
    b[t + 13] = o.flags ?? 0x18;
  } else {
    d.setUint16(t + 4, 8 + o.payload.length);
  }
  b.set(o.payload, t + transport);
  return b;
}

/** A little-endian microsecond pcap file of the given frames. */
export function pcapFile(frames: { data: Uint8Array; tsMicros?: number }[], linkType = 1): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const b = new Uint8Array(size);
  const d = new DataView(b.buffer);
  d.setUint32(0, 0xa1b2c3d4, true);
  d.setUint16(4, 2, true);
  d.setUint16(6, 4, true);
  d.setUint32(16, 262144, true);
  d.setUint32(20, linkType, true);
  let p = 24;
  for (const f of frames) {
    const ts = f.tsMicros ?? 1_700_000_000_000_000;
    d.setUint32(p, Math.floor(ts / 1e6), true);
    d.setUint32(p + 4, ts % 1e6, true);
    d.setUint32(p + 8, f.data.length, true);
    d.setUint32(p + 12, f.data.length, true);
    b.set(f.data, p + 16);
    p += 16 + f.data.length;
  }
  return b;
}

/** The TCP payloads a client sent to port 443, per source port, in capture order. */
export function clientPayloads(frames: RawFrame[]): Map<number, { index: number; seq: number; payload: Uint8Array }[]> {
  const out = new Map<number, { index: number; seq: number; payload: Uint8Array }[]>();
  frames.forEach((f, index) => {
    const v = view(f);
    if (v === null || v.transport !== 'tcp' || v.dport !== 443 || v.payloadLength === 0) return;
    const list = out.get(v.sport) ?? [];
    list.push({ index, seq: v.seq, payload: v.payload().slice() });
    out.set(v.sport, list);
  });
  return out;
}
