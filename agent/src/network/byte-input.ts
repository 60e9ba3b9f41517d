/** Chunked byte input shared by the capture-file readers, and the reader contract they implement. */
import { closeSync, openSync, readSync } from 'node:fs';
import type { RawFrame } from './packet.js';

/** Largest block or record a reader accepts; anything bigger means a damaged file. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

/** A window over a byte array or a file read in chunks. */
export class ByteInput {
  buf: Uint8Array;
  pos = 0;
  /** File offset of buf[0], for error messages. */
  base = 0;
  private end: number;
  private eof: boolean;

  private constructor(
    buf: Uint8Array,
    private fd: number | null,
  ) {
    this.buf = buf;
    this.end = buf.length;
    this.eof = fd === null;
  }

  static fromBytes(bytes: Uint8Array): ByteInput {
    return new ByteInput(bytes, null);
  }

  static fromFile(path: string): ByteInput {
    return new ByteInput(new Uint8Array(0), openSync(path, 'r'));
  }

  /** File offset of the cursor. */
  get offset(): number {
    return this.base + this.pos;
  }

  get available(): number {
    return this.end - this.pos;
  }

  /** Makes `n` bytes available at `pos`; false when the input ends first. */
  ensure(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.eof || this.fd === null) return false;
    const next = new Uint8Array(Math.max(CHUNK_BYTES, n));
    const keep = this.end - this.pos;
    next.set(this.buf.subarray(this.pos, this.end));
    let filled = keep;
    while (filled < next.length) {
      const got = readSync(this.fd, next, filled, next.length - filled, null);
      if (got === 0) {
        this.eof = true;
        break;
      }
      filled += got;
    }
    this.base += this.pos;
    this.buf = next;
    this.pos = 0;
    this.end = filled;
    return filled >= n;
  }

  /** Whether there is nothing left at all. */
  atEnd(): boolean {
    return !this.ensure(1);
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      this.eof = true;
    }
  }
}

export interface CaptureReader {
  readonly format: 'pcap' | 'pcapng';
  /** The next frame, or null at the end of the file or when it stopped at damage (see `error`). */
  next(): RawFrame | null;
  /** Why reading stopped early (a truncated or damaged file); null when it reached a clean end. */
  readonly error: string | null;
  /** Frames read so far. */
  readonly frames: number;
  /** Records skipped without stopping (unknown interface, bad lengths inside a well-formed block). */
  readonly skipped: number;
  close(): void;
}

export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
}
