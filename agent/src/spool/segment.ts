import { decodeRecord, type DecodeResult } from './record.js';

/** Segment files are named after their first record's sequence, zero-padded so names sort by sequence. */
export const SEGMENT_SUFFIX = '.seg';
const SEGMENT_NAME = /^(\d{20})\.seg$/;

export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/** The first sequence a segment file name announces, or null when the name is not a segment. */
export function parseSegmentName(name: string): number | null {
  const m = SEGMENT_NAME.exec(name);
  if (!m?.[1]) return null;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}

export interface SegmentScan {
  /** Byte offset of every valid record, in order; record i has sequence firstSeq + i. */
  offsets: number[];
  /** Length of the valid prefix: everything after it is torn or damaged. */
  validBytes: number;
  /** Why the scan stopped before the end of the buffer, or null when every byte was valid. */
  stopped: Exclude<DecodeResult, { ok: true }>['reason'] | 'sequence' | null;
}

/**
 * Validates a segment's records from the start: each must frame correctly, pass its checksum and
 * carry the next sequence number. Stops at the first record that does not.
 */
export function scanSegment(buf: Buffer, firstSeq: number, maxPayloadBytes: number): SegmentScan {
  const offsets: number[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const r = decodeRecord(buf, offset, maxPayloadBytes);
    if (!r.ok) return { offsets, validBytes: offset, stopped: r.reason };
    if (r.seq !== firstSeq + offsets.length) return { offsets, validBytes: offset, stopped: 'sequence' };
    offsets.push(offset);
    offset = r.end;
  }
  return { offsets, validBytes: offset, stopped: null };
}
