// Bounded fuzzing (a few seconds, seeded so a failure reproduces): real packets mutated (bit flips,
// truncations, length-field edits, spliced bytes) and pure random bytes through link/IP/TCP decode,
// reassembly, DNS and TLS; mutated capture files through the readers. No exception may escape and
// the decoder's state must stay within its caps.
import { describe, expect, it } from 'vitest';
import { captureFromBytes } from '../src/network/capture-file.js';
import { NetworkDecoder } from '../src/network/decode.js';
import { parseDns } from '../src/network/dns.js';
import type { RawFrame } from '../src/network/packet.js';
import { clientHelloFromStream } from '../src/network/tls.js';
import { captureBytes, readFrames, view } from './network-frames.js';
import { prng } from '../../testing/prng.js';

const SEED = Number(process.env.AISCOUT_FUZZ_SEED ?? 0x5eed);
const FILES = ['dns-udp-tcp.pcap', 'tls-clients.pcap', 'tls-chromium-pq.pcap', 'sll2-dns-tls.pcap', 'sll-dns-tls.pcap', 'dns-udp-tcp.null.pcap', 'tls-clients.raw-ip.pcap'];
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];
const LIMITS = { perFlowBytes: 4096, totalBytes: 64 * 1024, maxFlows: 64, idleMicros: 5_000_000 };


function mutate(rand: () => number, src: Uint8Array): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  let b = src.slice();
  const edits = 1 + int(4);
  for (let e = 0; e < edits && b.length > 0; e++) {
    switch (int(5)) {
      case 0: // bit flips
        for (let i = 0; i < 1 + int(8); i++) {
          const at = int(b.length);
          b[at] = b[at]! ^ (1 << int(8));
        }
        break;
      case 1: // truncation
        b = b.subarray(0, int(b.length + 1));
        break;
      case 2: {
        // a length field (any 16-bit position) set to an edge value
        const at = int(Math.max(1, b.length - 1));
        const v = [0, 1, 0xffff, 0x7fff, b.length, b.length + 1, int(65536)][int(7)]!;
        b[at] = v >> 8;
        if (at + 1 < b.length) b[at + 1] = v & 0xff;
        break;
      }
      case 3: {
        // splice random bytes in
        const at = int(b.length);
        const extra = new Uint8Array(int(64)).map(() => int(256));
        const out = new Uint8Array(b.length + extra.length);
        out.set(b.subarray(0, at));
        out.set(extra, at);
        out.set(b.subarray(at), at + extra.length);
        b = out;
        break;
      }
      default: // compression-pointer-like bytes
        b[int(b.length)] = 0xc0 | int(64);
    }
  }
  return b;
}

const corpus: RawFrame[] = FILES.flatMap((f) => readFrames(f));

function checkBounds(d: NetworkDecoder): void {
  expect(d.reassembly.size).toBeLessThanOrEqual(LIMITS.maxFlows);
  expect(d.reassembly.buffered).toBeLessThanOrEqual(LIMITS.totalBytes);
  expect(d.reassembly.buffered).toBeGreaterThanOrEqual(0);
}

describe(`fuzz (seed ${SEED})`, () => {
  it('mutated real frames and random bytes never throw out of the decoder, and state stays capped', () => {
    const rand = prng(SEED);
    let findings = 0;
    const d = new NetworkDecoder({ onFinding: () => findings++, limits: LIMITS });
    let ts = 1_700_000_000_000_000;
    for (let i = 0; i < 150_000; i++) {
      ts += Math.floor(rand() * 20_000);
      const base = corpus[Math.floor(rand() * corpus.length)]!;
      const r = rand();
      const data = r < 0.1 ? new Uint8Array(Math.floor(rand() * 1600)).map(() => Math.floor(rand() * 256)) : r < 0.3 ? base.data : mutate(rand, base.data);
      const linkType = rand() < 0.05 ? LINK_TYPES[Math.floor(rand() * LINK_TYPES.length)]! : base.linkType;
      d.feed({ tsMicros: ts, linkType, data });
      if (i % 5000 === 0) checkBounds(d);
    }
    checkBounds(d);
    expect(d.stats.frames).toBe(150_000);
    expect(findings).toBeGreaterThan(0); // the unmutated share still finds names
  });

  it('the DNS and TLS parsers answer null or a status for every mutation of real payloads', () => {
    const rand = prng(SEED + 1);
    const dns: Uint8Array[] = [];
    const tls: Uint8Array[] = [];
    for (const f of corpus) {
      const v = view(f);
      if (v === null || v.payloadLength === 0) continue;
      if (v.transport === 'udp') dns.push(v.payload().slice());
      else if (v.payload()[0] === 22) tls.push(v.payload().slice());
    }
    expect(dns.length).toBeGreaterThan(10);
    expect(tls.length).toBeGreaterThan(10);
    for (let i = 0; i < 40_000; i++) {
      const m = mutate(rand, dns[Math.floor(rand() * dns.length)]!);
      const parsed = parseDns(m, 0, m.length);
      if (parsed !== null) for (const q of parsed.questions) expect(q.name.length).toBeLessThanOrEqual(255 * 4);
      const t = mutate(rand, tls[Math.floor(rand() * tls.length)]!);
      const r = clientHelloFromStream(t, t.length, 4096);
      expect(typeof r === 'number' || typeof r === 'object').toBe(true);
    }
  });

  it('mutated capture files read to an end or a reported error, never a throw other than a bad header', () => {
    const rand = prng(SEED + 2);
    const files = ['dns-udp-tcp.pcap', 'tls-clients.big-endian.pcap', 'mixed-two-interfaces.pcapng', 'tls-chromium-pq.pcapng', 'dns-udp-tcp.nanosecond.pcap'].map(captureBytes);
    for (let i = 0; i < 4000; i++) {
      const src = files[Math.floor(rand() * files.length)]!;
      // Mutations concentrated on the headers: the first 64 bytes, or a random spot.
      const b = src.slice(0, Math.min(src.length, 4096));
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) {
        const at = rand() < 0.6 ? Math.floor(rand() * Math.min(64, b.length)) : Math.floor(rand() * b.length);
        b[at] = Math.floor(rand() * 256);
      }
      const bytes = rand() < 0.3 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
      let reader;
      try {
        reader = captureFromBytes(bytes);
      } catch (err) {
        expect((err as Error).name).toBe('CaptureFormatError');
        continue;
      }
      const d = new NetworkDecoder({ onFinding: () => {}, limits: LIMITS });
      let n = 0;
      for (let f = reader.next(); f !== null && n < 10_000; f = reader.next(), n++) d.feed(f);
      expect(n).toBeLessThan(10_000);
      checkBounds(d);
    }
  });
});
