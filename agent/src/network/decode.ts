/**
 * The network sensor's packet path: frame → link → IP → TCP/UDP → DNS or TLS ClientHello → finding.
 * Non-matching traffic costs a few header reads and one map lookup (only while TCP streams are
 * open): no allocation, no strings. Every malformed input is counted, never thrown.
 */
import { u16 } from './bytes.js';
import { parseDns, resolveAnswers, type DnsMessage } from './dns.js';
import { DECODE_OK, DECODE_RESULTS, PROTO_UDP, PacketView, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, decodeInto, type DecodeResult } from './ip.js';
import type { NetworkFinding, RawFrame } from './packet.js';
import { extractQuicSni, type QuicReassembly } from './quic.js';
import { STREAM_DNS, STREAM_TLS, TcpReassembler, type ReassemblyLimits, type TcpStream } from './tcp-reassembly.js';
import { HELLO_MALFORMED, HELLO_NEED_MORE, HELLO_NOT_TLS, HELLO_TOO_BIG, clientHelloFromStream, isClientHello, looksLikeClientHello } from './tls.js';
import { isoMicros } from './bytes.js';

export const DNS_PORT = 53;
const CONTENT_HANDSHAKE = 22;

export interface DecoderOptions {
  /** Called with every finding, in capture order. */
  onFinding: (finding: NetworkFinding) => void;
  /** UDP datagrams that are not DNS (QUIC and others are parsed elsewhere); the view is reused after the call. */
  onUdp?: (packet: PacketView) => void;
  limits?: Partial<ReassemblyLimits>;
  /** QUIC Initial SNI (quic.ts): long-header UDP datagrams go through this reassembly when given. */
  quic?: QuicReassembly;
  /** Resolver ports whose UDP/TCP payloads are parsed as DNS (default [DNS_PORT]). */
  dnsPorts?: number[];
}

export interface DecoderStats {
  frames: number;
  /** Frames that decoded to TCP/UDP ("ok") and why the others did not. */
  decode: Record<DecodeResult, number>;
  dnsMessages: number;
  dnsMalformed: number;
  tlsHellos: number;
  tlsHellosWithoutSni: number;
  tlsMalformed: number;
  /** ClientHellos larger than the per-stream cap, DNS-over-TCP messages likewise. */
  tooBig: number;
  findings: number;
}

export class NetworkDecoder {
  readonly stats: DecoderStats;
  readonly reassembly: TcpReassembler;
  private readonly view = new PacketView();
  private readonly onFinding: (finding: NetworkFinding) => void;
  private readonly onUdp: ((packet: PacketView) => void) | undefined;
  private readonly quic: QuicReassembly | undefined;
  private readonly dnsPorts: ReadonlySet<number>;

  constructor(options: DecoderOptions) {
    this.dnsPorts = new Set(options.dnsPorts ?? [DNS_PORT]);
    this.onFinding = options.onFinding;
    this.onUdp = options.onUdp;
    this.quic = options.quic;
    this.reassembly = new TcpReassembler(options.limits);
    const decode = Object.fromEntries(DECODE_RESULTS.map((r) => [r, 0])) as Record<DecodeResult, number>;
    this.stats = { frames: 0, decode, dnsMessages: 0, dnsMalformed: 0, tlsHellos: 0, tlsHellosWithoutSni: 0, tlsMalformed: 0, tooBig: 0, findings: 0 };
  }

  feed(frame: RawFrame): void {
    this.feedBytes(frame.linkType, frame.data, frame.tsMicros);
  }

  feedBytes(linkType: number, data: Uint8Array, tsMicros: number): void {
    this.stats.frames++;
    const v = this.view;
    const result = decodeInto(v, linkType, data, tsMicros);
    this.stats.decode[DECODE_RESULTS[result] as DecodeResult]++;
    if (result !== DECODE_OK) return;
    if (v.proto === PROTO_UDP) {
      if (this.dnsPorts.has(v.sport) || this.dnsPorts.has(v.dport)) this.dnsMessage(v.data, v.payloadAt, v.payloadLength);
      else if (this.quic !== undefined && v.payloadLength > 0 && ((v.data[v.payloadAt] as number) & 0x80) !== 0) this.quicDatagram(v, this.quic);
      else if (this.onUdp !== undefined) this.onUdp(v);
      return;
    }
    this.tcp(v);
  }

  private tcp(v: PacketView): void {
    const r = this.reassembly;
    r.tick(v.tsMicros);
    const flags = v.flags;
    const dns = this.dnsPorts.has(v.sport) || this.dnsPorts.has(v.dport);
    let s: TcpStream | null | undefined;
    if (flags & TCP_SYN) {
      // Track from the handshake so segments that arrive out of order still find their place.
      // The client's SYN opens its stream; for DNS the server's SYN-ACK opens the answer stream.
      if (!(flags & TCP_ACK)) s = r.open(v, dns ? STREAM_DNS : STREAM_TLS, v.seq + 1);
      else if (dns) s = r.open(v, STREAM_DNS, v.seq + 1);
      if (v.payloadLength === 0 || s === null || s === undefined) return;
      // Data in a SYN (TCP Fast Open) starts one past the SYN's own sequence number.
      v.seq = (v.seq + 1) >>> 0;
    } else {
      s = r.find(v);
    }
    if (s === undefined) {
      if (v.payloadLength === 0) return;
      // The SYN was not captured: start at this segment if it looks like the start of something.
      if (dns) s = r.open(v, STREAM_DNS, v.seq);
      else if (looksLikeClientHello(v.data, v.payloadAt, v.payloadLength)) s = r.open(v, STREAM_TLS, v.seq);
      if (s === undefined || s === null) return;
    }
    if (s.kind === STREAM_TLS && v.payloadLength > 0 && ((v.seq - s.base) | 0) === 0 && v.data[v.payloadAt] !== CONTENT_HANDSHAKE) {
      // The connection's first byte says it is not TLS: forget it without buffering anything.
      r.close(s);
      return;
    }
    if (v.payloadLength > 0 && r.add(s, v)) {
      if (s.kind === STREAM_TLS) this.tlsStream(s, v);
      else this.dnsStream(s);
    }
    if (flags & (TCP_FIN | TCP_RST)) r.close(s);
  }

  private quicDatagram(v: PacketView, quic: QuicReassembly): void {
    const payload = v.data.subarray(v.payloadAt, v.payloadAt + v.payloadLength);
    const r = extractQuicSni(payload, quic, { flowKey: `${v.src()}|${v.sport}`, nowMs: v.tsMicros / 1000 });
    if (r !== null) this.emit(v, 'quic-sni', r.sni, { ech: r.ech });
  }

  private tlsStream(s: TcpStream, v: PacketView): void {
    const have = s.contiguous();
    if (have === 0 || s.buf === null) return;
    const r = clientHelloFromStream(s.buf, have, this.reassembly.limits.perFlowBytes);
    if (r === HELLO_NEED_MORE) return;
    this.reassembly.close(s);
    if (isClientHello(r)) {
      this.stats.tlsHellos++;
      if (r.sni === null) this.stats.tlsHellosWithoutSni++;
      else this.emit(v, 'tls-sni', r.sni, { ech: r.ech });
    } else if (r === HELLO_TOO_BIG) this.stats.tooBig++;
    else if (r === HELLO_MALFORMED) this.stats.tlsMalformed++;
    else if (r === HELLO_NOT_TLS) {
      // an ordinary non-TLS connection: nothing to count
    }
  }

  /** RFC 7766 §8: each message is preceded by its two-byte length; several may share a segment. */
  private dnsStream(s: TcpStream): void {
    const r = this.reassembly;
    for (;;) {
      const buf = s.buf;
      const have = s.contiguous();
      if (buf === null || have < 2) return;
      const length = u16(buf, 0);
      if (2 + length > r.limits.perFlowBytes) {
        this.stats.tooBig++;
        r.close(s);
        return;
      }
      if (have < 2 + length) return;
      this.dnsMessage(buf, 2, length);
      r.consume(s, 2 + length);
    }
  }

  private dnsMessage(b: Uint8Array, at: number, length: number): void {
    const msg = parseDns(b, at, length);
    if (msg === null) {
      this.stats.dnsMalformed++;
      return;
    }
    this.stats.dnsMessages++;
    if (msg.opcode !== 0) return; // only standard queries name hosts
    this.dnsFindings(msg);
  }

  private dnsFindings(msg: DnsMessage): void {
    const v = this.view;
    if (!msg.response) {
      for (const q of msg.questions) if (q.name !== '') this.emit(v, 'dns-query', q.name, {});
      return;
    }
    if (msg.rcode !== 0) return;
    for (const r of resolveAnswers(msg)) {
      if (r.name === '') continue;
      const extra: Partial<NetworkFinding> = { addresses: r.addresses };
      if (r.cnames.length > 0) extra.cnames = r.cnames;
      this.emit(v, 'dns-answer', r.name, extra);
    }
  }

  private emit(v: PacketView, kind: NetworkFinding['kind'], name: string, extra: Partial<NetworkFinding>): void {
    this.stats.findings++;
    this.onFinding({
      ts: isoMicros(v.tsMicros),
      kind,
      name,
      src: v.src(),
      dst: v.dst(),
      sport: v.sport,
      dport: v.dport,
      transport: v.transport,
      ip: v.ip,
      ...extra,
    });
  }
}
