// Spool throughput and recovery time. Run: node --import tsx agent/bench/spool.ts
// Prints one JSON object. Numbers depend on the disk; fsync cost dominates appends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../src/spool/index.js';

const RECORD_BYTES = 300;
const BATCH = 100;
const MB = 1024 * 1024;

function record(n: number): Buffer {
  const head = `{"kind":"process","n":${n},"pad":"`;
  return Buffer.from(head + 'x'.repeat(RECORD_BYTES - head.length - 2) + '"}');
}

async function appendBench(dir: string, batches: number): Promise<{ records_per_s: number; mb_per_s: number; batches: number }> {
  const spool = await Spool.open(dir, { fsync: 'always' });
  const payloads = Array.from({ length: BATCH }, (_, i) => record(i));
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) await spool.append(payloads);
  const s = (performance.now() - t0) / 1000;
  await spool.close();
  const records = batches * BATCH;
  return { records_per_s: Math.round(records / s), mb_per_s: +((records * RECORD_BYTES) / MB / s).toFixed(1), batches };
}

async function readBench(dir: string): Promise<{ records_per_s: number; mb_per_s: number; records: number }> {
  const spool = await Spool.open(dir);
  const t0 = performance.now();
  let cursor = 0;
  let records = 0;
  let bytes = 0;
  for (;;) {
    const r = await spool.read(cursor, 1000);
    if (r.records.length === 0) break;
    records += r.records.length;
    for (const x of r.records) bytes += x.payload.byteLength;
    cursor = r.next;
  }
  const s = (performance.now() - t0) / 1000;
  await spool.close();
  return { records_per_s: Math.round(records / s), mb_per_s: +(bytes / MB / s).toFixed(1), records };
}

async function recoveryBench(dir: string): Promise<{ spool_mb: number; open_ms: number }> {
  const fill = await Spool.open(dir, { fsync: 'never' });
  const payloads = Array.from({ length: 1000 }, (_, i) => record(i));
  while (fill.stats().bytes + 1000 * (RECORD_BYTES + 17) < 100 * MB) await fill.append(payloads);
  const bytes = fill.stats().bytes;
  await fill.close();
  const t0 = performance.now();
  const spool = await Spool.open(dir);
  const openMs = performance.now() - t0;
  await spool.close();
  return { spool_mb: +(bytes / MB).toFixed(1), open_ms: Math.round(openMs) };
}

// BENCH_DIR puts the spool on another disk (tmpfs makes fsync free).
const root = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'aiscout-spool-bench-'));
try {
  const append = await appendBench(join(root, 'a'), Number(process.env.BENCH_BATCHES ?? 1000));
  const read = await readBench(join(root, 'a'));
  const recovery = await recoveryBench(join(root, 'r'));
  console.log(JSON.stringify({ bench: 'spool', record_bytes: RECORD_BYTES, batch_records: BATCH, append_fsync_per_batch: append, read, recovery }));
} finally {
  await rm(root, { recursive: true, force: true });
}
