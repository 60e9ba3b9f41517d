// DNS parsing: hostile names (RFC 1035 §4.1.4 pointers, 255-octet limit), answers, and DNS over
// TCP framing (RFC 7766) on segments re-cut from a real capture.
import { describe, expect, it } from 'vitest';
import { parseDns, readName, resolveAnswers } from '../src/network/dns.js';
import type { RawFrame } from '../src/network/packet.js';
import { findingsOf, ipv4Frame, readFrames, view } from './network-frames.js';

const header = (flags: number, qd: number, an: number) => [0x12, 0x34, flags >> 8, flags & 255, 0, qd, 0, an, 0, 0, 0, 0];
const label = (s: string) => [s.length, ...new TextEncoder().encode(s)];
const qname = (n: string) => [...n.split('.').flatMap(label), 0];
const u16 = (v: number) => [v >> 8, v & 255];
const rr = (owner: number[], type: number, ttl: number, rdata: number[]) => [...owner, ...u16(type), 0, 1, ttl >>> 24, (ttl >> 16) & 255, (ttl >> 8) & 255, ttl & 255, ...u16(rdata.length), ...rdata];
const msg = (bytes: number[]) => new Uint8Array(bytes);

describe('DNS names', () => {
  it('follows compression pointers that point backwards', () => {
    const m = msg([...header(0x8180, 1, 1), ...qname('api.openai.com'), 0, 1, 0, 1, ...rr([0xc0, 12], 1, 60, [1, 2, 3, 4])]);
    const parsed = parseDns(m, 0, m.length);
    expect(parsed?.answers).toEqual([{ name: 'api.openai.com', type: 1, ttl: 60, value: '1.2.3.4' }]);
  });

  it('refuses pointer loops, forward pointers and pointers into the header', () => {
    const self = msg([...header(0, 1, 0), 0xc0, 12, 0, 1, 0, 1]);
    expect(parseDns(self, 0, self.length)).toBeNull();
    const forward = msg([...header(0, 1, 0), 0xc0, 18, 0, 1, 0, 1, 3, 0x61, 0x62, 0x63, 0]);
    expect(parseDns(forward, 0, forward.length)).toBeNull();
    // a label, then a pointer back to that same label: a loop through the name's own start
    const loop = msg([...header(0, 1, 0), 1, 0x61, 0xc0, 12, 0, 1, 0, 1]);
    expect(parseDns(loop, 0, loop.length)).toBeNull();
    const intoHeader = msg([...header(0, 1, 0), 0xc0, 2, 0, 1, 0, 1]);
    expect(parseDns(intoHeader, 0, intoHeader.length)).toBeNull();
  });

  it('refuses names over 255 octets, reserved label types and truncation', () => {
    const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.');
    const m = msg([...header(0, 1, 0), ...qname(long), 0, 1, 0, 1]);
    expect(parseDns(m, 0, m.length)).toBeNull();
    const ok = Array.from({ length: 4 }, () => 'a'.repeat(61)).join('.'); // 4*62 + 1 = 249 octets
    const m2 = msg([...header(0, 1, 0), ...qname(ok), 0, 1, 0, 1]);
    expect(parseDns(m2, 0, m2.length)?.questions[0]?.name).toBe(ok);
    const extended = msg([...header(0, 1, 0), 0x41, 0, 0, 1, 0, 1]);
    expect(parseDns(extended, 0, extended.length)).toBeNull();
    for (let cut = 0; cut < m2.length; cut++) expect(parseDns(m2, 0, cut)).toBeNull();
  });

  it('lower-cases names and escapes bytes that are not printable', () => {
    const m = msg([...header(0, 1, 0), 4, 0x41, 0x2e, 0x00, 0x5a, 3, 0x43, 0x4f, 0x4d, 0, 0, 1, 0, 1]);
    expect(readName(m, 0, m.length, 12)).toBe('a\\046\\000z.com');
  });
});

describe('DNS answers', () => {
  it('resolves CNAME chains and HTTPS hints to the asked name, with the smallest TTL of the chain', () => {
    const q = qname('chatgpt.com');
    const target = qname('edge.example.net');
    const https = [0, 1, 0, ...u16(4), ...u16(4), 9, 9, 9, 9, ...u16(6), ...u16(16), 0x20, 1, ...Array(13).fill(0), 1];
    const m = msg([
      ...header(0x8180, 1, 3),
      ...q, 0, 65, 0, 1,
      ...rr([0xc0, 12], 5, 100, target),
      ...rr([0xc0, 12 + q.length + 4 + 12], 65, 50, https),
      ...rr([0xc0, 12 + q.length + 4 + 12], 1, 300, [10, 0, 0, 9]),
    ]);
    const parsed = parseDns(m, 0, m.length);
    expect(parsed).not.toBeNull();
    expect(resolveAnswers(parsed!)).toEqual([
      {
        name: 'chatgpt.com',
        cnames: ['edge.example.net'],
        addresses: [
          { address: '9.9.9.9', ttl: 50 },
          { address: '2001::1', ttl: 50 },
          { address: '10.0.0.9', ttl: 100 },
        ],
      },
    ]);
  });

  it('stops at CNAME loops and treats TTLs with the top bit set as zero (RFC 2181 §8)', () => {
    const a = qname('a.test');
    const b = qname('b.test');
    const m = msg([...header(0x8180, 1, 3), ...a, 0, 1, 0, 1, ...rr([0xc0, 12], 5, 10, b), ...rr(b, 5, 10, a), ...rr(b, 1, 0x80000000, [1, 1, 1, 1])]);
    const parsed = parseDns(m, 0, m.length)!;
    expect(resolveAnswers(parsed)).toEqual([{ name: 'a.test', cnames: ['b.test'], addresses: [{ address: '1.1.1.1', ttl: 0 }] }]);
  });
});

describe('DNS over TCP (RFC 7766) on a real capture', () => {
  const frames = readFrames('dns-udp-tcp.pcap');
  const tcpNames = (fs: RawFrame[]) =>
    findingsOf(fs)
      .findings.filter((f) => f.transport === 'tcp')
      .map((f) => `${f.kind} ${f.name} ${f.sport}>${f.dport}`);
  const expected = tcpNames(frames);

  it('finds queries and answers, including two messages pipelined on one connection', () => {
    // IPv4: one connection with one query, one with two (dig +keepopen); IPv6: one query.
    expect(expected.length).toBe(8);
  });

  /** Re-cuts every TCP DNS payload: `cut` maps a payload (with its seq) to new [seq, bytes] pieces. */
  function recut(cut: (seq: number, payload: Uint8Array) => [number, Uint8Array][]): RawFrame[] {
    const out: RawFrame[] = [];
    for (const f of frames) {
      const v = view(f);
      if (v === null || v.transport !== 'tcp' || v.payloadLength === 0) {
        out.push(f);
        continue;
      }
      const src = [...v.data.subarray(v.srcAt, v.srcAt + 4)];
      const dst = [...v.data.subarray(v.dstAt, v.dstAt + 4)];
      if (v.ip !== 4) {
        out.push(f);
        continue;
      }
      for (const [seq, bytes] of cut(v.seq, v.payload())) {
        out.push({ tsMicros: f.tsMicros, linkType: 1, data: ipv4Frame({ src, dst, proto: 'tcp', sport: v.sport, dport: v.dport, seq, payload: bytes }) });
      }
    }
    return out;
  }

  it('reads one message across many segments (3-byte pieces)', () => {
    const pieces = recut((seq, p) => Array.from({ length: Math.ceil(p.length / 3) }, (_, i) => [seq + i * 3, p.subarray(i * 3, i * 3 + 3)] as [number, Uint8Array]));
    expect(tcpNames(pieces)).toEqual(expected);
  });

  it('reads several messages in one segment', () => {
    // Glue each connection's payloads per direction into one segment at the first payload's place.
    const glued: RawFrame[] = [];
    const pending = new Map<string, { at: number; seq: number; parts: Uint8Array[]; src: number[]; dst: number[]; sport: number; dport: number }>();
    for (const f of frames) {
      const v = view(f);
      if (v === null || v.transport !== 'tcp' || v.ip !== 4 || v.payloadLength === 0) {
        if (v !== null && v.transport === 'tcp' && v.flags & 0x01) {
          // at FIN, emit what was glued for this direction before the FIN
          const key = `${v.sport}>${v.dport}`;
          const g = pending.get(key);
          if (g) {
            const data = new Uint8Array(g.parts.reduce((n, p) => n + p.length, 0));
            let o = 0;
            for (const p of g.parts) {
              data.set(p, o);
              o += p.length;
            }
            glued.push({ tsMicros: f.tsMicros, linkType: 1, data: ipv4Frame({ src: g.src, dst: g.dst, proto: 'tcp', sport: g.sport, dport: g.dport, seq: g.seq, payload: data }) });
            pending.delete(key);
          }
        }
        glued.push(f);
        continue;
      }
      const key = `${v.sport}>${v.dport}`;
      const g = pending.get(key) ?? { at: glued.length, seq: v.seq, parts: [], src: [...v.data.subarray(v.srcAt, v.srcAt + 4)], dst: [...v.data.subarray(v.dstAt, v.dstAt + 4)], sport: v.sport, dport: v.dport };
      g.parts.push(v.payload().slice());
      pending.set(key, g);
    }
    const names = findingsOf(glued).findings.filter((f) => f.transport === 'tcp' && f.ip === 4).map((f) => `${f.kind} ${f.name}`);
    expect(names).toEqual(expect.arrayContaining(['dns-query claude.ai', 'dns-query api.openai.com', 'dns-answer claude.ai', 'dns-answer api.openai.com']));
    expect(names.length).toBe(6); // the IPv4 TCP findings, as without gluing
  });
});
