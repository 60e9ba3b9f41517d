import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-durable.js';

/**
 * What the spool must remember across restarts besides the segments themselves. Written
 * atomically (temp + fsync + rename + fsync dir), always BEFORE the segments it describes are
 * deleted, so after a crash the state is never behind the files.
 */
export interface SpoolState {
  /** Every record with seq <= ackedSeq was acknowledged by the collector. */
  ackedSeq: number;
  /** Every record with seq <= droppedThroughSeq is gone because of the size bound. */
  droppedThroughSeq: number;
  /** Cumulative records and bytes dropped at the bound (reported in the agent health event). */
  dropped: { records: number; bytes: number };
  /** Cumulative damage found at recovery: byte ranges cut off and records known to be lost. */
  corrupt: { incidents: number; bytes: number; records: number };
  /** First sequences of segments whose missing predecessors were already counted, so a later recovery does not count them again. */
  countedGaps: number[];
}

export const STATE_FILE = 'state.json';

export function emptyState(): SpoolState {
  return { ackedSeq: 0, droppedThroughSeq: 0, dropped: { records: 0, bytes: 0 }, corrupt: { incidents: 0, bytes: 0, records: 0 }, countedGaps: [] };
}

export class SpoolStateError extends Error {
  override readonly name = 'SpoolStateError';
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SpoolStateError(`spool state: "${field}" must be a non-negative integer`);
  }
  return value;
}

export async function readState(dir: string): Promise<SpoolState> {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw err;
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new SpoolStateError(`spool state ${path} is not valid JSON; refusing to guess what was acknowledged`);
  }
  if (typeof raw !== 'object' || raw === null || raw.version !== 1) {
    throw new SpoolStateError(`spool state ${path} has an unknown format (expected version 1)`);
  }
  const dropped = (raw.dropped ?? {}) as Record<string, unknown>;
  const corrupt = (raw.corrupt ?? {}) as Record<string, unknown>;
  return {
    ackedSeq: count(raw.acked_seq, 'acked_seq'),
    droppedThroughSeq: count(raw.dropped_through_seq, 'dropped_through_seq'),
    dropped: { records: count(dropped.records, 'dropped.records'), bytes: count(dropped.bytes, 'dropped.bytes') },
    corrupt: {
      incidents: count(corrupt.incidents, 'corrupt.incidents'),
      bytes: count(corrupt.bytes, 'corrupt.bytes'),
      records: count(corrupt.records, 'corrupt.records'),
    },
    countedGaps: Array.isArray(raw.counted_gaps) ? raw.counted_gaps.map((v) => count(v, 'counted_gaps[]')) : [],
  };
}

export async function writeState(dir: string, state: SpoolState): Promise<void> {
  const body = {
    version: 1,
    acked_seq: state.ackedSeq,
    dropped_through_seq: state.droppedThroughSeq,
    dropped: state.dropped,
    corrupt: state.corrupt,
    counted_gaps: state.countedGaps,
  };
  await writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify(body)}\n`);
}
