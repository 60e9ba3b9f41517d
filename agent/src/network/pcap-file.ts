/**
 * Classic pcap files (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html): either byte
 * order, microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps.
 */
import { u16, u16le, u32, u32le } from './bytes.js';
import { CaptureFormatError, MAX_RECORD_BYTES, type ByteInput, type CaptureReader } from './byte-input.js';
import type { RawFrame } from './packet.js';

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export function isPcapMagic(b: Uint8Array, at: number): boolean {
  const be = u32(b, at);
  const le = u32le(b, at);
  return be === MAGIC_MICROS || be === MAGIC_NANOS || le === MAGIC_MICROS || le === MAGIC_NANOS;
}

export class PcapReader implements CaptureReader {
  readonly format = 'pcap';
  error: string | null = null;
  frames = 0;
  skipped = 0;
  readonly linkType: number;
  readonly snaplen: number;
  private readonly littleEndian: boolean;
  private readonly nanos: boolean;
  private done = false;

  constructor(private readonly input: ByteInput) {
    if (!input.ensure(FILE_HEADER)) throw new CaptureFormatError('pcap: file header is truncated');
    const b = input.buf;
    const at = input.pos;
    const le = u32le(b, at);
    this.littleEndian = le === MAGIC_MICROS || le === MAGIC_NANOS;
    const magic = this.littleEndian ? le : u32(b, at);
    this.nanos = magic === MAGIC_NANOS;
    const major = this.littleEndian ? u16le(b, at + 4) : u16(b, at + 4);
    if (major !== 2) throw new CaptureFormatError(`pcap: unsupported version ${major}`);
    this.snaplen = this.read32(b, at + 16);
    // The low 16 bits are the link type; the upper bits carry FCS information.
    this.linkType = this.read32(b, at + 20) & 0xffff;
    input.pos += FILE_HEADER;
  }

  private read32(b: Uint8Array, i: number): number {
    return this.littleEndian ? u32le(b, i) : u32(b, i);
  }

  next(): RawFrame | null {
    if (this.done) return null;
    const input = this.input;
    if (!input.ensure(RECORD_HEADER)) {
      if (input.available > 0) this.stop(`pcap: record header truncated at byte ${input.offset}`);
      else this.done = true;
      return null;
    }
    const b = input.buf;
    const at = input.pos;
    const seconds = this.read32(b, at);
    const fraction = this.read32(b, at + 4);
    const captured = this.read32(b, at + 8);
    if (captured > MAX_RECORD_BYTES) {
      this.stop(`pcap: record at byte ${input.offset} claims ${captured} captured bytes`);
      return null;
    }
    if (!input.ensure(RECORD_HEADER + captured)) {
      this.stop(`pcap: record at byte ${input.offset} is truncated`);
      return null;
    }
    const start = input.pos + RECORD_HEADER;
    const data = input.buf.subarray(start, start + captured);
    input.pos = start + captured;
    this.frames++;
    const micros = this.nanos ? Math.floor(fraction / 1000) : fraction;
    return { tsMicros: seconds * 1_000_000 + micros, linkType: this.linkType, data };
  }

  private stop(reason: string): void {
    this.error = reason;
    this.done = true;
  }

  close(): void {
    this.done = true;
    this.input.close();
  }
}
