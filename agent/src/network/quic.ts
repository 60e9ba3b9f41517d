/**
 * QUIC Initial SNI: the server name a client asks for in the ClientHello it sends in its first,
 * Initial packets. Initial packets are encrypted with keys anyone can derive from the Destination
 * Connection ID (RFC 9001 §5.2), so a passive observer can read them: remove header protection
 * (§5.4), decrypt with AES-128-GCM (§5.3), walk the frames, put CRYPTO frames back together by
 * offset (across packets, coalesced packets and out of order: browsers split and shuffle large
 * ClientHellos) and read the ClientHello. Versions 1 (RFC 9000/9001) and 2 (RFC 9369).
 *
 * Contract with the decode pipeline:
 *   const quic = new QuicReassembly();               // one per capture, bounded
 *   extractQuicSni(udpPayload, quic, { flowKey, nowMs }) // → { sni, ech } once per connection, else null
 * `flowKey` (e.g. "src|sport") keeps equal connection IDs of different clients apart; `nowMs` drives
 * idle expiry (capture time for files, wall clock live). Hostile input never throws: it is counted
 * in `quic.stats` and ignored. Memory is capped per connection and in total.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { isClientHello, parseClientHello } from './tls.js';

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

interface VersionParams {
  salt: Buffer;
  keyLabel: string;
  ivLabel: string;
  hpLabel: string;
  /** Long-header packet type bits (byte0 & 0x30 >> 4) of an Initial packet. */
  initialType: number;
  retryType: number;
}

const VERSIONS = new Map<number, VersionParams>([
  [
    QUIC_V1,
    {
      salt: Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex'), // RFC 9001 §5.2
      keyLabel: 'quic key',
      ivLabel: 'quic iv',
      hpLabel: 'quic hp',
      initialType: 0,
      retryType: 3,
    },
  ],
  [
    QUIC_V2,
    {
      salt: Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex'), // RFC 9369 §3.3.1
      keyLabel: 'quicv2 key',
      ivLabel: 'quicv2 iv',
      hpLabel: 'quicv2 hp',
      initialType: 1, // RFC 9369 §3.2
      retryType: 0,
    },
  ],
]);

export const QUIC_LIMITS = {
  /** CRYPTO bytes kept per connection (a post-quantum ClientHello is ~2 KB; 64 KB is far above any real one). */
  bytesPerConnection: 64 * 1024,
  /** CRYPTO fragments kept per connection (Chromium's chaos protection cuts ~10-30 per packet). */
  fragmentsPerConnection: 512,
  /** CRYPTO bytes kept across all connections. */
  totalBytes: 8 * 1024 * 1024,
  /** Connections being reassembled at once. */
  connections: 4096,
  /** A connection whose ClientHello is not complete after this long is dropped. */
  idleMs: 30_000,
  /** Finished connections remembered so retransmitted Initials do not report the name again. */
  finished: 8192,
} as const;

/** Bounds of a QUIC reassembler (QUIC_LIMITS by default; tests use small ones). */
export type QuicLimits = { readonly [K in keyof typeof QUIC_LIMITS]: number };

export interface InitialKeys {
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
}

/** HKDF-Extract (RFC 5869) with SHA-256. */
function hkdfExtract(salt: Buffer, ikm: Uint8Array): Buffer {
  return createHmac('sha256', salt).update(ikm).digest();
}

/** HKDF-Expand-Label (RFC 8446 §7.1) with an empty context; HkdfLabel is built by hand. */
export function hkdfExpandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.alloc(2 + 1 + full.length + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = 0; // context length
  const out = Buffer.alloc(length);
  let prev = Buffer.alloc(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    prev = createHmac('sha256', secret).update(prev).update(info).update(Buffer.of(i)).digest();
    filled += prev.copy(out, filled);
  }
  return out;
}

/** The client's Initial keys for a version and original Destination Connection ID; null for unknown versions. */
export function deriveClientInitialKeys(dcid: Uint8Array, version: number): InitialKeys | null {
  const v = VERSIONS.get(version);
  if (!v) return null;
  const initial = hkdfExtract(v.salt, dcid);
  const client = hkdfExpandLabel(initial, 'client in', 32);
  return {
    key: hkdfExpandLabel(client, v.keyLabel, 16),
    iv: hkdfExpandLabel(client, v.ivLabel, 12),
    hp: hkdfExpandLabel(client, v.hpLabel, 16),
  };
}

/** A QUIC variable-length integer (RFC 9000 §16); null when it runs past `end`. */
function readVarint(b: Uint8Array, p: number, end: number): { value: number; next: number } | null {
  if (p >= end) return null;
  const first = b[p]!;
  const len = 1 << (first >> 6);
  if (p + len > end) return null;
  let value = first & 0x3f;
  for (let i = 1; i < len; i++) value = value * 256 + b[p + i]!;
  return { value, next: p + len };
}

/** RFC 9000 §A.3: the full packet number closest to the next expected one. */
function decodePacketNumber(largest: number, truncated: number, bits: number): number {
  const expected = largest + 1;
  const win = 2 ** bits;
  const half = win / 2;
  const candidate = Math.floor(expected / win) * win + truncated;
  if (candidate <= expected - half && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + half && candidate >= win) return candidate - win;
  return candidate;
}

interface Connection {
  keys: InitialKeys;
  fragments: { offset: number; data: Uint8Array }[];
  bytes: number;
  largestPn: number;
  lastSeenMs: number;
}

export interface QuicStats {
  /** Long-header Initial packets looked at. */
  initials: number;
  /** Initials that failed authentication (not a client Initial for these keys, or corrupted). */
  decryptFailures: number;
  /** Packets whose header or frames did not parse. */
  malformed: number;
  /** Connections or fragments dropped at a cap. */
  dropped: number;
  /** ClientHellos fully reassembled. */
  clientHellos: number;
}

/** Per-capture reassembly state for CRYPTO frames of client Initials: bounded, with idle expiry. */
export class QuicReassembly {
  /** Insertion-ordered, so the first entry is the oldest connection. */
  private readonly conns = new Map<string, Connection>();
  private readonly finished = new Set<string>();
  private totalBytes = 0;
  readonly stats: QuicStats = { initials: 0, decryptFailures: 0, malformed: 0, dropped: 0, clientHellos: 0 };

  constructor(readonly limits: QuicLimits = QUIC_LIMITS) {}

  get connectionCount(): number {
    return this.conns.size;
  }

  get bufferedBytes(): number {
    return this.totalBytes;
  }

  isFinished(key: string): boolean {
    return this.finished.has(key);
  }

  /** The connection for `key`, created (and older ones evicted) when needed. */
  connection(key: string, dcid: Uint8Array, version: number, nowMs: number): Connection | null {
    let c = this.conns.get(key);
    if (c) {
      c.lastSeenMs = nowMs;
      return c;
    }
    const keys = deriveClientInitialKeys(dcid, version);
    if (!keys) return null;
    this.expire(nowMs);
    while (this.conns.size >= this.limits.connections) this.evictOldest();
    c = { keys, fragments: [], bytes: 0, largestPn: -1, lastSeenMs: nowMs };
    this.conns.set(key, c);
    return c;
  }

  /** Adds a CRYPTO fragment; false when a cap refused it. */
  addFragment(c: Connection, offset: number, data: Uint8Array): boolean {
    if (data.length === 0) return true;
    if (offset + data.length > this.limits.bytesPerConnection) {
      this.stats.dropped += 1;
      return false;
    }
    // Retransmissions repeat fragments: skip exact duplicates so they cost nothing.
    for (const f of c.fragments) if (f.offset === offset && f.data.length === data.length) return true;
    if (c.fragments.length >= this.limits.fragmentsPerConnection || c.bytes + data.length > this.limits.bytesPerConnection) {
      this.stats.dropped += 1;
      return false;
    }
    while (this.totalBytes + data.length > this.limits.totalBytes && this.conns.size > 1) this.evictOldest(c);
    if (this.totalBytes + data.length > this.limits.totalBytes) {
      this.stats.dropped += 1;
      return false;
    }
    c.fragments.push({ offset, data: Uint8Array.from(data) });
    c.bytes += data.length;
    this.totalBytes += data.length;
    return true;
  }

  /** The contiguous CRYPTO stream from offset 0, as far as it goes. */
  contiguous(c: Connection): Uint8Array {
    const frags = [...c.fragments].sort((a, b) => a.offset - b.offset);
    let end = 0;
    for (const f of frags) {
      if (f.offset > end) break;
      end = Math.max(end, f.offset + f.data.length);
    }
    const out = new Uint8Array(end);
    for (const f of frags) {
      if (f.offset >= end) break;
      out.set(f.data.subarray(0, Math.min(f.data.length, end - f.offset)), f.offset);
    }
    return out;
  }

  finish(key: string): void {
    const c = this.conns.get(key);
    if (c) {
      this.totalBytes -= c.bytes;
      this.conns.delete(key);
    }
    this.finished.add(key);
    if (this.finished.size > this.limits.finished) {
      const oldest = this.finished.values().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }

  /** Drops connections idle for longer than the limit. */
  expire(nowMs: number): void {
    for (const [key, c] of this.conns) {
      if (nowMs - c.lastSeenMs <= this.limits.idleMs) continue;
      this.totalBytes -= c.bytes;
      this.conns.delete(key);
      this.stats.dropped += 1;
    }
  }

  private evictOldest(keep?: Connection): void {
    for (const [key, c] of this.conns) {
      if (c === keep) continue;
      this.totalBytes -= c.bytes;
      this.conns.delete(key);
      this.stats.dropped += 1;
      return;
    }
  }
}

export interface QuicSniOptions {
  /** Separates equal connection IDs of different clients: e.g. `${src}|${sport}`. */
  flowKey?: string;
  /** Current time for idle expiry (capture time when reading files). */
  nowMs?: number;
}

export interface QuicSni {
  sni: string;
  ech: boolean;
}

/**
 * Reads every coalesced long-header packet in a UDP datagram; returns the ClientHello's server name
 * the first time the connection's ClientHello is complete, else null.
 */
export function extractQuicSni(payload: Uint8Array, state: QuicReassembly, opts: QuicSniOptions = {}): QuicSni | null {
  const nowMs = opts.nowMs ?? Date.now();
  let p = 0;
  let result: QuicSni | null = null;
  // Coalesced packets (RFC 9000 §12.2): each long-header packet states its own length.
  for (let guard = 0; guard < 16 && p < payload.length; guard++) {
    const r = readLongHeaderPacket(payload, p, state, opts.flowKey ?? '', nowMs);
    if (r.sni) result = r.sni;
    if (r.next <= p) break;
    p = r.next;
  }
  return result;
}

function readLongHeaderPacket(
  b: Uint8Array,
  start: number,
  state: QuicReassembly,
  flowKey: string,
  nowMs: number,
): { next: number; sni: QuicSni | null } {
  const stop = { next: -1, sni: null };
  const end = b.length;
  const first = b[start]!;
  if ((first & 0x80) === 0) return stop; // short header: no Initial here
  if (start + 7 > end) return malformed(state);
  const version = ((b[start + 1]! << 24) | (b[start + 2]! << 16) | (b[start + 3]! << 8) | b[start + 4]!) >>> 0;
  const params = VERSIONS.get(version);
  if (!params) return stop; // version negotiation, draft or unknown version
  const type = (first & 0x30) >> 4;
  if (type === params.retryType) return stop; // Retry has no length: nothing can follow it
  let p = start + 5;
  const dcidLen = b[p]!;
  if (dcidLen > 20 || p + 1 + dcidLen + 1 > end) return malformed(state);
  const dcid = b.subarray(p + 1, p + 1 + dcidLen);
  p += 1 + dcidLen;
  const scidLen = b[p]!;
  if (scidLen > 20 || p + 1 + scidLen > end) return malformed(state);
  p += 1 + scidLen;
  if (type === params.initialType) {
    const tokenLen = readVarint(b, p, end);
    if (!tokenLen || tokenLen.next + tokenLen.value > end) return malformed(state);
    p = tokenLen.next + tokenLen.value;
  }
  const length = readVarint(b, p, end);
  if (!length || length.next + length.value > end) return malformed(state);
  const pnOffset = length.next;
  const next = pnOffset + length.value;
  if (type !== params.initialType) return { next, sni: null }; // Handshake / 0-RTT: skip, keep walking
  state.stats.initials += 1;
  if (dcidLen < 8) return { next, sni: null }; // RFC 9000 §7.2: a client's first DCID is at least 8 bytes
  const key = `${flowKey}|${version}|${Buffer.from(dcid).toString('hex')}`;
  if (state.isFinished(key)) return { next, sni: null };
  const conn = state.connection(key, dcid, version, nowMs);
  if (!conn) return { next, sni: null };
  const plain = unprotect(b, start, pnOffset, next, conn);
  if (plain === 'malformed') return { ...malformed(state), next };
  if (!plain) {
    state.stats.decryptFailures += 1;
    return { next, sni: null };
  }
  if (!readFrames(plain, conn, state)) state.stats.malformed += 1;
  const stream = state.contiguous(conn);
  // CRYPTO data carries TLS handshake messages without the record layer: type (1 = ClientHello), u24 length.
  if (stream.length < 4) return { next, sni: null };
  const msgLen = 4 + ((stream[1]! << 16) | (stream[2]! << 8) | stream[3]!);
  if (stream[0] === 1 && stream.length < msgLen) return { next, sni: null };
  state.finish(key);
  const hello = stream[0] === 1 ? parseClientHello(stream, 4, msgLen) : null;
  if (hello === null || !isClientHello(hello)) {
    state.stats.malformed += 1;
    return { next, sni: null };
  }
  state.stats.clientHellos += 1;
  return hello.sni ? { next, sni: { sni: hello.sni, ech: hello.ech } } : { next, sni: null };
}

function malformed(state: QuicReassembly): { next: number; sni: null } {
  state.stats.malformed += 1;
  return { next: -1, sni: null };
}

/** Removes header protection and decrypts the payload; null when authentication fails. */
function unprotect(b: Uint8Array, start: number, pnOffset: number, end: number, conn: Connection): Uint8Array | null | 'malformed' {
  const sampleOffset = pnOffset + 4;
  if (sampleOffset + 16 > end) return 'malformed';
  const hp = createCipheriv('aes-128-ecb', conn.keys.hp, null);
  const mask = hp.update(b.subarray(sampleOffset, sampleOffset + 16));
  const first = b[start]! ^ (mask[0]! & 0x0f);
  const pnLen = (first & 0x03) + 1;
  const header = Buffer.from(b.subarray(start, pnOffset + pnLen));
  header[0] = first;
  let truncated = 0;
  for (let i = 0; i < pnLen; i++) {
    const byte = b[pnOffset + i]! ^ mask[1 + i]!;
    header[pnOffset - start + i] = byte;
    truncated = truncated * 256 + byte;
  }
  const pn = decodePacketNumber(conn.largestPn, truncated, pnLen * 8);
  const nonce = Buffer.from(conn.keys.iv);
  for (let i = 0, x = pn; i < 8 && x > 0; i++, x = Math.floor(x / 256)) nonce[11 - i]! ^= x % 256;
  const cipherStart = pnOffset + pnLen;
  if (end - cipherStart < 16) return 'malformed';
  try {
    const d = createDecipheriv('aes-128-gcm', conn.keys.key, nonce);
    d.setAAD(header);
    d.setAuthTag(b.subarray(end - 16, end));
    const out = Buffer.concat([d.update(b.subarray(cipherStart, end - 16)), d.final()]);
    if (pn > conn.largestPn) conn.largestPn = pn;
    return out;
  } catch {
    return null;
  }
}

/** Walks an Initial packet's frames, keeping CRYPTO data; false on a malformed or forbidden frame. */
function readFrames(f: Uint8Array, conn: Connection, state: QuicReassembly): boolean {
  const end = f.length;
  let p = 0;
  while (p < end) {
    const t = readVarint(f, p, end);
    if (!t) return false;
    p = t.next;
    switch (t.value) {
      case 0x00: // PADDING
      case 0x01: // PING
        break;
      case 0x02: // ACK
      case 0x03: {
        // largest, delay, range count, first range, then (gap, length) per range, then ECN counts.
        const fields: number[] = [];
        for (let i = 0; i < 4; i++) {
          const v = readVarint(f, p, end);
          if (!v) return false;
          fields.push(v.value);
          p = v.next;
        }
        const extra = fields[2]! * 2 + (t.value === 0x03 ? 3 : 0);
        if (extra > end) return false;
        for (let i = 0; i < extra; i++) {
          const v = readVarint(f, p, end);
          if (!v) return false;
          p = v.next;
        }
        break;
      }
      case 0x06: {
        // CRYPTO: offset, length, data
        const off = readVarint(f, p, end);
        if (!off) return false;
        const len = readVarint(f, off.next, end);
        if (!len || len.next + len.value > end) return false;
        state.addFragment(conn, off.value, f.subarray(len.next, len.next + len.value));
        p = len.next + len.value;
        break;
      }
      case 0x1c: // CONNECTION_CLOSE (transport): error code, frame type, reason
      case 0x1d: {
        let v = readVarint(f, p, end);
        if (!v) return false;
        if (t.value === 0x1c) {
          v = readVarint(f, v.next, end);
          if (!v) return false;
        }
        const reason = readVarint(f, v.next, end);
        if (!reason || reason.next + reason.value > end) return false;
        p = reason.next + reason.value;
        break;
      }
      default:
        return false; // no other frame type may appear in an Initial packet (RFC 9000 §12.4)
    }
  }
  return true;
}
