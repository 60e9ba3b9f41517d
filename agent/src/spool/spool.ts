import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './fs-durable.js';
import { acquireLock } from './lock.js';
import { decodeRecord, encodeRecord, frameSize, type SpoolRecord } from './record.js';
import { parseSegmentName, scanSegment, segmentName } from './segment.js';
import { readState, writeState, type SpoolState } from './state.js';

export type FsyncMode = 'always' | 'batch' | 'never';

export interface SpoolOptions {
  /** Upper bound of the segment files' total size. At the bound the oldest segments are dropped. Default 100 MB. */
  maxBytes?: number;
  /** A segment is closed and a new one started past this size. Default 8 MiB, at most maxBytes / 8. */
  segmentBytes?: number;
  /**
   * 'always' (default): every append is fsynced before it resolves, so a committed record survives
   * power loss. 'batch': fsync at most every `fsyncIntervalMs` (a process crash loses nothing, a power
   * cut may lose the last interval). 'never': leave it to the OS.
   */
  fsync?: FsyncMode;
  fsyncIntervalMs?: number;
}

export interface SpoolStats {
  /** Size of the segment files on disk. */
  bytes: number;
  /** Records committed and not yet acknowledged. */
  records: number;
  /** Sequence of the oldest unacknowledged record, or null when there is none. */
  oldestSeq: number | null;
  ackedSeq: number;
  /** Sequence the next appended record will get. */
  nextSeq: number;
  /** Cumulative, persisted: records and bytes dropped at the size bound. */
  dropped: { records: number; bytes: number };
  /** Cumulative, persisted: damaged data found (and cut off) at recovery or read. */
  corrupt: { incidents: number; bytes: number; records: number };
}

export interface ReadResult {
  records: SpoolRecord[];
  /** Cursor for the following read: the sequence after the last record returned. */
  next: number;
}

export class SpoolRecordTooLargeError extends RangeError {
  override readonly name = 'SpoolRecordTooLargeError';
}

export class SpoolClosedError extends Error {
  override readonly name = 'SpoolClosedError';
}

interface Segment {
  firstSeq: number;
  path: string;
  /** Byte offset of every record; record i has sequence firstSeq + i. */
  offsets: number[];
  size: number;
}

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
const MIN_SEGMENT_BYTES = 4096;

function lastSeq(seg: Segment): number {
  return seg.firstSeq + seg.offsets.length - 1;
}

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`spool option ${name} must be a positive integer`);
  return value;
}

/**
 * Durable, bounded, single-writer queue of records on disk: append-only segment files with a
 * checksum per record (see record.ts), an atomically replaced state file holding the acknowledged
 * sequence and the drop counters, and a lock file. Every operation runs one at a time.
 */
export class Spool {
  private active: { seg: Segment; fh: FileHandle } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Set when a failed write could not be undone: the spool refuses further appends. */
  private broken: Error | null = null;
  private unsynced = false;
  private lastSync = Date.now();
  private syncTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private readonly fsyncMode: FsyncMode,
    private readonly fsyncIntervalMs: number,
    private readonly segments: Segment[],
    private readonly state: SpoolState,
    private nextSeq: number,
    private totalBytes: number,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  /**
   * Opens (creating if needed) the spool in `dir` and recovers it: every record is checked; a
   * segment is cut at its first bad record (torn write, garbage, flipped bit, wrong sequence) and
   * everything before it is kept. Cut-off data is counted in `stats().corrupt`.
   */
  static async open(dir: string, options: SpoolOptions = {}): Promise<Spool> {
    const maxBytes = positiveInt(options.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes');
    const segmentBytes = Math.max(
      MIN_SEGMENT_BYTES,
      Math.min(positiveInt(options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, 'segmentBytes'), Math.floor(maxBytes / 8)),
    );
    const fsyncMode = options.fsync ?? 'always';
    if (!['always', 'batch', 'never'].includes(fsyncMode)) throw new RangeError(`spool option fsync must be always, batch or never`);
    const fsyncIntervalMs = positiveInt(options.fsyncIntervalMs ?? 1000, 'fsyncIntervalMs');

    await mkdir(dir, { recursive: true, mode: 0o700 });
    const release = await acquireLock(dir);
    try {
      const state = await readState(dir);
      const { segments, nextSeq, totalBytes, changed } = await recover(dir, state, maxBytes);
      if (changed) await writeState(dir, state);
      const spool = new Spool(dir, maxBytes, segmentBytes, fsyncMode, fsyncIntervalMs, segments, state, nextSeq, totalBytes, release);
      // The bound may have been lowered since the last run.
      await spool.makeRoom(0);
      return spool;
    } catch (err) {
      await release();
      throw err;
    }
  }

  /**
   * Appends records as one commit: one write and (fsync 'always') one fsync. Resolves once the
   * records are durable. At the size bound the oldest segments are dropped first (counted); only a
   * batch larger than the whole bound is refused.
   */
  append(payloads: Uint8Array[]): Promise<void> {
    return this.exclusive(async () => {
      if (this.broken) throw this.broken;
      if (payloads.length === 0) return;
      let total = 0;
      for (const p of payloads) {
        const size = frameSize(p.byteLength);
        if (size > this.maxBytes) {
          throw new SpoolRecordTooLargeError(`spool record of ${p.byteLength} bytes is larger than the spool bound of ${this.maxBytes} bytes`);
        }
        total += size;
      }
      if (total > this.maxBytes) {
        throw new SpoolRecordTooLargeError(`spool batch of ${total} bytes is larger than the spool bound of ${this.maxBytes} bytes; append it in parts`);
      }
      await this.makeRoom(total);
      if (!this.active || (this.active.seg.size > 0 && this.active.seg.size + total > this.segmentBytes)) await this.roll();
      const active = this.active;
      if (!active) throw new Error('spool: no active segment after roll');

      const buf = Buffer.allocUnsafe(total);
      const offsets: number[] = [];
      let at = 0;
      payloads.forEach((p, i) => {
        offsets.push(active.seg.size + at);
        at = encodeRecord(buf, at, this.nextSeq + i, p);
      });
      await this.writeAndCommit(active, buf);

      active.seg.offsets.push(...offsets);
      active.seg.size += total;
      this.totalBytes += total;
      this.nextSeq += payloads.length;
    });
  }

  /**
   * Reads committed, unacknowledged records from sequence `fromCursor` on: at most `maxRecords`,
   * and at most `maxBytes` of framed records (always at least one record when there is one).
   */
  read(fromCursor: number, maxRecords = 1000, maxBytes = 4 * 1024 * 1024): Promise<ReadResult> {
    return this.exclusive(async () => {
      if (!Number.isSafeInteger(fromCursor) || fromCursor < 0) throw new RangeError(`spool read: ${fromCursor} is not a cursor`);
      if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new RangeError('spool read: maxRecords must be a positive integer');
      let seq = Math.max(fromCursor, this.floor() + 1);
      const records: SpoolRecord[] = [];
      let bytes = 0;
      for (const seg of this.segments) {
        if (records.length >= maxRecords || (records.length > 0 && bytes >= maxBytes)) break;
        if (lastSeq(seg) < seq) continue;
        // A gap between segments (a damaged segment's lost remainder) is skipped.
        seq = Math.max(seq, seg.firstSeq);
        const first = seq - seg.firstSeq;
        let last = first;
        let budget = bytes;
        while (last < seg.offsets.length && records.length + (last - first) < maxRecords) {
          const start = seg.offsets[last] as number;
          const end = seg.offsets[last + 1] ?? seg.size;
          if (budget > 0 && budget + (end - start) > maxBytes) break;
          budget += end - start;
          last++;
        }
        if (last === first) break;
        const from = seg.offsets[first] as number;
        const to = seg.offsets[last] ?? seg.size;
        const chunk = await readRange(seg.path, from, to - from);
        let offset = 0;
        for (let i = first; i < last; i++) {
          const r = decodeRecord(chunk, offset, this.maxBytes);
          const expectedEnd = (seg.offsets[i + 1] ?? seg.size) - from;
          if (r.ok && r.seq === seg.firstSeq + i) {
            records.push({ seq: r.seq, payload: r.payload });
          } else {
            // Damaged on disk after recovery: never hand out a record whose checksum fails.
            this.state.corrupt.incidents++;
            this.state.corrupt.records++;
          }
          offset = expectedEnd;
        }
        bytes = budget;
        seq = seg.firstSeq + last;
      }
      const next = records.length > 0 ? (records[records.length - 1] as SpoolRecord).seq + 1 : seq;
      return { records, next: Math.max(next, seq) };
    });
  }

  /**
   * Marks every record up to `uptoSeq` as delivered, durably, then deletes the segments that hold
   * only delivered records. Acknowledged records are never returned by `read` again, even after a crash.
   */
  ack(uptoSeq: number): Promise<void> {
    return this.exclusive(async () => {
      if (!Number.isSafeInteger(uptoSeq) || uptoSeq < 0) throw new RangeError(`spool ack: ${uptoSeq} is not a sequence number`);
      if (uptoSeq >= this.nextSeq) throw new RangeError(`spool ack: ${uptoSeq} was never committed (last committed is ${this.nextSeq - 1})`);
      if (uptoSeq <= this.state.ackedSeq) return;
      this.state.ackedSeq = uptoSeq;
      await writeState(this.dir, this.state);
      await this.deleteSegmentsThrough(this.floor());
    });
  }

  stats(): SpoolStats {
    const floor = this.floor();
    let records = 0;
    let oldestSeq: number | null = null;
    for (const seg of this.segments) {
      const from = Math.max(seg.firstSeq, floor + 1);
      const to = lastSeq(seg);
      if (to < from) continue;
      records += to - from + 1;
      oldestSeq ??= from;
    }
    return {
      bytes: this.totalBytes,
      records,
      oldestSeq,
      ackedSeq: this.state.ackedSeq,
      nextSeq: this.nextSeq,
      dropped: { ...this.state.dropped },
      corrupt: { ...this.state.corrupt },
    };
  }

  /** Flushes what 'batch'/'never' left unsynced, persists counters, and releases the lock. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = this.exclusive(async () => {
      if (this.syncTimer) clearTimeout(this.syncTimer);
      if (this.active) {
        if (this.unsynced) await this.active.fh.datasync();
        await this.active.fh.close();
        this.active = null;
      }
      await writeState(this.dir, this.state);
      await this.releaseLock();
    });
    this.closed = true;
    return done;
  }

  private floor(): number {
    return Math.max(this.state.ackedSeq, this.state.droppedThroughSeq);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SpoolClosedError(`spool ${this.dir} is closed`));
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Writes the whole buffer and syncs it. On failure (disk full, I/O error) cuts the segment back,
   * so a failed append leaves nothing behind: no half record in front of later ones, and no
   * records the caller was told did not commit (and may append again).
   */
  private async writeAndCommit(active: { seg: Segment; fh: FileHandle }, buf: Buffer): Promise<void> {
    let written = 0;
    try {
      while (written < buf.length) {
        const { bytesWritten } = await active.fh.write(buf, written, buf.length - written, active.seg.size + written);
        written += bytesWritten;
      }
      await this.commitSync(active.fh);
    } catch (err) {
      try {
        await active.fh.truncate(active.seg.size);
      } catch (undo) {
        this.broken = new Error(`spool ${this.dir}: a failed write could not be undone (${(undo as Error).message}); reopen the spool to recover`);
      }
      throw err;
    }
  }

  private async commitSync(fh: FileHandle): Promise<void> {
    if (this.fsyncMode === 'always') {
      await fh.datasync();
      return;
    }
    if (this.fsyncMode === 'never') return;
    this.unsynced = true;
    const due = this.lastSync + this.fsyncIntervalMs - Date.now();
    if (due <= 0) {
      await fh.datasync();
      this.unsynced = false;
      this.lastSync = Date.now();
    } else if (!this.syncTimer) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = null;
        void this.exclusive(async () => {
          if (this.active && this.unsynced) await this.active.fh.datasync();
          this.unsynced = false;
          this.lastSync = Date.now();
        }).catch(() => undefined);
      }, due);
      this.syncTimer.unref();
    }
  }

  /** Closes the active segment and starts a new one named after the next sequence. */
  private async roll(): Promise<void> {
    await this.closeActive();
    const seg: Segment = { firstSeq: this.nextSeq, path: join(this.dir, segmentName(this.nextSeq)), offsets: [], size: 0 };
    // Each run starts a fresh segment rather than reopening the last one: recovery stays read-and-cut only.
    const fh = await open(seg.path, 'w', 0o600);
    if (this.fsyncMode !== 'never') await fsyncDir(this.dir);
    this.segments.push(seg);
    this.active = { seg, fh };
  }

  private async closeActive(): Promise<void> {
    if (!this.active) return;
    if (this.unsynced) await this.active.fh.datasync();
    this.unsynced = false;
    await this.active.fh.close();
    this.active = null;
  }

  /** Drops whole oldest segments until `incoming` more bytes fit under the bound; counted and persisted first. */
  private async makeRoom(incoming: number): Promise<void> {
    let bytes = this.totalBytes;
    let n = 0;
    const floor = this.floor();
    while (n < this.segments.length && bytes + incoming > this.maxBytes) {
      const seg = this.segments[n] as Segment;
      const firstUnacked = Math.max(seg.firstSeq, floor + 1) - seg.firstSeq;
      if (firstUnacked < seg.offsets.length) {
        this.state.dropped.records += seg.offsets.length - firstUnacked;
        this.state.dropped.bytes += seg.size - (seg.offsets[firstUnacked] as number);
      }
      this.state.droppedThroughSeq = Math.max(this.state.droppedThroughSeq, lastSeq(seg));
      bytes -= seg.size;
      n++;
    }
    if (n === 0) return;
    await writeState(this.dir, this.state);
    await this.deleteSegmentsThrough(this.floor());
  }

  private async deleteSegmentsThrough(seq: number): Promise<void> {
    while (this.segments.length > 0 && lastSeq(this.segments[0] as Segment) <= seq) {
      const seg = this.segments.shift() as Segment;
      if (this.active?.seg === seg) await this.closeActive();
      await unlink(seg.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.totalBytes -= seg.size;
    }
  }
}

async function readRange(path: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

interface Recovered {
  segments: Segment[];
  nextSeq: number;
  totalBytes: number;
  /** True when the corruption counters moved and the state must be written. */
  changed: boolean;
}

/**
 * Scans every segment, cuts each at its first bad record, and deletes the segments that are empty
 * or fully acknowledged/dropped. A cut in the last segment is a torn tail (a crash mid-write, the
 * records were never committed); a cut in an older segment loses records, counted from the gap to
 * the next segment.
 */
async function recover(dir: string, state: SpoolState, maxBytes: number): Promise<Recovered> {
  const floor = Math.max(state.ackedSeq, state.droppedThroughSeq);
  const names = await readdir(dir);
  for (const name of names) {
    if (name.includes('.tmp-')) await unlink(join(dir, name)).catch(() => undefined);
  }
  const found = names
    .map((name) => ({ name, firstSeq: parseSegmentName(name) }))
    .filter((s): s is { name: string; firstSeq: number } => s.firstSeq !== null)
    .sort((a, b) => a.firstSeq - b.firstSeq);

  const segments: Segment[] = [];
  let nextSeq = floor + 1;
  let totalBytes = 0;
  let changed = false;
  /** Last valid sequence of the previous segment file, to see records missing between two files. */
  let previousEnd: number | null = null;
  let previousCut = false;
  for (const { name, firstSeq } of found) {
    const path = join(dir, name);
    const buf = await readFile(path);
    if (previousEnd !== null && firstSeq <= previousEnd) {
      // Overlaps the previous segment: not something this spool wrote. Discard it whole.
      state.corrupt.incidents++;
      state.corrupt.bytes += buf.length;
      changed = true;
      await unlink(path);
      continue;
    }
    if (previousEnd !== null) {
      const missing = firstSeq - Math.max(previousEnd + 1, floor + 1);
      if (missing > 0 && !state.countedGaps.includes(firstSeq)) {
        // Records between two files are gone: the remainder of a cut segment, or a deleted file.
        state.corrupt.records += missing;
        if (!previousCut) state.corrupt.incidents++;
        state.countedGaps.push(firstSeq);
        changed = true;
      }
    }
    const scan = scanSegment(buf, firstSeq, maxBytes);
    previousCut = scan.stopped !== null;
    if (previousCut) {
      state.corrupt.incidents++;
      state.corrupt.bytes += buf.length - scan.validBytes;
      changed = true;
      const fh = await open(path, 'r+');
      try {
        await fh.truncate(scan.validBytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    const seg: Segment = { firstSeq, path, offsets: scan.offsets, size: scan.validBytes };
    previousEnd = lastSeq(seg);
    nextSeq = Math.max(nextSeq, firstSeq, lastSeq(seg) + 1);
    if (seg.offsets.length === 0 || lastSeq(seg) <= floor) {
      await unlink(path);
      continue;
    }
    segments.push(seg);
    totalBytes += seg.size;
  }
  // Forget gaps once everything before them is acknowledged or dropped.
  const live = state.countedGaps.filter((seq) => seq > floor);
  if (live.length !== state.countedGaps.length) {
    state.countedGaps = live;
    changed = true;
  }
  return { segments, nextSeq, totalBytes, changed };
}
