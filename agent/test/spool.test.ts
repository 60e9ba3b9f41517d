import { mkdtemp, readdir, readFile, rm, stat, truncate, appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, SpoolLockedError, SpoolRecordTooLargeError, SpoolStateError } from '../src/spool/index.js';
import { RECORD_HEADER_BYTES } from '../src/spool/record.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiscout-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const enc = (s: string) => Buffer.from(s);
const numbered = (from: number, n: number, pad = 0) =>
  Array.from({ length: n }, (_, i) => enc(JSON.stringify({ n: from + i, pad: 'x'.repeat(pad) })));

async function readAll(spool: Spool, from = 0): Promise<{ seq: number; n: number }[]> {
  const out: { seq: number; n: number }[] = [];
  let cursor = from;
  for (;;) {
    const { records, next } = await spool.read(cursor, 50);
    if (records.length === 0) return out;
    for (const r of records) out.push({ seq: r.seq, n: (JSON.parse(Buffer.from(r.payload).toString()) as { n: number }).n });
    cursor = next;
  }
}

async function segments(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
}

describe('spool append / read / ack', () => {
  it('keeps records in order across segment rolls and a reopen', async () => {
    let spool = await Spool.open(dir, { maxBytes: 1_000_000, segmentBytes: 4096 });
    for (let i = 0; i < 20; i++) await spool.append(numbered(i * 10 + 1, 10, 50));
    expect((await segments()).length).toBeGreaterThanOrEqual(5);
    const before = await readAll(spool);
    expect(before.map((r) => r.n)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(before.every((r) => r.seq === r.n)).toBe(true);
    await spool.close();

    spool = await Spool.open(dir, { maxBytes: 1_000_000, segmentBytes: 4096 });
    expect((await readAll(spool)).map((r) => r.n)).toEqual(before.map((r) => r.n));
    await spool.append(numbered(201, 1));
    expect(spool.stats()).toMatchObject({ records: 201, oldestSeq: 1, ackedSeq: 0, nextSeq: 202, corrupt: { incidents: 0 } });
    await spool.close();
  });

  it('reads in bounded pieces: maxRecords, maxBytes, and at least one record', async () => {
    const spool = await Spool.open(dir);
    const batch = numbered(1, 30, 100);
    await spool.append(batch);
    expect((await spool.read(0, 3)).records.map((r) => r.seq)).toEqual([1, 2, 3]);
    const small = await spool.read(4, 100, 1);
    expect(small.records.map((r) => r.seq)).toEqual([4]);
    expect(small.next).toBe(5);
    // maxBytes counts framed bytes: 17 bytes of header per record.
    const frame = RECORD_HEADER_BYTES + (batch[4] as Buffer).length;
    const rest = await spool.read(5, 100, 1000);
    expect(rest.records.map((r) => r.seq)).toEqual(Array.from({ length: Math.floor(1000 / frame) }, (_, i) => 5 + i));
    expect(rest.next).toBe(5 + Math.floor(1000 / frame));
    await spool.close();
  });

  it('never returns acknowledged records again, also after reopen, and deletes acknowledged segments', async () => {
    let spool = await Spool.open(dir, { maxBytes: 1_000_000, segmentBytes: 4096 });
    for (let i = 0; i < 10; i++) await spool.append(numbered(i * 10 + 1, 10, 50));
    const segsBefore = (await segments()).length;
    await spool.ack(55);
    expect((await readAll(spool)).map((r) => r.seq)[0]).toBe(56);
    expect((await segments()).length).toBeLessThan(segsBefore);
    await spool.close();

    spool = await Spool.open(dir, { maxBytes: 1_000_000, segmentBytes: 4096 });
    const after = await readAll(spool);
    expect(after[0]?.seq).toBe(56);
    expect(after.length).toBe(45);
    expect(spool.stats()).toMatchObject({ ackedSeq: 55, oldestSeq: 56, records: 45 });
    await spool.ack(100);
    expect(await segments()).toEqual([]);
    expect(spool.stats()).toMatchObject({ records: 0, oldestSeq: null, bytes: 0 });
    await spool.append(numbered(101, 1));
    expect((await readAll(spool)).map((r) => r.seq)).toEqual([101]);
    await spool.close();
  });

  it('refuses to acknowledge what was never committed', async () => {
    const spool = await Spool.open(dir);
    await spool.append(numbered(1, 3));
    await expect(spool.ack(4)).rejects.toThrow(/never committed/);
    await expect(spool.ack(-1)).rejects.toThrow(RangeError);
    await spool.ack(2);
    await spool.ack(1); // older ack: no-op
    expect(spool.stats().ackedSeq).toBe(2);
    await spool.close();
  });
});

describe('spool size bound', () => {
  it('drops the oldest segments, counts it, persists the count, and never fails the append', async () => {
    const opts = { maxBytes: 64 * 1024, segmentBytes: 8 * 1024 };
    let spool = await Spool.open(dir, opts);
    for (let i = 0; i < 100; i++) await spool.append(numbered(i * 5 + 1, 5, 200));
    const s = spool.stats();
    expect(s.bytes).toBeLessThanOrEqual(opts.maxBytes);
    expect(s.dropped.records).toBeGreaterThan(0);
    expect(s.dropped.records + s.records).toBe(500);
    const kept = await readAll(spool);
    // What remains is the newest, contiguous run.
    expect(kept[kept.length - 1]?.n).toBe(500);
    expect(kept.map((r) => r.n)).toEqual(Array.from({ length: kept.length }, (_, i) => 501 - kept.length + i));
    await spool.close();

    spool = await Spool.open(dir, opts);
    expect(spool.stats().dropped).toEqual(s.dropped);
    expect((await readAll(spool)).length).toBe(kept.length);
    await spool.close();

    const onDisk = (await Promise.all((await segments()).map((f) => stat(join(dir, f))))).reduce((a, b) => a + b.size, 0);
    expect(onDisk).toBeLessThanOrEqual(opts.maxBytes);
  });

  it('does not count acknowledged records as dropped', async () => {
    const spool = await Spool.open(dir, { maxBytes: 64 * 1024, segmentBytes: 8 * 1024 });
    for (let i = 0; i < 10; i++) await spool.append(numbered(i * 5 + 1, 5, 200));
    await spool.ack(50);
    for (let i = 10; i < 60; i++) await spool.append(numbered(i * 5 + 1, 5, 200));
    const s = spool.stats();
    expect(s.dropped.records + s.records).toBe(250);
    await spool.close();
  });

  it('applies a lowered bound at open', async () => {
    let spool = await Spool.open(dir, { maxBytes: 1_000_000, segmentBytes: 8192 });
    for (let i = 0; i < 50; i++) await spool.append(numbered(i * 5 + 1, 5, 200));
    await spool.close();
    spool = await Spool.open(dir, { maxBytes: 32 * 1024 });
    expect(spool.stats().bytes).toBeLessThanOrEqual(32 * 1024);
    expect(spool.stats().dropped.records).toBeGreaterThan(0);
    await spool.close();
  });

  it('rejects a record larger than the bound with a clear error and changes nothing', async () => {
    const spool = await Spool.open(dir, { maxBytes: 10_000 });
    await spool.append(numbered(1, 2));
    await expect(spool.append([Buffer.alloc(10_000)])).rejects.toThrow(SpoolRecordTooLargeError);
    await expect(spool.append([Buffer.alloc(10_000)])).rejects.toThrow(/larger than the spool bound of 10000 bytes/);
    expect(spool.stats()).toMatchObject({ records: 2, nextSeq: 3, dropped: { records: 0 } });
    await spool.close();
  });
});

describe('spool recovery', () => {
  async function filled(n = 30): Promise<string> {
    const spool = await Spool.open(dir);
    for (let i = 0; i < n; i++) await spool.append(numbered(i + 1, 1, 20));
    await spool.close();
    const segs = await segments();
    expect(segs.length).toBe(1);
    return join(dir, segs[0] as string);
  }

  it('drops a tail cut mid-record and keeps everything before it', async () => {
    const seg = await filled();
    const size = (await stat(seg)).size;
    await truncate(seg, size - 7);
    const spool = await Spool.open(dir);
    expect((await readAll(spool)).map((r) => r.n)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    expect(spool.stats().corrupt).toMatchObject({ incidents: 1 });
    expect(spool.stats().corrupt.bytes).toBeGreaterThan(0);
    // New appends continue right after the kept prefix.
    await spool.append(numbered(30, 1));
    expect((await readAll(spool)).map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await spool.close();
  });

  it('drops garbage appended after the last record', async () => {
    const seg = await filled();
    await appendFile(seg, Buffer.from('this is not a record, just garbage bytes'));
    const spool = await Spool.open(dir);
    expect((await readAll(spool)).length).toBe(30);
    expect(spool.stats().corrupt).toEqual({ incidents: 1, bytes: 40, records: 0 });
    await spool.close();
    // The cut is made on disk, so a second recovery finds nothing new to report.
    const again = await Spool.open(dir);
    expect(again.stats().corrupt.incidents).toBe(1);
    await again.close();
  });

  it('drops the last record when one of its bytes is flipped', async () => {
    const seg = await filled();
    const buf = await readFile(seg);
    const last = buf.length - 3;
    buf[last] = (buf[last] as number) ^ 0x40;
    await writeFile(seg, buf);
    const spool = await Spool.open(dir);
    expect((await readAll(spool)).map((r) => r.n)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    await spool.close();
  });

  it('a damaged record in an older segment loses only that segment\'s remainder, and says how many records', async () => {
    const spool = await Spool.open(dir, { maxBytes: 1_000_000, segmentBytes: 4096 });
    for (let i = 0; i < 100; i++) await spool.append(numbered(i + 1, 1, 100));
    await spool.close();
    const segs = await segments();
    expect(segs.length).toBeGreaterThan(3);
    const second = join(dir, segs[1] as string);
    const firstSeqOfSecond = Number((segs[1] as string).slice(0, 20));
    const firstSeqOfThird = Number((segs[2] as string).slice(0, 20));
    const buf = await readFile(second);
    // Flip a payload byte of the third record of the second segment.
    const recordSize = buf.length / (firstSeqOfThird - firstSeqOfSecond);
    const at = Math.floor(2 * recordSize + RECORD_HEADER_BYTES + 5);
    buf[at] = (buf[at] as number) ^ 0xff;
    await writeFile(second, buf);

    const reopened = await Spool.open(dir, { maxBytes: 1_000_000, segmentBytes: 4096 });
    const seqs = (await readAll(reopened)).map((r) => r.seq);
    const lost = firstSeqOfThird - (firstSeqOfSecond + 2);
    expect(seqs.length).toBe(100 - lost);
    expect(seqs).not.toContain(firstSeqOfSecond + 2);
    expect(seqs).toContain(firstSeqOfSecond + 1);
    expect(seqs).toContain(firstSeqOfThird);
    expect(reopened.stats().corrupt).toMatchObject({ incidents: 1, records: lost });
    await reopened.close();
  });

  it('a segment file deleted from the middle is counted as lost records, once', async () => {
    const opts = { maxBytes: 1_000_000, segmentBytes: 4096 };
    const spool = await Spool.open(dir, opts);
    for (let i = 0; i < 100; i++) await spool.append(numbered(i + 1, 1, 100));
    await spool.close();
    const segs = await segments();
    const lost = Number((segs[2] as string).slice(0, 20)) - Number((segs[1] as string).slice(0, 20));
    await rm(join(dir, segs[1] as string));
    for (let round = 0; round < 2; round++) {
      const reopened = await Spool.open(dir, opts);
      expect(reopened.stats().corrupt).toEqual({ incidents: 1, bytes: 0, records: lost });
      expect((await readAll(reopened)).length).toBe(100 - lost);
      await reopened.close();
    }
  });

  it('a record damaged on disk while the spool is open is skipped at read, never returned', async () => {
    const spool = await Spool.open(dir);
    await spool.append(numbered(1, 5, 20));
    const seg = join(dir, (await segments())[0] as string);
    const buf = await readFile(seg);
    const at = Math.floor(buf.length * 0.5);
    buf[at] = (buf[at] as number) ^ 0x01;
    await writeFile(seg, buf);
    const seqs = (await readAll(spool)).map((r) => r.seq);
    expect(seqs).toHaveLength(4);
    expect(spool.stats().corrupt).toMatchObject({ incidents: 1, records: 1 });
    await spool.close();
  });

  it('a record carrying the wrong sequence is treated as damage', async () => {
    const seg = await filled(5);
    // Rename the segment so its records no longer carry the sequence its name announces.
    const moved = join(dir, '00000000000000000002.seg');
    await writeFile(moved, await readFile(seg));
    await rm(seg);
    const spool = await Spool.open(dir);
    expect(await readAll(spool)).toEqual([]);
    expect(spool.stats().corrupt.incidents).toBe(1);
    expect(spool.stats().nextSeq).toBe(2);
    await spool.close();
  });

  it('removes empty segments and leftover temp files; ignores unrelated files', async () => {
    await writeFile(join(dir, '00000000000000000001.seg'), '');
    await writeFile(join(dir, 'state.json.tmp-123'), 'half');
    await writeFile(join(dir, 'README'), 'not a segment');
    const spool = await Spool.open(dir);
    expect(spool.stats()).toMatchObject({ records: 0, nextSeq: 1, corrupt: { incidents: 0 } });
    await spool.close();
    expect((await readdir(dir)).sort()).toEqual(['README', 'state.json']);
  });

  it('refuses a damaged state file with a clear error rather than guessing what was acknowledged', async () => {
    await writeFile(join(dir, 'state.json'), '{"version":1,"acked');
    await expect(Spool.open(dir)).rejects.toThrow(SpoolStateError);
    await expect(Spool.open(dir)).rejects.toThrow(/not valid JSON/);
    // The failed open released its lock.
    await writeFile(join(dir, 'state.json'), '');
    await rm(join(dir, 'state.json'));
    await (await Spool.open(dir)).close();
  });
});

describe('spool lock', () => {
  it('refuses a second open in the same process', async () => {
    const spool = await Spool.open(dir);
    await expect(Spool.open(dir)).rejects.toThrow(SpoolLockedError);
    await spool.close();
    await (await Spool.open(dir)).close();
  });

  it('refuses a spool held by a live process and takes over a dead one\'s lock', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const boot = Date.now() - (await import('node:os')).uptime() * 1000;
      await writeFile(join(dir, 'lock'), JSON.stringify({ pid: child.pid, boot_ms: boot }));
      await expect(Spool.open(dir)).rejects.toThrow(new RegExp(`in use by process ${child.pid}`));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const spool = await Spool.open(dir);
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await spool.close();
  });

  it('takes over a lock written before the last reboot even if its pid is alive now', async () => {
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 1, boot_ms: 0 }));
    await (await Spool.open(dir)).close();
  });

  it('rejects every call after close', async () => {
    const spool = await Spool.open(dir);
    await spool.close();
    await expect(spool.append(numbered(1, 1))).rejects.toThrow(/closed/);
    await expect(spool.read(0)).rejects.toThrow(/closed/);
  });
});

describe('spool fsync modes', () => {
  it("'batch' and 'never' commit to the file and survive a reopen", async () => {
    for (const fsync of ['batch', 'never'] as const) {
      const sub = join(dir, fsync);
      const spool = await Spool.open(sub, { fsync, fsyncIntervalMs: 10 });
      for (let i = 0; i < 20; i++) await spool.append(numbered(i + 1, 1));
      await spool.close();
      const again = await Spool.open(sub);
      expect((await readAll(again)).length).toBe(20);
      await again.close();
    }
  });
});

