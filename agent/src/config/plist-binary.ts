import { ConfigParseError, MAX_DEPTH, record, type PlainValue } from './errors.js';

/**
 * Parser for binary property lists ("bplist00", as written by CFPropertyList / plutil / MDM).
 *
 * Layout: 8-byte header, objects, an offset table, and a 32-byte trailer:
 *   5 unused bytes, sort version, offset int size, object ref size,
 *   u64 object count, u64 top object index, u64 offset table offset (all big-endian).
 * Every object starts with a marker byte: high nibble the type, low nibble a length or size.
 *
 * Hostile files are refused, not followed: every offset and reference is range-checked, a
 * reference to an object that is being decoded (a cycle) is an error, and the number of decoded
 * objects is capped so shared references cannot blow up into an exponential tree.
 */
const TRAILER_BYTES = 32;
const MAX_DECODED_OBJECTS = 100_000;
/** Seconds between the Unix epoch and Apple's reference date, 2001-01-01T00:00:00Z. */
const APPLE_EPOCH_OFFSET_S = 978_307_200;

export function isBinaryPlist(buf: Uint8Array): boolean {
  return Buffer.from(buf.subarray(0, 8)).toString('latin1') === 'bplist00';
}

export function parseBinaryPlist(input: Uint8Array): PlainValue {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (!isBinaryPlist(buf)) throw new ConfigParseError('binary plist: missing "bplist00" header');
  if (buf.length < 8 + TRAILER_BYTES) throw new ConfigParseError('binary plist: too short');
  const t = buf.length - TRAILER_BYTES;
  const offsetSize = buf[t + 6] as number;
  const refSize = buf[t + 7] as number;
  const count = readBig(buf, t + 8);
  const top = readBig(buf, t + 16);
  const tableOffset = readBig(buf, t + 24);
  if (![1, 2, 4, 8].includes(offsetSize) || ![1, 2, 4, 8].includes(refSize)) {
    throw new ConfigParseError('binary plist: invalid offset or reference size in trailer');
  }
  if (count < 1 || top >= count) throw new ConfigParseError('binary plist: invalid object count or top object');
  if (tableOffset < 8 || tableOffset + count * offsetSize > t) {
    throw new ConfigParseError('binary plist: offset table out of range');
  }
  const decoder = new Decoder(buf, offsetSize, refSize, count, tableOffset);
  return decoder.object(top, 0);
}

/** Reads a u64 that must fit a safe integer (a larger one cannot be a valid offset or count). */
function readBig(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConfigParseError('binary plist: trailer value out of range');
  return Number(v);
}

function readUInt(buf: Buffer, at: number, size: number): number {
  switch (size) {
    case 1:
      return buf.readUInt8(at);
    case 2:
      return buf.readUInt16BE(at);
    case 4:
      return buf.readUInt32BE(at);
    default:
      return readBig(buf, at);
  }
}

class Decoder {
  private decoded = 0;
  private readonly inProgress = new Set<number>();
  /** Objects end where the offset table begins. */
  private readonly objectsEnd: number;

  constructor(
    private readonly buf: Buffer,
    private readonly offsetSize: number,
    private readonly refSize: number,
    private readonly count: number,
    private readonly tableOffset: number,
  ) {
    this.objectsEnd = tableOffset;
  }

  private need(at: number, bytes: number): void {
    if (at < 8 || bytes < 0 || at + bytes > this.objectsEnd) throw new ConfigParseError('binary plist: object extends past the object area');
  }

  private offsetOf(index: number): number {
    if (index < 0 || index >= this.count) throw new ConfigParseError('binary plist: object reference out of range');
    const offset = readUInt(this.buf, this.tableOffset + index * this.offsetSize, this.offsetSize);
    this.need(offset, 1);
    return offset;
  }

  /** Length from the marker's low nibble, or (0xF) from the integer object that follows it. */
  private length(at: number, info: number): { length: number; start: number } {
    if (info !== 0x0f) return { length: info, start: at + 1 };
    this.need(at + 1, 1);
    const marker = this.buf[at + 1] as number;
    if (marker >> 4 !== 0x1) throw new ConfigParseError('binary plist: invalid extended length');
    const size = 1 << (marker & 0x0f);
    if (size > 8) throw new ConfigParseError('binary plist: invalid extended length');
    this.need(at + 2, size);
    const length = readUInt(this.buf, at + 2, size);
    return { length, start: at + 2 + size };
  }

  object(index: number, depth: number): PlainValue {
    if (depth > MAX_DEPTH) throw new ConfigParseError(`binary plist: nested deeper than ${MAX_DEPTH} levels`);
    if (this.inProgress.has(index)) throw new ConfigParseError('binary plist: object references itself (cycle)');
    if (++this.decoded > MAX_DECODED_OBJECTS) throw new ConfigParseError('binary plist: too many objects');
    const at = this.offsetOf(index);
    const marker = this.buf[at] as number;
    const type = marker >> 4;
    const info = marker & 0x0f;
    switch (type) {
      case 0x0:
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        if (marker === 0x00) return null;
        throw new ConfigParseError('binary plist: unsupported simple object');
      case 0x1:
        return this.integer(at, info);
      case 0x2: {
        const size = 1 << info;
        this.need(at + 1, size);
        if (size === 4) return this.buf.readFloatBE(at + 1);
        if (size === 8) return this.buf.readDoubleBE(at + 1);
        throw new ConfigParseError('binary plist: unsupported real size');
      }
      case 0x3: {
        if (marker !== 0x33) throw new ConfigParseError('binary plist: invalid date');
        this.need(at + 1, 8);
        const seconds = this.buf.readDoubleBE(at + 1);
        const d = new Date((seconds + APPLE_EPOCH_OFFSET_S) * 1000);
        if (Number.isNaN(d.getTime())) throw new ConfigParseError('binary plist: invalid date');
        return d;
      }
      case 0x4: {
        const { length, start } = this.length(at, info);
        this.need(start, length);
        return new Uint8Array(this.buf.subarray(start, start + length));
      }
      case 0x5: {
        const { length, start } = this.length(at, info);
        this.need(start, length);
        const bytes = this.buf.subarray(start, start + length);
        if (bytes.some((b) => b > 0x7f)) throw new ConfigParseError('binary plist: non-ASCII byte in an ASCII string');
        return bytes.toString('latin1');
      }
      case 0x6: {
        const { length, start } = this.length(at, info);
        this.need(start, length * 2);
        // UTF-16 big-endian: swap to little-endian for Node's decoder.
        const bytes = Buffer.from(this.buf.subarray(start, start + length * 2));
        bytes.swap16();
        return bytes.toString('utf16le');
      }
      case 0xa:
        return this.withCycleGuard(index, () => {
          const { length, start } = this.length(at, info);
          this.need(start, length * this.refSize);
          const out: PlainValue[] = [];
          for (let i = 0; i < length; i++) out.push(this.object(this.ref(start, i), depth + 1));
          return out;
        });
      case 0xd:
        return this.withCycleGuard(index, () => {
          const { length, start } = this.length(at, info);
          this.need(start, length * 2 * this.refSize);
          const out = record();
          for (let i = 0; i < length; i++) {
            const key = this.object(this.ref(start, i), depth + 1);
            if (typeof key !== 'string') throw new ConfigParseError('binary plist: dictionary key is not a string');
            out[key] = this.object(this.ref(start, length + i), depth + 1);
          }
          return out;
        });
      default:
        throw new ConfigParseError(`binary plist: unsupported object type 0x${type.toString(16)}`);
    }
  }

  private ref(start: number, i: number): number {
    return readUInt(this.buf, start + i * this.refSize, this.refSize);
  }

  private withCycleGuard(index: number, fn: () => PlainValue): PlainValue {
    this.inProgress.add(index);
    try {
      return fn();
    } finally {
      this.inProgress.delete(index);
    }
  }

  private integer(at: number, info: number): number {
    const size = 1 << info;
    this.need(at + 1, size);
    let v: bigint;
    if (size === 1) v = BigInt(this.buf.readUInt8(at + 1));
    else if (size === 2) v = BigInt(this.buf.readUInt16BE(at + 1));
    else if (size === 4) v = BigInt(this.buf.readUInt32BE(at + 1));
    // 8-byte integers are signed; 16-byte ones hold values above 2^63 (upper half must be zero for us).
    else if (size === 8) v = this.buf.readBigInt64BE(at + 1);
    else if (size === 16) {
      if (this.buf.readBigUInt64BE(at + 1) !== 0n) throw new ConfigParseError('binary plist: integer out of range');
      v = this.buf.readBigUInt64BE(at + 9);
    } else throw new ConfigParseError('binary plist: unsupported integer size');
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ConfigParseError('binary plist: integer out of range');
    }
    return Number(v);
  }
}
