// TLS ClientHello reading with TCP reassembly, on real captures (and real hellos re-framed).
import { describe, expect, it } from 'vitest';
import { decoderHealth } from '../src/network/health.js';
import type { RawFrame } from '../src/network/packet.js';
import { SensorHealthCounter } from '../src/sensors/health.js';
import { expectSensorHealth } from './helpers/sensor-health.js';
import { HELLO_MALFORMED, HELLO_NEED_MORE, HELLO_NOT_TLS, HELLO_TOO_BIG, clientHelloFromStream, isClientHello, parseClientHello } from '../src/network/tls.js';
import { clientPayloads, findingsOf, ipv4Frame, readFrames, view } from './network-frames.js';

const chromium = readFrames('tls-chromium-pq.pcap');
const clients = readFrames('tls-clients.pcap');
const names = (frames: Iterable<RawFrame>) =>
  findingsOf(frames)
    .findings.map((f) => `${f.name} ${f.sport} ${f.ech}`)
    .sort();

/** Client payloads of the TLS connections only (Chromium also sent plain HTTP to the mapped port). */
function tlsPayloads(frames: RawFrame[]): ReturnType<typeof clientPayloads> {
  return new Map([...clientPayloads(frames)].filter(([, segments]) => segments[0]!.payload[0] === 22));
}

/** The first `length` bytes each client sent, glued from its segments. */
function clientStreams(frames: RawFrame[]): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const [port, segments] of tlsPayloads(frames)) {
    const first = segments[0]!.seq;
    const end = Math.max(...segments.map((s) => s.seq - first + s.payload.length));
    const stream = new Uint8Array(end);
    for (const s of segments) stream.set(s.payload, s.seq - first);
    out.set(port, stream);
  }
  return out;
}

describe('ClientHello across TCP segments', () => {
  it("Chromium's post-quantum hello is larger than one segment at MTU 1280, and is read whole", () => {
    const payloads = tlsPayloads(chromium);
    let split = 0;
    for (const segments of payloads.values()) {
      const first = segments[0]!.payload;
      const recordLength = (first[3]! << 8) | first[4]!;
      if (first.length < 5 + recordLength) split++;
      expect(recordLength).toBeGreaterThan(1500); // X25519MLKEM768 key share: 1216 bytes
    }
    expect(split).toBe(payloads.size);
    expect(payloads.size).toBe(4);
    const expected = [...payloads.keys()].map((port, i) => `${['update.googleapis.com', 'accounts.google.com', 'api.anthropic.com', 'api.anthropic.com'][i]} ${port} true`);
    expect(names(chromium)).toEqual(expected.sort());
  });

  it('reads the same hellos when each connection\'s client segments arrive in reverse order (reordered in this test)', () => {
    const reordered = [...chromium];
    for (const segments of tlsPayloads(chromium).values()) {
      const indexes = segments.map((s) => s.index);
      const frames = indexes.map((i) => chromium[i]!).reverse();
      indexes.forEach((at, k) => (reordered[at] = frames[k]!));
    }
    expect(reordered).not.toEqual(chromium);
    expect(names(reordered)).toEqual(names(chromium));
  });

  it('ignores duplicated and overlapping retransmissions', () => {
    const doubled = chromium.flatMap((f) => [f, f]);
    expect(names(doubled)).toEqual(names(chromium));
    // Re-cut one real hello into overlapping 700-byte pieces every 500 bytes, delivered last-first.
    const stream = clientStreams(chromium).values().next().value as Uint8Array;
    const frames: RawFrame[] = [{ tsMicros: 1, linkType: 1, data: ipv4Frame({ proto: 'tcp', sport: 5000, dport: 443, seq: 99, flags: 0x02, payload: new Uint8Array(0) }) }];
    const pieces: RawFrame[] = [];
    for (let at = 0; at < stream.length; at += 500) {
      pieces.push({ tsMicros: 2, linkType: 1, data: ipv4Frame({ proto: 'tcp', sport: 5000, dport: 443, seq: 100 + at, payload: stream.subarray(at, at + 700) }) });
    }
    expect(findingsOf([...frames, ...pieces.reverse()]).findings.map((f) => f.name)).toEqual(['update.googleapis.com']);
  });

  it('reads a hello carried in the SYN (TCP Fast Open), sequence numbers wrapping past 2^32', () => {
    const stream = clientStreams(clients).values().next().value as Uint8Array;
    const isn = 0xffffffff - 100;
    const frames: RawFrame[] = [
      { tsMicros: 1, linkType: 1, data: ipv4Frame({ proto: 'tcp', sport: 6000, dport: 443, seq: isn, flags: 0x02, payload: stream.subarray(0, 150) }) },
      { tsMicros: 2, linkType: 1, data: ipv4Frame({ proto: 'tcp', sport: 6000, dport: 443, seq: (isn + 151) >>> 0, payload: stream.subarray(150) }) },
    ];
    expect(findingsOf(frames).findings.map((f) => f.name)).toEqual(['api.anthropic.com']);
  });

  it('reads a hello split across TLS records (real hello re-framed into 200-byte records)', () => {
    for (const stream of clientStreams(clients).values()) {
      const length = (stream[3]! << 8) | stream[4]!;
      const handshake = stream.subarray(5, 5 + length);
      const direct = clientHelloFromStream(stream, stream.length, 16384);
      expect(isClientHello(direct)).toBe(true);
      const records: number[] = [];
      for (let at = 0; at < handshake.length; at += 200) {
        const piece = handshake.subarray(at, at + 200);
        records.push(22, 3, 1, piece.length >> 8, piece.length & 255, ...piece);
      }
      const reframed = new Uint8Array(records);
      expect(clientHelloFromStream(reframed, reframed.length, 16384)).toEqual(direct);
      // Every shorter prefix asks for more bytes.
      for (let cut = 0; cut < reframed.length; cut += 97) expect(clientHelloFromStream(reframed, cut, 16384)).toBe(HELLO_NEED_MORE);
    }
  });

  it('skips GREASE extension types (RFC 8701) and reports ECH only when the extension is there', () => {
    const stream = clientStreams(chromium).values().next().value as Uint8Array;
    // Walk Chromium's extension list: it carries GREASE types (0x?a?a) and ECH (0xfe0d).
    let p = 9 + 2 + 32;
    p += 1 + stream[p]!;
    p += 2 + ((stream[p]! << 8) | stream[p + 1]!);
    p += 1 + stream[p]!;
    const end = p + 2 + ((stream[p]! << 8) | stream[p + 1]!);
    const types: number[] = [];
    for (p += 2; p < end; p += 4 + ((stream[p + 2]! << 8) | stream[p + 3]!)) types.push((stream[p]! << 8) | stream[p + 1]!);
    expect(types.some((t) => (t & 0x0f0f) === 0x0a0a && t >> 8 === (t & 0xff))).toBe(true);
    expect(types).toContain(0xfe0d);
    expect(findingsOf(clients).findings.every((f) => f.ech === false)).toBe(true);
  });

  it('answers with a status, never a throw, for every truncation and for non-TLS streams', () => {
    const stream = clientStreams(clients).values().next().value as Uint8Array;
    const length = (stream[3]! << 8) | stream[4]!;
    for (let end = 9; end < 5 + length; end++) {
      const r = parseClientHello(stream, 9, end);
      expect(isClientHello(r) || r === HELLO_MALFORMED).toBe(true);
    }
    const http = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: api.openai.com\r\n\r\n');
    expect(clientHelloFromStream(http, http.length, 16384)).toBe(HELLO_NOT_TLS);
    expect(clientHelloFromStream(stream, stream.length, 64)).toBe(HELLO_TOO_BIG);
  });
});

describe('reassembly bounds', () => {
  it('drops a hello larger than the per-stream cap and counts it as a `limit` in the sensor health', () => {
    const { findings, decoder } = findingsOf(chromium, { perFlowBytes: 1024 });
    expect(findings).toEqual([]);
    expect(decoder.reassembly.stats.dropped.flowBytes + decoder.stats.tooBig).toBe(4);
    expect(decoder.reassembly.buffered).toBe(0);
    const health = new SensorHealthCounter('network');
    decoderHealth(decoder, health);
    expectSensorHealth(health, { name: 'network', observations: 0, errors: { limit: 4 }, dropped: 4 });
    const ok = new SensorHealthCounter('network');
    decoderHealth(findingsOf(chromium).decoder, ok);
    expectSensorHealth(ok, { name: 'network', observations: 4, errors: {}, dropped: 0 });
  });

  it('caps the number of streams (evicting the oldest) and the bytes of all streams together, and counts both', () => {
    const syn = (port: number) => ({ tsMicros: 1, linkType: 1, data: ipv4Frame({ proto: 'tcp', sport: port, dport: 443, seq: 1, flags: 0x02, payload: new Uint8Array(0) }) });
    const { decoder } = findingsOf([1, 2, 3, 4].map((p) => syn(40000 + p)), { maxFlows: 3 });
    expect(decoder.reassembly.size).toBe(3);
    expect(decoder.reassembly.stats.dropped.flows).toBe(1);
    expect(decoder.reassembly.find(view(syn(40001))!)).toBeUndefined();
    expect(decoder.reassembly.find(view(syn(40004))!)).toBeDefined();
    const total = findingsOf(chromium, { totalBytes: 1024 });
    expect(total.decoder.reassembly.stats.dropped.totalBytes).toBeGreaterThan(0);
    expect(total.decoder.reassembly.buffered).toBeLessThanOrEqual(1024);
  });

  it('expires idle streams by capture time', () => {
    const f = ipv4Frame({ proto: 'tcp', sport: 1234, dport: 443, seq: 7, flags: 0x02, payload: new Uint8Array(0) });
    const { decoder } = findingsOf([
      { tsMicros: 0, linkType: 1, data: f },
      { tsMicros: 10_000_000, linkType: 1, data: ipv4Frame({ proto: 'tcp', sport: 1, dport: 2, payload: new Uint8Array(10) }) },
    ]);
    expect(decoder.reassembly.size).toBe(1);
    decoder.feed({ tsMicros: 45_000_000, linkType: 1, data: ipv4Frame({ proto: 'tcp', sport: 1, dport: 2, payload: new Uint8Array(10) }) });
    expect(decoder.reassembly.size).toBe(0);
    expect(decoder.reassembly.stats.expired).toBe(1);
  });

  it('forgets a stream once its hello is read, and on FIN/RST', () => {
    const { decoder } = findingsOf(clients);
    expect(decoder.reassembly.size).toBe(0);
    expect(decoder.reassembly.buffered).toBe(0);
  });
});
