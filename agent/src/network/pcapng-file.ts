/**
 * pcapng files (draft-ietf-opsawg-pcapng): sections in either byte order, several interfaces with
 * their own link types and timestamp resolutions (if_tsresol, if_tsoffset), Enhanced, Simple and
 * obsolete Packet Blocks. Other blocks (name resolution, statistics, custom) are skipped.
 */
import { u16, u16le, u32, u32le } from './bytes.js';
import { CaptureFormatError, MAX_RECORD_BYTES, type ByteInput, type CaptureReader } from './byte-input.js';
import type { RawFrame } from './packet.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002; // obsolete Packet Block
const SPB = 0x00000003;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** Interfaces per section we keep; more means a damaged or hostile file. */
const MAX_INTERFACES = 4096;

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second. */
  unitsPerSecond: number;
  offsetSeconds: number;
}

export function isPcapngMagic(b: Uint8Array, at: number): boolean {
  return u32(b, at) === SHB;
}

export class PcapngReader implements CaptureReader {
  readonly format = 'pcapng';
  error: string | null = null;
  frames = 0;
  skipped = 0;
  /** Link types of every interface seen, in order. */
  readonly linkTypes: number[] = [];
  private littleEndian = true;
  private interfaces: Interface[] = [];
  private done = false;

  constructor(private readonly input: ByteInput) {
    if (!input.ensure(12) || u32(input.buf, input.pos) !== SHB) throw new CaptureFormatError('pcapng: no section header block');
    const magic = u32le(input.buf, input.pos + 8);
    if (magic !== BYTE_ORDER_MAGIC && u32(input.buf, input.pos + 8) !== BYTE_ORDER_MAGIC) {
      throw new CaptureFormatError('pcapng: bad byte-order magic');
    }
  }

  private r16(b: Uint8Array, i: number): number {
    return this.littleEndian ? u16le(b, i) : u16(b, i);
  }

  private r32(b: Uint8Array, i: number): number {
    return this.littleEndian ? u32le(b, i) : u32(b, i);
  }

  next(): RawFrame | null {
    while (!this.done) {
      const input = this.input;
      if (!input.ensure(12)) {
        if (input.available > 0) this.stop(`pcapng: block header truncated at byte ${input.offset}`);
        else this.done = true;
        return null;
      }
      let b = input.buf;
      let at = input.pos;
      const type = u32(b, at) === SHB ? SHB : this.r32(b, at);
      if (type === SHB) {
        // Each section declares its own byte order.
        const magic = u32le(b, at + 8);
        if (magic === BYTE_ORDER_MAGIC) this.littleEndian = true;
        else if (u32(b, at + 8) === BYTE_ORDER_MAGIC) this.littleEndian = false;
        else return this.stop(`pcapng: bad byte-order magic at byte ${input.offset}`);
        this.interfaces = [];
      }
      const length = this.r32(b, at + 4);
      if (length < 12 || length % 4 !== 0 || length > MAX_RECORD_BYTES) {
        return this.stop(`pcapng: block at byte ${input.offset} has invalid length ${length}`);
      }
      if (!input.ensure(length)) return this.stop(`pcapng: block at byte ${input.offset} is truncated`);
      b = input.buf;
      at = input.pos;
      if (this.r32(b, at + length - 4) !== length) {
        return this.stop(`pcapng: block at byte ${input.offset} has mismatched trailing length`);
      }
      input.pos += length;
      const body = at + 8;
      const bodyEnd = at + length - 4;
      switch (type) {
        case IDB:
          this.addInterface(b, body, bodyEnd);
          break;
        case EPB:
        case OPB: {
          if (body + 20 > bodyEnd) {
            this.skipped++;
            break;
          }
          const id = type === EPB ? this.r32(b, body) : this.r16(b, body);
          const captured = this.r32(b, body + 12);
          const iface = this.interfaces[id];
          if (iface === undefined || body + 20 + captured > bodyEnd) {
            this.skipped++;
            break;
          }
          this.frames++;
          return {
            tsMicros: this.micros(iface, this.r32(b, body + 4), this.r32(b, body + 8)),
            linkType: iface.linkType,
            data: b.subarray(body + 20, body + 20 + captured),
            iface: id,
          };
        }
        case SPB: {
          const iface = this.interfaces[0];
          if (iface === undefined || body + 4 > bodyEnd) {
            this.skipped++;
            break;
          }
          // Captured length is implied: the original length, cut by the snaplen and the block size.
          let captured = Math.min(this.r32(b, body), bodyEnd - body - 4);
          if (iface.snaplen > 0) captured = Math.min(captured, iface.snaplen);
          this.frames++;
          return { tsMicros: 0, linkType: iface.linkType, data: b.subarray(body + 4, body + 4 + captured), iface: 0 };
        }
        default:
          break; // SHB handled above; NRB, ISB, DSB, custom blocks carry nothing we use
      }
    }
    return null;
  }

  private addInterface(b: Uint8Array, body: number, end: number): void {
    if (body + 8 > end || this.interfaces.length >= MAX_INTERFACES) {
      this.skipped++;
      return;
    }
    const iface: Interface = { linkType: this.r16(b, body), snaplen: this.r32(b, body + 4), unitsPerSecond: 1_000_000, offsetSeconds: 0 };
    for (let p = body + 8; p + 4 <= end; ) {
      const code = this.r16(b, p);
      const len = this.r16(b, p + 2);
      if (code === OPT_END || p + 4 + len > end) break;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        const r = b[p + 4] as number;
        // High bit set: a power of two; clear: a power of ten. Units beyond 2^63 / 10^18 are nonsense.
        const exp = r & 0x7f;
        iface.unitsPerSecond = r & 0x80 ? (exp <= 63 ? 2 ** exp : 1_000_000) : exp <= 18 ? 10 ** exp : 1_000_000;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        const hi = this.littleEndian ? this.r32(b, p + 8) | 0 : this.r32(b, p + 4) | 0;
        const lo = this.littleEndian ? this.r32(b, p + 4) : this.r32(b, p + 8);
        iface.offsetSeconds = hi * 4294967296 + lo;
      }
      p += 4 + ((len + 3) & ~3);
    }
    this.interfaces.push(iface);
    this.linkTypes.push(iface.linkType);
  }

  private micros(iface: Interface, high: number, low: number): number {
    const offset = iface.offsetSeconds * 1_000_000;
    if (iface.unitsPerSecond === 1_000_000) return high * 4294967296 + low + offset;
    // Exact integer division: a nanosecond count since 1970 is beyond 2^53.
    const ticks = (BigInt(high) << 32n) | BigInt(low);
    return Number((ticks * 1_000_000n) / BigInt(iface.unitsPerSecond)) + offset;
  }

  private stop(reason: string): null {
    this.error = reason;
    this.done = true;
    return null;
  }

  close(): void {
    this.done = true;
    this.input.close();
  }
}
