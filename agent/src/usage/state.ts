import { open, readFile, rename, unlink, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DedupSnapshot } from './dedup.js';
import type { FileContext } from './formats.js';
import { isObject } from './types.js';

/** Where reading of one file stopped. Keyed in the state by file identity (device:inode). */
export interface FileState {
  /** Last path the file was seen under (to follow it when renamed aside). */
  path: string;
  offset: number;
  size: number;
  mtimeMs: number;
  /** sha256 (hex, 32 chars) of the first `fpLen` bytes: tells a replaced file from a grown one. */
  fp: string;
  fpLen: number;
  /** The reader is inside a line longer than the cap and drops bytes up to the next newline. */
  skipping: boolean;
  ctx: FileContext;
  /** Whose file it is and how to read it, to keep reading it after a rename. */
  user: string;
  tool: string;
  format: string;
}

export interface UsageState {
  version: 1;
  files: Record<string, FileState>;
  dedup: DedupSnapshot;
}

export function emptyState(): UsageState {
  return { version: 1, files: {}, dedup: { seen: [], otel: [] } };
}

function validFileState(v: unknown): v is FileState {
  return (
    isObject(v) &&
    typeof v.path === 'string' &&
    Number.isSafeInteger(v.offset) &&
    Number.isSafeInteger(v.size) &&
    typeof v.mtimeMs === 'number' &&
    typeof v.fp === 'string' &&
    Number.isSafeInteger(v.fpLen) &&
    typeof v.skipping === 'boolean' &&
    isObject(v.ctx) &&
    typeof v.user === 'string' &&
    typeof v.tool === 'string' &&
    typeof v.format === 'string'
  );
}

/**
 * Loads the state file. A missing file is a first run; a damaged one is reported through
 * `damaged` and replaced by an empty state (the files are read again from the start, and the
 * dedup memory, being lost too, cannot help: counted as a parse error by the caller).
 */
export async function loadState(file: string): Promise<{ state: UsageState; damaged: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState(), damaged: false };
    throw err;
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (!isObject(raw) || raw.version !== 1 || !isObject(raw.files) || !isObject(raw.dedup)) throw new Error('shape');
    const files: Record<string, FileState> = {};
    for (const [id, fs] of Object.entries(raw.files)) if (validFileState(fs)) files[id] = fs;
    const dedup = raw.dedup as Partial<DedupSnapshot>;
    return {
      state: {
        version: 1,
        files,
        dedup: { seen: Array.isArray(dedup.seen) ? dedup.seen : [], otel: Array.isArray(dedup.otel) ? dedup.otel : [] },
      },
      damaged: false,
    };
  } catch {
    return { state: emptyState(), damaged: true };
  }
}

/** Writes the state atomically: temp file, fsync, rename. A crash leaves the old or the new file. */
export async function saveState(file: string, state: UsageState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(state));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
