import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { frames, openCapture } from '../src/network/capture-file.js';
import { NetworkDecoder } from '../src/network/decode.js';
import { decodeFrame } from '../src/network/ip.js';
import type { NetworkFinding } from '../src/network/packet.js';
import { deriveClientInitialKeys, extractQuicSni, QUIC_LIMITS, QUIC_V1, QUIC_V2, QuicReassembly } from '../src/network/quic.js';
import { clientHello, cryptoFrame, protectInitial } from './helpers/quic-initial.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'network');
const RFC_DCID = Buffer.from('8394c8f03e515708', 'hex');

function hexFixture(name: string): Buffer {
  const text = readFileSync(path.join(FIX, name), 'utf8');
  return Buffer.from(
    text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('')
      .trim(),
    'hex',
  );
}

/** UDP payloads of a capture, in order, with their frame numbers (1-based, as tshark counts). */
function udpPayloads(file: string): { frame: number; payload: Uint8Array; flowKey: string; tsMs: number }[] {
  const out: { frame: number; payload: Uint8Array; flowKey: string; tsMs: number }[] = [];
  let n = 0;
  for (const f of frames(openCapture(path.join(FIX, file)))) {
    n += 1;
    const p = decodeFrame(f);
    if (p?.transport === 'udp') out.push({ frame: n, payload: p.payload, flowKey: `${p.src}|${p.sport}`, tsMs: p.tsMicros / 1000 });
  }
  return out;
}

describe('QUIC Initial keys (RFC 9001 A.1, RFC 9369 A.1)', () => {
  it('derives the client keys of version 1', () => {
    const k = deriveClientInitialKeys(RFC_DCID, QUIC_V1)!;
    expect(k.key.toString('hex')).toBe('1f369613dd76d5467730efcbe3b1a22d');
    expect(k.iv.toString('hex')).toBe('fa044b2f42a3fd3b46fb255c');
    expect(k.hp.toString('hex')).toBe('9f50449e04a0e810283a1e9933adedd2');
  });

  it('derives the client keys of version 2', () => {
    const k = deriveClientInitialKeys(RFC_DCID, QUIC_V2)!;
    expect(k.key.toString('hex')).toBe('8b1a0bc121284290a29e0971b5cd045d');
    expect(k.iv.toString('hex')).toBe('91f73e2351d8fa91660e909f');
    expect(k.hp.toString('hex')).toBe('45b95e15235d6f45a6b19cbcb0294ba9');
  });

  it('has no keys for an unknown version', () => {
    expect(deriveClientInitialKeys(RFC_DCID, 0xff00001d)).toBeNull();
  });
});

describe('extractQuicSni on the RFC client Initials', () => {
  it.each([
    ['quic-rfc9001-a2.hex', 'v1'],
    ['quic-rfc9369-a2.hex', 'v2'],
  ])('%s (%s) names example.com', (file) => {
    const state = new QuicReassembly();
    expect(extractQuicSni(hexFixture(file), state)).toEqual({ sni: 'example.com', ech: false });
    expect(state.stats).toMatchObject({ initials: 1, decryptFailures: 0, malformed: 0, clientHellos: 1 });
    expect(state.connectionCount).toBe(0);
    // A retransmission of the same Initial does not report the name twice.
    expect(extractQuicSni(hexFixture(file), state)).toBeNull();
  });

  it('rejects a packet whose tag does not authenticate', () => {
    const pkt = hexFixture('quic-rfc9001-a2.hex');
    pkt[pkt.length - 1]! ^= 1;
    const state = new QuicReassembly();
    expect(extractQuicSni(pkt, state)).toBeNull();
    expect(state.stats.decryptFailures).toBe(1);
  });
});

describe('extractQuicSni on real Chromium captures (ground truth: tshark)', () => {
  it.each(['quic-chromium-anthropic', 'quic-chromium-openai'])('%s matches tshark frame by frame', (name) => {
    const golden = readFileSync(path.join(FIX, `${name}.tshark.tsv`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([frame, sni]) => ({ frame: Number(frame), sni: sni ?? '' }));
    const state = new QuicReassembly();
    const ours = udpPayloads(`${name}.pcap`).map(({ frame, payload, flowKey, tsMs }) => ({
      frame,
      sni: extractQuicSni(payload, state, { flowKey, nowMs: tsMs })?.sni ?? '',
    }));
    expect(ours).toEqual(golden);
    expect(golden.filter((g) => g.sni !== '')).toHaveLength(1);
    // Chromium's ClientHello spans two Initials: the name is only known after the second.
    expect(golden[1]!.sni).not.toBe('');
  });

  it('reassembles the two Initials in reverse order and coalesced in one datagram', () => {
    const [first, second] = udpPayloads('quic-chromium-anthropic.pcap');
    const reversed = new QuicReassembly();
    expect(extractQuicSni(second!.payload, reversed)).toBeNull();
    expect(extractQuicSni(first!.payload, reversed)?.sni).toBe('api.anthropic.com');

    const coalesced = new QuicReassembly();
    const both = Buffer.concat([first!.payload, second!.payload]);
    expect(extractQuicSni(both, coalesced)?.sni).toBe('api.anthropic.com');
  });
});

describe('QUIC in the decode pipeline (decode.ts)', () => {
  it('emits one quic-sni finding per connection when a QuicReassembly is given, none without', () => {
    const run = (withQuic: boolean) => {
      const found: NetworkFinding[] = [];
      const d = new NetworkDecoder({ onFinding: (f) => found.push(f), ...(withQuic ? { quic: new QuicReassembly() } : {}) });
      for (const f of frames(openCapture(path.join(FIX, 'quic-chromium-openai.pcap')))) d.feed(f);
      return found;
    };
    expect(run(true)).toEqual([expect.objectContaining({ kind: 'quic-sni', name: 'chatgpt.com', transport: 'udp', dport: 443, ip: 4, ech: true })]);
    expect(run(false)).toEqual([]);
  });
});

describe('CRYPTO reassembly', () => {
  const dcid = Buffer.from('0102030405060708', 'hex');

  it('puts a ClientHello split over three packets back together, out of order, with ACK/PING/CLOSE frames around', () => {
    const hello = clientHello('api.openai.com', { ech: true, padTo: 2500 });
    const parts = [hello.subarray(0, 1000), hello.subarray(1000, 2000), hello.subarray(2000)];
    const ack = Buffer.of(0x02, 0x05, 0x00, 0x01, 0x00, 0x00, 0x03); // largest 5, delay 0, 1 range
    const close = Buffer.of(0x1c, 0x00, 0x00, 0x02, 0x68, 0x69);
    const pkts = [
      protectInitial(dcid, 1, Buffer.concat([Buffer.of(0x01), cryptoFrame(2000, parts[2]!), close])),
      protectInitial(dcid, 2, Buffer.concat([ack, cryptoFrame(0, parts[0]!)]), { pad: true }),
      protectInitial(dcid, 3, Buffer.concat([cryptoFrame(1000, parts[1]!), Buffer.alloc(20)])),
    ];
    const state = new QuicReassembly();
    expect(extractQuicSni(pkts[0]!, state)).toBeNull();
    expect(extractQuicSni(pkts[1]!, state)).toBeNull();
    expect(extractQuicSni(pkts[2]!, state)).toEqual({ sni: 'api.openai.com', ech: true });
    expect(state.stats.malformed).toBe(0);
  });

  it('works for version 2 packets', () => {
    const pkt = protectInitial(dcid, 0, cryptoFrame(0, clientHello('claude.ai')), { version: QUIC_V2, pad: true });
    expect(extractQuicSni(pkt, new QuicReassembly())?.sni).toBe('claude.ai');
  });

  it('keeps equal connection ids of different clients apart by flow key', () => {
    const hello = clientHello('gemini.google.com');
    const a = protectInitial(dcid, 0, cryptoFrame(0, hello.subarray(0, 20)));
    const b = protectInitial(dcid, 0, cryptoFrame(20, hello.subarray(20)));
    const state = new QuicReassembly();
    expect(extractQuicSni(a, state, { flowKey: '10.0.0.1|5000' })).toBeNull();
    expect(extractQuicSni(b, state, { flowKey: '10.0.0.2|5000' })).toBeNull();
    expect(extractQuicSni(b, state, { flowKey: '10.0.0.1|5000' })?.sni).toBe('gemini.google.com');
  });

  it('refuses a CRYPTO offset beyond the per-connection cap and forbidden frames', () => {
    const state = new QuicReassembly();
    expect(extractQuicSni(protectInitial(dcid, 0, cryptoFrame(2 ** 40, Buffer.alloc(10))), state)).toBeNull();
    expect(state.stats.dropped).toBe(1);
    expect(extractQuicSni(protectInitial(dcid, 1, Buffer.of(0x08, 0x00, 0x00, 0x00)), state)).toBeNull(); // STREAM
    expect(state.stats.malformed).toBe(1);
  });

  it('bounds connections, buffered bytes and idle time', () => {
    const limits = { ...QUIC_LIMITS, connections: 50, totalBytes: 20_000, idleMs: 1_000 };
    const state = new QuicReassembly(limits);
    const hello = clientHello('x.example', { padTo: 3000 });
    for (let i = 0; i < 400; i++) {
      const id = Buffer.alloc(8);
      id.writeUInt32BE(i, 0);
      extractQuicSni(protectInitial(id, 0, cryptoFrame(0, hello.subarray(0, 900))), state, { nowMs: 0 });
      expect(state.connectionCount).toBeLessThanOrEqual(50);
      expect(state.bufferedBytes).toBeLessThanOrEqual(20_000);
    }
    expect(state.stats.dropped).toBeGreaterThan(0);
    // A new connection much later sweeps the idle ones away.
    extractQuicSni(protectInitial(Buffer.alloc(8, 0xee), 0, cryptoFrame(0, hello.subarray(0, 10))), state, { nowMs: 60_000 });
    expect(state.connectionCount).toBe(1);
    expect(state.bufferedBytes).toBe(10);
  });
});

describe('QUIC fuzz (bounded)', () => {
  // A small deterministic PRNG so a failure reproduces.
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  it('survives mutated real Initials, random datagrams and random frames without throwing', () => {
    const rand = rng(42);
    const real = [...udpPayloads('quic-chromium-anthropic.pcap').map((u) => Buffer.from(u.payload)), hexFixture('quic-rfc9001-a2.hex'), hexFixture('quic-rfc9369-a2.hex')];
    const limits = { ...QUIC_LIMITS, connections: 64, totalBytes: 256 * 1024 };
    const state = new QuicReassembly(limits);
    const dcid = Buffer.alloc(8, 9);
    for (let i = 0; i < 1500; i++) {
      let input: Buffer;
      const mode = i % 3;
      if (mode === 0) {
        input = Buffer.from(real[Math.floor(rand() * real.length)]!);
        const flips = 1 + Math.floor(rand() * 8);
        // Mutate anywhere, but mostly the header, where parsing happens before authentication.
        for (let f = 0; f < flips; f++) input[Math.floor(rand() * (rand() < 0.7 ? 64 : input.length))] = Math.floor(rand() * 256);
        if (rand() < 0.2) input = input.subarray(0, Math.floor(rand() * input.length));
      } else if (mode === 1) {
        input = Buffer.alloc(Math.floor(rand() * 1500));
        for (let j = 0; j < input.length; j++) input[j] = Math.floor(rand() * 256);
        if (input.length > 0 && rand() < 0.5) input[0]! |= 0xc0;
      } else {
        // Valid protection around random frame bytes: exercises the frame walker and reassembly.
        const body = Buffer.alloc(4 + Math.floor(rand() * 300));
        for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
        if (rand() < 0.5) body[0] = 0x06;
        dcid.writeUInt32BE(i % 97, 0);
        input = protectInitial(dcid, i, body);
      }
      expect(() => extractQuicSni(input, state, { nowMs: i })).not.toThrow();
      expect(state.connectionCount).toBeLessThanOrEqual(64);
      expect(state.bufferedBytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect(state.stats.initials).toBeGreaterThan(500);
  });
});
