import { cp, mkdtemp, readdir, readFile, rm, truncate, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../src/spool/index.js';
import { prng } from '../../testing/prng.js';


let work: string;
let pristine: string;
const original = new Map<number, string>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'aiscout-spool-fuzz-'));
  pristine = join(work, 'pristine');
  const spool = await Spool.open(pristine, { segmentBytes: 4096 });
  for (let i = 0; i < 60; i++) {
    const batch = Array.from({ length: 5 }, (_, j) => `{"n":${i * 5 + j + 1},"v":"${'abcdefgh'.repeat(i % 7)}"}`);
    batch.forEach((p, j) => original.set(i * 5 + j + 1, p));
    await spool.append(batch.map((p) => Buffer.from(p)));
  }
  await spool.close();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function corrupt(dir: string, rnd: () => number): Promise<void> {
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.seg'));
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const cuts = 1 + Math.floor(rnd() * 3);
  for (let c = 0; c < cuts; c++) {
    const path = join(dir, pick(segs));
    const buf = await readFile(path).catch(() => Buffer.alloc(0));
    switch (Math.floor(rnd() * 6)) {
      case 0:
        await truncate(path, Math.floor(rnd() * buf.length)).catch(() => undefined);
        break;
      case 1: {
        const at = Math.floor(rnd() * buf.length);
        buf[at] = (buf[at] ?? 0) ^ (1 << Math.floor(rnd() * 8));
        await writeFile(path, buf);
        break;
      }
      case 2:
        await appendFile(path, Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))));
        break;
      case 3: {
        const at = Math.floor(rnd() * buf.length);
        for (let i = at; i < Math.min(buf.length, at + 1 + Math.floor(rnd() * 40)); i++) buf[i] = Math.floor(rnd() * 256);
        await writeFile(path, buf);
        break;
      }
      case 4:
        await rm(path, { force: true });
        break;
      default: {
        // A plausible-looking header with a huge length: must not make recovery allocate it.
        const header = Buffer.alloc(17);
        header[0] = 0xa1;
        header.writeUInt32LE(0xfffffff0, 1);
        await appendFile(path, header);
      }
    }
  }
}

describe('spool recovery under random corruption', () => {
  it('never throws and never returns a record that differs from what was written', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const dir = join(work, `case-${seed}`);
      await cp(pristine, dir, { recursive: true });
      await corrupt(dir, prng(seed));
      let spool: Spool;
      try {
        spool = await Spool.open(dir, { segmentBytes: 4096 });
      } catch (err) {
        throw new Error(`seed ${seed}: open threw ${(err as Error).message}`);
      }
      const seen: number[] = [];
      let cursor = 0;
      for (;;) {
        const { records, next } = await spool.read(cursor, 37);
        if (records.length === 0) break;
        for (const r of records) {
          expect(Buffer.from(r.payload).toString(), `seed ${seed} seq ${r.seq}`).toBe(original.get(r.seq));
          seen.push(r.seq);
        }
        cursor = next;
      }
      expect([...seen].sort((a, b) => a - b), `seed ${seed}`).toEqual(seen);
      const stats = spool.stats();
      expect(stats.records, `seed ${seed}`).toBe(seen.length);
      // Appending still works and continues past everything that was ever written.
      await spool.append([Buffer.from('after')]);
      expect(spool.stats().nextSeq).toBeGreaterThan(Math.max(0, ...seen) + 1);
      await spool.close();

      // Recovery is idempotent: a second open finds nothing new to cut.
      const again = await Spool.open(dir, { segmentBytes: 4096 });
      expect(again.stats().corrupt, `seed ${seed}`).toEqual(stats.corrupt);
      expect(again.stats().records).toBe(seen.length + 1);
      await again.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
