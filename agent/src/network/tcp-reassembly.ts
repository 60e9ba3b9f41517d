/**
 * TCP reassembly for the few bytes a sensor needs from a connection: the start of a client stream
 * (a TLS ClientHello) and DNS-over-TCP messages. One stream per direction, keyed by the 4-tuple.
 * Segments may arrive out of order, overlap or repeat; data is placed by sequence number relative
 * to the stream's start (the SYN's ISN + 1, or the first segment when the SYN was not seen).
 *
 * Bounded whatever the traffic: a stream buffers at most `perFlowBytes` (a ClientHello with a
 * post-quantum key share is ~1.8 KB; RFC 8446 allows 2^24 but a hello that big is no browser's,
 * so 16 KiB keeps every real one), all streams together at most `totalBytes`, the table at most
 * `maxFlows` streams, and a stream idle for `idleMicros` of capture time is dropped. Every cap that
 * bites is counted in `stats.dropped`.
 */
import type { PacketView } from './ip.js';

export interface ReassemblyLimits {
  perFlowBytes: number;
  totalBytes: number;
  maxFlows: number;
  idleMicros: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  perFlowBytes: 16 * 1024,
  totalBytes: 8 * 1024 * 1024,
  maxFlows: 16_384,
  idleMicros: 30_000_000,
};

export interface ReassemblyStats {
  /** Streams opened, finished by their reader, closed by FIN/RST, expired idle. */
  opened: number;
  closed: number;
  expired: number;
  /**
   * What a cap dropped: streams whose data passed perFlowBytes, data refused at totalBytes, streams
   * evicted at maxFlows or not opened on a hash collision, streams with more than MAX_GAPS holes.
   */
  dropped: { flowBytes: number; totalBytes: number; flows: number; collisions: number; gaps: number };
}

export const STREAM_TLS = 1;
export const STREAM_DNS = 2;

/** Sweep for idle streams at most this often (capture time). */
const SWEEP_EVERY_MICROS = 1_000_000;
const FIRST_BUFFER = 2048;
/** Holes a stream may have at once; many tiny out-of-order pieces would make each insert slow. */
const MAX_GAPS = 64;

export class TcpStream {
  /** Sequence number of buf[0]. */
  base: number;
  buf: Uint8Array | null = null;
  /** Received byte ranges relative to base, as sorted, disjoint [start, end) pairs. */
  ranges: number[] = [];
  lastSeen: number;

  constructor(
    readonly hash: number,
    /** ip version, then source address, destination address, source port, destination port. */
    readonly key: Uint8Array,
    readonly kind: number,
    base: number,
    now: number,
  ) {
    this.base = base >>> 0;
    this.lastSeen = now;
  }

  /** Bytes available without a gap from buf[0]. */
  contiguous(): number {
    return this.ranges[0] === 0 ? (this.ranges[1] as number) : 0;
  }

  matches(v: PacketView): boolean {
    const k = this.key;
    if (k[0] !== v.ip) return false;
    const n = v.ip === 4 ? 4 : 16;
    const d = v.data;
    for (let i = 0; i < n; i++) if (k[1 + i] !== d[v.srcAt + i] || k[1 + n + i] !== d[v.dstAt + i]) return false;
    const p = 1 + 2 * n;
    return ((k[p] as number) << 8 | (k[p + 1] as number)) === v.sport && ((k[p + 2] as number) << 8 | (k[p + 3] as number)) === v.dport;
  }
}

function keyOf(v: PacketView): Uint8Array {
  const n = v.ip === 4 ? 4 : 16;
  const k = new Uint8Array(1 + 2 * n + 4);
  k[0] = v.ip;
  k.set(v.data.subarray(v.srcAt, v.srcAt + n), 1);
  k.set(v.data.subarray(v.dstAt, v.dstAt + n), 1 + n);
  const p = 1 + 2 * n;
  k[p] = v.sport >> 8;
  k[p + 1] = v.sport & 0xff;
  k[p + 2] = v.dport >> 8;
  k[p + 3] = v.dport & 0xff;
  return k;
}

/** Seeded FNV-1a over the 4-tuple: no allocation, and a random seed makes crafted collisions impractical. */
function flowHash(v: PacketView, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  const n = v.ip === 4 ? 4 : 16;
  const d = v.data;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (d[v.srcAt + i] as number), 16777619);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (d[v.dstAt + i] as number), 16777619);
  h = Math.imul(h ^ v.sport, 16777619);
  h = Math.imul(h ^ v.dport, 16777619);
  return h >>> 0;
}

export class TcpReassembler {
  readonly limits: ReassemblyLimits;
  readonly stats: ReassemblyStats = { opened: 0, closed: 0, expired: 0, dropped: { flowBytes: 0, totalBytes: 0, flows: 0, collisions: 0, gaps: 0 } };
  /** Bytes of all stream buffers together. */
  buffered = 0;
  private readonly table = new Map<number, TcpStream>();
  private readonly seed = (Math.random() * 0x100000000) >>> 0;
  private lastSweep = 0;

  constructor(limits: Partial<ReassemblyLimits> = {}) {
    this.limits = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
  }

  get size(): number {
    return this.table.size;
  }

  /** The stream of this packet's direction, if one is open. */
  find(v: PacketView): TcpStream | undefined {
    if (this.table.size === 0) return undefined;
    const s = this.table.get(flowHash(v, this.seed));
    return s !== undefined && s.matches(v) ? s : undefined;
  }

  /** Opens (or restarts, for a new SYN on the same 4-tuple) the stream of this packet's direction. */
  open(v: PacketView, kind: number, base: number): TcpStream | null {
    const hash = flowHash(v, this.seed);
    const existing = this.table.get(hash);
    if (existing !== undefined) {
      if (!existing.matches(v)) {
        this.stats.dropped.collisions++;
        return null;
      }
      this.remove(existing);
    }
    if (this.table.size >= this.limits.maxFlows) {
      this.sweep(v.tsMicros);
      if (this.table.size >= this.limits.maxFlows) {
        // Evict the oldest stream rather than refuse new ones: a burst of SYNs must not blind the
        // sensor for the whole idle time.
        const oldest = this.table.values().next().value as TcpStream;
        this.stats.dropped.flows++;
        this.remove(oldest);
      }
    }
    const s = new TcpStream(hash, keyOf(v), kind, base, v.tsMicros);
    this.table.set(hash, s);
    this.stats.opened++;
    return s;
  }

  /**
   * Places the packet's payload in the stream. Returns false when the stream was dropped at a cap
   * (counted). Data before the stream's start (retransmissions of consumed bytes) is ignored.
   */
  add(s: TcpStream, v: PacketView): boolean {
    s.lastSeen = v.tsMicros;
    let length = v.payloadLength;
    let from = v.payloadAt;
    let start = (v.seq - s.base) | 0; // signed distance, wraps correctly around 2^32
    if (start < 0) {
      if (length <= -start) return true;
      from -= start;
      length += start;
      start = 0;
    }
    const end = start + length;
    if (end > this.limits.perFlowBytes) {
      this.stats.dropped.flowBytes++;
      this.remove(s);
      return false;
    }
    if (!this.reserve(s, end)) {
      this.stats.dropped.totalBytes++;
      this.remove(s);
      return false;
    }
    (s.buf as Uint8Array).set(v.data.subarray(from, from + length), start);
    insertRange(s.ranges, start, end);
    if (s.ranges.length > 2 * MAX_GAPS) {
      this.stats.dropped.gaps++;
      this.remove(s);
      return false;
    }
    return true;
  }

  /** Drops the first `n` bytes (a message was read); later bytes move to the front. */
  consume(s: TcpStream, n: number): void {
    const buf = s.buf;
    if (buf === null || n <= 0) return;
    const r = s.ranges;
    const last = r.length > 0 ? (r[r.length - 1] as number) : 0;
    buf.copyWithin(0, n, Math.max(n, last));
    const shifted: number[] = [];
    for (let i = 0; i < r.length; i += 2) {
      const a = (r[i] as number) - n;
      const b = (r[i + 1] as number) - n;
      if (b <= 0) continue;
      shifted.push(Math.max(a, 0), b);
    }
    s.ranges = shifted;
    s.base = (s.base + n) >>> 0;
  }

  /** Removes a stream (its reader is done, or the connection closed). */
  close(s: TcpStream): void {
    if (this.table.get(s.hash) === s) {
      this.stats.closed++;
      this.remove(s);
    }
  }

  /** Expires idle streams; cheap to call per packet (sweeps at most once a second of capture time). */
  tick(now: number): void {
    if (this.table.size === 0) return;
    // Time going backwards (interfaces merged out of order, concatenated files): restart the clock
    // instead of sweeping on every packet.
    if (now < this.lastSweep) this.lastSweep = now;
    else if (now - this.lastSweep >= SWEEP_EVERY_MICROS) this.sweep(now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const s of this.table.values()) {
      if (now - s.lastSeen > this.limits.idleMicros) {
        this.stats.expired++;
        this.remove(s);
      }
    }
  }

  private remove(s: TcpStream): void {
    if (this.table.get(s.hash) === s) this.table.delete(s.hash);
    if (s.buf !== null) {
      this.buffered -= s.buf.length;
      s.buf = null;
    }
    s.ranges = [];
  }

  /** Grows the stream's buffer to hold `end` bytes, within the per-stream and total caps. */
  private reserve(s: TcpStream, end: number): boolean {
    const have = s.buf === null ? 0 : s.buf.length;
    if (end <= have) return true;
    let size = Math.max(have, FIRST_BUFFER);
    while (size < end) size *= 2;
    size = Math.min(size, this.limits.perFlowBytes);
    if (this.buffered - have + size > this.limits.totalBytes) return false;
    const next = new Uint8Array(size);
    if (s.buf !== null) next.set(s.buf);
    this.buffered += size - have;
    s.buf = next;
    return true;
  }
}

/** Adds [a, b) to sorted disjoint ranges, merging what overlaps or touches. */
function insertRange(r: number[], a: number, b: number): void {
  if (a >= b) return;
  let lo = a;
  let hi = b;
  const out: number[] = [];
  let placed = false;
  for (let i = 0; i < r.length; i += 2) {
    const s = r[i] as number;
    const e = r[i + 1] as number;
    if (e < lo) out.push(s, e);
    else if (s > hi) {
      if (!placed) {
        out.push(lo, hi);
        placed = true;
      }
      out.push(s, e);
    } else {
      lo = Math.min(lo, s);
      hi = Math.max(hi, e);
    }
  }
  if (!placed) out.push(lo, hi);
  r.length = 0;
  for (const x of out) r.push(x);
}
