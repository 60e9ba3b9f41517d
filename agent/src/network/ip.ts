/**
 * IPv4 (RFC 791), IPv6 (RFC 8200) and TCP/UDP header decoding into a reusable PacketView.
 * Nothing is allocated per packet: the view keeps offsets into the frame, and addresses become
 * strings only when asked for (i.e. when a packet produced a finding).
 */
import { ipv4String, ipv6String, u16, u32 } from './bytes.js';
import { ipOffset } from './link.js';
import type { RawFrame, TransportPacket } from './packet.js';

/** Why a frame did not decode to a TCP/UDP packet. Index 0 is success. */
export const DECODE_RESULTS = ['ok', 'not-ip', 'truncated', 'bad-header', 'fragment', 'other-protocol'] as const;
export type DecodeResult = (typeof DECODE_RESULTS)[number];
export const DECODE_OK = 0;
const NOT_IP = 1;
const TRUNCATED = 2;
const BAD_HEADER = 3;
const FRAGMENT = 4;
const OTHER_PROTOCOL = 5;

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** IPv6 extension headers walked before giving up. */
const MAX_IPV6_EXTENSIONS = 8;
const EMPTY = new Uint8Array(0);

/** A decoded TCP segment or UDP datagram: offsets into `data`, reused from packet to packet. */
export class PacketView {
  tsMicros = 0;
  data: Uint8Array = EMPTY;
  ip: 4 | 6 = 4;
  /** Offsets of the source and destination addresses in `data` (4 or 16 bytes each). */
  srcAt = 0;
  dstAt = 0;
  proto = 0;
  sport = 0;
  dport = 0;
  seq = 0;
  flags = 0;
  payloadAt = 0;
  payloadLength = 0;
  wireLength = 0;

  get transport(): 'tcp' | 'udp' {
    return this.proto === PROTO_TCP ? 'tcp' : 'udp';
  }

  src(): string {
    return this.ip === 4 ? ipv4String(this.data, this.srcAt) : ipv6String(this.data, this.srcAt);
  }

  dst(): string {
    return this.ip === 4 ? ipv4String(this.data, this.dstAt) : ipv6String(this.data, this.dstAt);
  }

  payload(): Uint8Array {
    return this.data.subarray(this.payloadAt, this.payloadAt + this.payloadLength);
  }

  /** The shared TransportPacket shape (allocates: use for packets that matter). */
  toTransportPacket(): TransportPacket {
    const p: TransportPacket = {
      tsMicros: this.tsMicros,
      ip: this.ip,
      src: this.src(),
      dst: this.dst(),
      transport: this.transport,
      sport: this.sport,
      dport: this.dport,
      wireLength: this.wireLength,
      payload: this.payload(),
    };
    if (this.proto === PROTO_TCP) {
      p.seq = this.seq;
      p.flags = this.flags;
    }
    return p;
  }
}

function transport(v: PacketView, b: Uint8Array, at: number, end: number, proto: number): number {
  v.proto = proto;
  if (proto === PROTO_TCP) {
    if (at + 20 > end) return TRUNCATED;
    const headerLength = (b[at + 12] as number) >> 2 & 0x3c;
    if (headerLength < 20) return BAD_HEADER;
    if (at + headerLength > end) return TRUNCATED;
    v.sport = u16(b, at);
    v.dport = u16(b, at + 2);
    v.seq = u32(b, at + 4);
    v.flags = b[at + 13] as number;
    v.payloadAt = at + headerLength;
    v.payloadLength = end - v.payloadAt;
    return DECODE_OK;
  }
  if (proto === PROTO_UDP) {
    if (at + 8 > end) return TRUNCATED;
    const length = u16(b, at + 4);
    if (length < 8) return BAD_HEADER;
    v.sport = u16(b, at);
    v.dport = u16(b, at + 2);
    v.seq = 0;
    v.flags = 0;
    v.payloadAt = at + 8;
    // UDP length bounds the payload when the capture holds more (padding) or less (snaplen).
    v.payloadLength = Math.min(end, at + length) - v.payloadAt;
    return DECODE_OK;
  }
  return OTHER_PROTOCOL;
}

function ipv4(v: PacketView, b: Uint8Array, at: number): number {
  if (at + 20 > b.length) return TRUNCATED;
  const headerLength = ((b[at] as number) & 0x0f) * 4;
  const totalLength = u16(b, at + 2);
  if (headerLength < 20 || totalLength < headerLength) return BAD_HEADER;
  if (at + headerLength > b.length) return TRUNCATED;
  // Later fragments carry no transport header; the first one (offset 0) decodes as far as it goes.
  if ((u16(b, at + 6) & 0x1fff) !== 0) return FRAGMENT;
  v.ip = 4;
  v.srcAt = at + 12;
  v.dstAt = at + 16;
  v.wireLength = totalLength - headerLength;
  // Total length cuts Ethernet padding; the captured length cuts a snaplen-truncated frame.
  const end = Math.min(b.length, at + totalLength);
  return transport(v, b, at + headerLength, end, b[at + 9] as number);
}

function ipv6(v: PacketView, b: Uint8Array, at: number): number {
  if (at + 40 > b.length) return TRUNCATED;
  const payloadLength = u16(b, at + 4);
  // A zero payload length means a jumbogram (RFC 2675): take what was captured.
  const end = payloadLength === 0 ? b.length : Math.min(b.length, at + 40 + payloadLength);
  v.ip = 6;
  v.srcAt = at + 8;
  v.dstAt = at + 24;
  v.wireLength = payloadLength === 0 ? b.length - at - 40 : payloadLength;
  let next = b[at + 6] as number;
  let p = at + 40;
  for (let i = 0; i <= MAX_IPV6_EXTENSIONS; i++) {
    if (next === PROTO_TCP || next === PROTO_UDP) {
      return transport(v, b, p, end, next);
    }
    if (p + 8 > end) return TRUNCATED;
    switch (next) {
      case 0: // hop-by-hop
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
        next = b[p] as number;
        p += ((b[p + 1] as number) + 1) * 8;
        break;
      case 44: // fragment
        if ((u16(b, p + 2) & 0xfff8) !== 0) return FRAGMENT;
        next = b[p] as number;
        p += 8;
        break;
      case 51: // authentication header: length in 4-byte units, minus 2
        next = b[p] as number;
        p += ((b[p + 1] as number) + 2) * 4;
        break;
      default:
        return OTHER_PROTOCOL; // 59 no next header, 50 ESP, ICMPv6, ...
    }
  }
  return BAD_HEADER;
}

/** Decodes `data` (a frame of `linkType`) into `v`; returns DECODE_OK or the index of the reason in DECODE_RESULTS. */
export function decodeInto(v: PacketView, linkType: number, data: Uint8Array, tsMicros: number): number {
  const at = ipOffset(linkType, data);
  if (at < 0 || at >= data.length) return NOT_IP;
  v.data = data;
  v.tsMicros = tsMicros;
  const version = (data[at] as number) >> 4;
  if (version === 4) return ipv4(v, data, at);
  if (version === 6) return ipv6(v, data, at);
  return NOT_IP;
}

/** Convenience for callers outside the hot path: one frame to the shared TransportPacket shape, or null. */
export function decodeFrame(frame: RawFrame): TransportPacket | null {
  const v = new PacketView();
  return decodeInto(v, frame.linkType, frame.data, frame.tsMicros) === DECODE_OK ? v.toTransportPacket() : null;
}
