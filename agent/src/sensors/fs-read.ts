import { open, readdir } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { LimitExceeded, ParseFailure, type SensorHealthCounter } from './health.js';

/** Caps that keep one hostile or odd folder from costing the scan its memory or time. */
export const FS_LIMITS = {
  /** Entries read from one directory listing. */
  dirEntries: 10_000,
  /** A manifest (package.json, manifest.json, plugin.xml). */
  manifestBytes: 4 * 1024 * 1024,
  /** Firefox extensions.json holds every add-on's metadata and can be large. */
  registryBytes: 32 * 1024 * 1024,
} as const;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * Lists a directory. A directory that does not exist is simply not there (null, no error): most
 * products are not installed on most machines. Anything else is counted. Past the cap the rest are
 * dropped and counted as a `limit`.
 */
export async function listDir(dir: string, health: SensorHealthCounter, cap: number = FS_LIMITS.dirEntries): Promise<Dirent[] | null> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (!isMissing(err)) health.fail(err);
    return null;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length > cap) {
    health.count('limit');
    health.dropped += entries.length - cap;
    entries = entries.slice(0, cap);
  }
  return entries;
}

/** Reads a text file of at most `cap` bytes; a bigger one is a LimitExceeded. Errors propagate. */
export async function readCapped(file: string, cap: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > cap) throw new LimitExceeded(`${file}: ${size} bytes > ${cap}`);
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buf, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buf.subarray(0, read).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Reads and parses a JSON file; a syntax error becomes a ParseFailure. Strips a UTF-8 BOM. */
export async function readJson(file: string, cap: number = FS_LIMITS.manifestBytes): Promise<unknown> {
  const text = await readCapped(file, cap);
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (err) {
    throw new ParseFailure(`${file}: ${(err as Error).message}`);
  }
}

/** Reads an optional JSON file: null when absent, the parsed value otherwise; errors propagate. */
export async function readOptionalJson(file: string, cap: number = FS_LIMITS.manifestBytes): Promise<unknown> {
  try {
    return await readJson(file, cap);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string field, trimmed and bounded, or null. */
export function stringField(obj: Record<string, unknown>, key: string, max = 256): string | null {
  const v = obj[key];
  if (typeof v !== 'string') return null;
  const s = v.trim();
  return s.length > 0 && s.length <= max ? s : null;
}
