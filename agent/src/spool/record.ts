import { crc32 } from 'node:zlib';

/**
 * On-disk record frame (little-endian):
 *
 *   offset 0   u8   magic/version (0xA1 = aiscout spool record, version 1)
 *   offset 1   u32  payload length
 *   offset 5   u32  CRC-32 of bytes [1..5) (the length) followed by bytes [9..end) (sequence + payload)
 *   offset 9   u64  record sequence number
 *   offset 17  ...  payload
 *
 * The CRC covers the length, so a flipped length bit is caught instead of misframing the rest.
 */
export const RECORD_MAGIC = 0xa1;
export const RECORD_HEADER_BYTES = 17;

export interface SpoolRecord {
  seq: number;
  payload: Uint8Array;
}

export function frameSize(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + payloadBytes;
}

function checksum(frame: Buffer): number {
  return crc32(frame.subarray(9), crc32(frame.subarray(1, 5)));
}

/** Writes one framed record into `out` at `offset`; returns the offset after it. */
export function encodeRecord(out: Buffer, offset: number, seq: number, payload: Uint8Array): number {
  const end = offset + frameSize(payload.byteLength);
  const frame = out.subarray(offset, end);
  frame[0] = RECORD_MAGIC;
  frame.writeUInt32LE(payload.byteLength, 1);
  frame.writeBigUInt64LE(BigInt(seq), 9);
  frame.set(payload, RECORD_HEADER_BYTES);
  frame.writeUInt32LE(checksum(frame), 5);
  return end;
}

export type DecodeResult =
  | { ok: true; seq: number; payload: Buffer; end: number }
  | { ok: false; reason: 'incomplete' | 'magic' | 'length' | 'checksum' };

/**
 * Decodes the record at `offset`. Never throws: a short, oversized or damaged frame is reported
 * with a reason, and the payload is only returned when its checksum holds.
 */
export function decodeRecord(buf: Buffer, offset: number, maxPayloadBytes: number): DecodeResult {
  if (buf.length - offset < RECORD_HEADER_BYTES) return { ok: false, reason: 'incomplete' };
  if (buf[offset] !== RECORD_MAGIC) return { ok: false, reason: 'magic' };
  const length = buf.readUInt32LE(offset + 1);
  if (length > maxPayloadBytes) return { ok: false, reason: 'length' };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return { ok: false, reason: 'incomplete' };
  const frame = buf.subarray(offset, end);
  if (frame.readUInt32LE(5) !== checksum(frame)) return { ok: false, reason: 'checksum' };
  const seq = frame.readBigUInt64LE(9);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'checksum' };
  return { ok: true, seq: Number(seq), payload: frame.subarray(RECORD_HEADER_BYTES), end };
}
