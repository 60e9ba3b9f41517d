/**
 * Capture files: detects pcap or pcapng by its first bytes and returns a frame reader. Files are
 * read in chunks, so a multi-gigabyte capture uses a few megabytes of memory. Frames handed out
 * stay valid after the next read (each refill uses a fresh chunk).
 */
import { ByteInput, CaptureFormatError, type CaptureReader } from './byte-input.js';
import type { RawFrame } from './packet.js';
import { PcapReader, isPcapMagic } from './pcap-file.js';
import { PcapngReader, isPcapngMagic } from './pcapng-file.js';

export { ByteInput, CaptureFormatError, MAX_RECORD_BYTES, type CaptureReader } from './byte-input.js';

function readerFor(input: ByteInput): CaptureReader {
  if (!input.ensure(4)) throw new CaptureFormatError('not a capture file: shorter than a file header');
  if (isPcapMagic(input.buf, input.pos)) return new PcapReader(input);
  if (isPcapngMagic(input.buf, input.pos)) return new PcapngReader(input);
  throw new CaptureFormatError('not a capture file: neither pcap nor pcapng magic');
}

/** A reader over an in-memory capture. Throws CaptureFormatError when the header is not pcap/pcapng. */
export function captureFromBytes(bytes: Uint8Array): CaptureReader {
  return readerFor(ByteInput.fromBytes(bytes));
}

/** A reader over a capture file. Throws CaptureFormatError (bad header) or the fs error (missing file...). */
export function openCapture(path: string): CaptureReader {
  const input = ByteInput.fromFile(path);
  try {
    return readerFor(input);
  } catch (err) {
    input.close();
    throw err;
  }
}

/** All frames of a reader, as an iterable (closes the reader at the end). */
export function* frames(reader: CaptureReader): Generator<RawFrame> {
  try {
    for (let f = reader.next(); f !== null; f = reader.next()) yield f;
  } finally {
    reader.close();
  }
}
