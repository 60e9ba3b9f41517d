import type { Readable } from 'node:stream';

/** One input line, or the fact that it was too long to keep (its bytes were dropped, not buffered). */
export type InputLine = { text: string; tooLong: false } | { text: null; tooLong: true };

/**
 * Splits a byte stream into lines ('\n', with an optional '\r' before it) without ever holding more
 * than `maxBytes` of one line: a longer line is skipped up to its newline and reported as too long.
 * Yields the lines of each chunk as one array so callers can batch their output.
 */
export async function* readLines(input: Readable, maxBytes: number): AsyncGenerator<InputLine[]> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  const finish = (): InputLine => {
    if (tooLong) {
      parts = [];
      size = 0;
      tooLong = false;
      return { text: null, tooLong: true };
    }
    let buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === 13) buf = buf.subarray(0, buf.length - 1);
    parts = [];
    size = 0;
    if (buf.length > maxBytes) return { text: null, tooLong: true };
    return { text: buf.toString('utf8'), tooLong: false };
  };
  const take = (piece: Buffer): void => {
    if (tooLong) return;
    if (size + piece.length > maxBytes + 1) {
      tooLong = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(piece);
    size += piece.length;
  };
  for await (const raw of input) {
    const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
    const out: InputLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      take(chunk.subarray(start, nl));
      out.push(finish());
      start = nl + 1;
    }
    if (start < chunk.length) take(chunk.subarray(start));
    if (out.length > 0) yield out;
  }
  if (size > 0 || tooLong) yield [finish()];
}
