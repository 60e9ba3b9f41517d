import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../src/spool/index.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const spoolModule = resolve(repoRoot, 'agent/src/spool/index.ts');

// The child appends numbered batches with fsync, acknowledges now and then, and reports every
// commit and acknowledgement on stdout only after the promise resolved.
const childSource = `
import { Spool } from ${JSON.stringify(spoolModule)};
const spool = await Spool.open(process.argv[2], { segmentBytes: 8192, maxBytes: 100 * 1024 * 1024 });
let next = spool.stats().nextSeq;
process.stdout.write('ready ' + next + '\\n');
for (;;) {
  const k = 1 + Math.floor(Math.random() * 20);
  const batch = [];
  for (let i = 0; i < k; i++) batch.push(Buffer.from(JSON.stringify({ n: next + i, pad: 'p'.repeat(Math.floor(Math.random() * 300)) })));
  await spool.append(batch);
  next += k;
  process.stdout.write('committed ' + (next - 1) + '\\n');
  if (Math.random() < 0.15) {
    const upto = Math.max(spool.stats().ackedSeq, next - 1 - Math.floor(Math.random() * 60));
    process.stdout.write('acking ' + upto + '\\n');
    await spool.ack(upto);
    process.stdout.write('acked ' + upto + '\\n');
  }
}
`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'aiscout-spool-crash-'));
  await writeFile(join(work, 'child.mts'), childSource);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface ChildReport {
  committed: number;
  acked: number;
  ackRequested: number;
}

/** Runs the child until `afterMs` past its "ready", then SIGKILLs it. */
function runAndKill(dir: string, afterMs: number): Promise<ChildReport> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(work, 'child.mts'), dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const report: ChildReport = { committed: 0, acked: 0, ackRequested: 0 };
    let stderr = '';
    let pending = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [word, value] = line.split(' ');
        const n = Number(value);
        if (word === 'ready') setTimeout(() => child.kill('SIGKILL'), afterMs);
        else if (word === 'committed') report.committed = n;
        else if (word === 'acking') report.ackRequested = n;
        else if (word === 'acked') report.acked = n;
      }
    });
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended without being killed: ${stderr}`));
      else resolveRun(report);
    });
  });
}

describe('spool survives kill -9 during writes', () => {
  it('keeps every committed record, resends nothing acknowledged, and stays a gap-free run', async () => {
    const dir = join(work, 'spool');
    let lastCommitted = 0;
    let lastAcked = 0;
    for (let round = 0; round < 6; round++) {
      const report = await runAndKill(dir, 30 + Math.floor(Math.random() * 400));
      lastCommitted = Math.max(lastCommitted, report.committed);
      lastAcked = Math.max(lastAcked, report.acked);

      const spool = await Spool.open(dir);
      const s = spool.stats();
      // An ack that resolved is durable; one in flight at the kill may or may not have landed.
      expect(s.ackedSeq).toBeGreaterThanOrEqual(lastAcked);
      expect(s.ackedSeq).toBeLessThanOrEqual(Math.max(lastAcked, report.ackRequested));
      const seqs: number[] = [];
      let cursor = 0;
      for (;;) {
        const { records, next } = await spool.read(cursor, 500);
        if (records.length === 0) break;
        for (const r of records) {
          expect((JSON.parse(Buffer.from(r.payload).toString()) as { n: number }).n).toBe(r.seq);
          seqs.push(r.seq);
        }
        cursor = next;
      }
      const last = s.nextSeq - 1;
      expect(last).toBeGreaterThanOrEqual(lastCommitted);
      // Nothing acknowledged comes back; everything after the ack is there, without a gap.
      expect(seqs).toEqual(Array.from({ length: last - s.ackedSeq }, (_, i) => s.ackedSeq + 1 + i));
      expect(s.dropped.records).toBe(0);
      lastAcked = s.ackedSeq;
      lastCommitted = last;
      await spool.close();
    }
    expect(lastCommitted).toBeGreaterThan(0);
  }, 60_000);
});

describe('spool lock between processes', () => {
  it('of several processes racing for a stale lock, exactly one gets the spool', async () => {
    const dir = join(work, 'race');
    const racer = join(work, 'racer.mts');
    await writeFile(
      racer,
      `import { Spool } from ${JSON.stringify(spoolModule)};
try {
  const spool = await Spool.open(process.argv[2]);
  process.stdout.write('opened\\n');
  await new Promise((r) => setTimeout(r, 1500));
  await spool.close();
} catch (err) {
  process.stdout.write((err as Error).name + '\\n');
}
`,
    );
    for (let round = 0; round < 3; round++) {
      // A stale lock: a pid that has exited.
      const dead = spawn(process.execPath, ['-e', '0']);
      await new Promise((r) => dead.once('exit', r));
      const { mkdir } = await import('node:fs/promises');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'lock'), JSON.stringify({ pid: dead.pid, boot_ms: Date.now() - (await import('node:os')).uptime() * 1000 }));
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () =>
          new Promise<string>((resolveRun) => {
            const child = spawn(process.execPath, ['--import', 'tsx', racer, dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.on('exit', () => resolveRun(out.trim()));
          }),
        ),
      );
      expect(outcomes.filter((o) => o === 'opened'), outcomes.join(',')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'SpoolLockedError')).toHaveLength(3);
    }
  }, 60_000);
});
