import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { DocumentFormat, LineFormat } from './formats.js';
import type { FileState } from './state.js';
import type { ParsedUsage } from './types.js';

export interface ReadLimits {
  /** Bytes read from all files in one scan; the rest waits for the next scan. */
  maxBytesPerScan: number;
  /** Longest line parsed; longer lines are skipped and counted as `limit`. */
  maxLineBytes: number;
  /** Largest whole-JSON document parsed. */
  maxDocumentBytes: number;
  /** Read size. */
  chunkBytes: number;
}

export const READ_LIMITS: ReadLimits = {
  maxBytesPerScan: 64 * 1024 * 1024,
  maxLineBytes: 8 * 1024 * 1024,
  maxDocumentBytes: 32 * 1024 * 1024,
  chunkBytes: 256 * 1024,
};

/** Bytes hashed to recognise a file: enough to cover the first line's ids and timestamp. */
export const FINGERPRINT_BYTES = 1024;

export type ReadProblem = 'parse' | 'limit';

/** Bytes left to read in this scan, shared by every file. */
export interface Budget {
  remaining: number;
}

export async function fingerprint(fh: FileHandle, len: number): Promise<string> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, 0);
  return createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex').slice(0, 32);
}

export function freshState(file: string, owner: Pick<FileState, 'user' | 'tool' | 'format'>): FileState {
  const { user, tool, format } = owner;
  return { path: file, offset: 0, size: 0, mtimeMs: 0, fp: '', fpLen: 0, skipping: false, ctx: {}, user, tool, format };
}

/**
 * Checks a known file against what is on disk now: truncated (shorter than where reading
 * stopped) or replaced (first bytes changed) means start again from byte 0 of the new content.
 */
export async function revalidate(fh: FileHandle, entry: FileState, size: number): Promise<{ entry: FileState; restarted: boolean }> {
  if (size < entry.offset) return { entry: freshState(entry.path, entry), restarted: true };
  if (entry.fpLen > 0 && size >= entry.fpLen && (await fingerprint(fh, entry.fpLen)) !== entry.fp) {
    return { entry: freshState(entry.path, entry), restarted: true };
  }
  return { entry, restarted: false };
}

async function refreshFingerprint(fh: FileHandle, entry: FileState, size: number): Promise<void> {
  if (entry.fpLen < FINGERPRINT_BYTES && size > entry.fpLen) {
    entry.fpLen = Math.min(size, FINGERPRINT_BYTES);
    entry.fp = await fingerprint(fh, entry.fpLen);
  }
}

/**
 * Reads complete new lines of a JSONL file from `entry.offset`, within the budget. A last line
 * without its newline is left for the next read (the writer may be half way through it). Lines
 * over the cap are skipped, even when they span several reads. Updates `entry` in place.
 */
export async function readNewLines(
  fh: FileHandle,
  size: number,
  entry: FileState,
  format: LineFormat,
  budget: Budget,
  limits: ReadLimits,
  problem: (p: ReadProblem) => void,
): Promise<ParsedUsage[]> {
  const out: ParsedUsage[] = [];
  let pos = entry.offset;
  const end = Math.min(size, pos + Math.max(budget.remaining, 0));
  let pending: Buffer[] = [];
  let pendingLen = 0;

  const handle = (bytes: Buffer): void => {
    const text = bytes.toString('utf8').trim();
    if (text === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      problem('parse');
      return;
    }
    for (const r of format.parseLine(parsed, entry.ctx, entry.path)) out.push(r);
  };

  while (pos < end) {
    const want = Math.min(limits.chunkBytes, end - pos);
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, pos);
    if (bytesRead === 0) break;
    const chunkStart = pos;
    pos += bytesRead;
    budget.remaining -= bytesRead;
    let start = 0;
    for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < bytesRead; nl = buf.indexOf(10, start)) {
      const piece = buf.subarray(start, nl);
      if (entry.skipping) {
        entry.skipping = false; // the end of an oversized line
      } else if (pendingLen + piece.length > limits.maxLineBytes) {
        problem('limit');
      } else {
        handle(pendingLen === 0 ? piece : Buffer.concat([...pending, piece]));
      }
      pending = [];
      pendingLen = 0;
      start = nl + 1;
      entry.offset = chunkStart + nl + 1;
    }
    const tail = buf.subarray(start, bytesRead);
    if (entry.skipping) {
      entry.offset = pos;
    } else if (tail.length > 0) {
      pending.push(tail);
      pendingLen += tail.length;
      if (pendingLen > limits.maxLineBytes) {
        // Too long to keep: drop what we have and the rest of the line when it comes.
        problem('limit');
        entry.skipping = true;
        entry.offset = pos;
        pending = [];
        pendingLen = 0;
      }
    }
  }
  await refreshFingerprint(fh, entry, size);
  entry.size = size;
  return out;
}

/**
 * Re-reads a whole-JSON file that changed and returns only messages at or after the newest one
 * already reported (the dedup drops the repeats at that boundary). A document that does not
 * parse (the writer may be rewriting it) is left unmarked, to be tried again next scan.
 */
export async function readDocument(
  fh: FileHandle,
  size: number,
  mtimeMs: number,
  entry: FileState,
  format: DocumentFormat,
  budget: Budget,
  limits: ReadLimits,
  problem: (p: ReadProblem) => void,
): Promise<ParsedUsage[]> {
  if (entry.size === size && entry.mtimeMs === mtimeMs && entry.fpLen > 0) return [];
  if (size > limits.maxDocumentBytes) {
    problem('limit');
    Object.assign(entry, { size, mtimeMs, fpLen: 1, fp: 'oversized' });
    return [];
  }
  if (size > budget.remaining) return [];
  const buf = Buffer.alloc(size);
  const { bytesRead } = await fh.read(buf, 0, size, 0);
  budget.remaining -= bytesRead;
  let doc: unknown;
  try {
    doc = JSON.parse(buf.subarray(0, bytesRead).toString('utf8'));
  } catch {
    problem('parse');
    return [];
  }
  const since = typeof entry.ctx.maxTs === 'number' ? entry.ctx.maxTs : -Infinity;
  const fresh = format.parseDocument(doc, entry.path).filter((r) => r.ts >= since);
  for (const r of fresh) if (r.ts > since) entry.ctx.maxTs = Math.max(Number(entry.ctx.maxTs ?? -Infinity), r.ts);
  Object.assign(entry, { size, mtimeMs, offset: bytesRead, fpLen: 1, fp: 'document' });
  return fresh;
}
