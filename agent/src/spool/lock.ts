import { open, readFile, unlink } from 'node:fs/promises';
import { uptime } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'lock';

export class SpoolLockedError extends Error {
  override readonly name = 'SpoolLockedError';
}

interface LockOwner {
  pid: number;
  /** Boot time of the machine that wrote the lock: a lock from before a reboot is stale even if its pid is reused. */
  boot_ms: number;
}

function bootTime(): number {
  return Math.round(Date.now() - uptime() * 1000);
}

/** Boot times computed at two moments differ by clock adjustments; a minute apart is the same boot. */
function sameBoot(a: number, b: number): boolean {
  return Math.abs(a - b) < 60_000;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    if (typeof raw.pid === 'number' && typeof raw.boot_ms === 'number') return { pid: raw.pid, boot_ms: raw.boot_ms };
  } catch {
    // unreadable or half-written lock: treated as stale below
  }
  return null;
}

/** Processes (this one included) that hold a spool lock, so a second open in one process is refused too. */
const heldHere = new Set<string>();

/**
 * Takes the single-writer lock of a spool directory. A lock whose process is dead (or that was
 * written before the last reboot) is taken over. Two processes racing to take over the same stale
 * lock are settled by re-reading it after writing: the loser sees the winner's pid and gives up.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  if (heldHere.has(path)) throw new SpoolLockedError(`spool ${dir} is already open in this process`);
  const me: LockOwner = { pid: process.pid, boot_ms: bootTime() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(me));
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readOwner(path);
      if (owner && owner.pid !== process.pid && sameBoot(owner.boot_ms, me.boot_ms) && isAlive(owner.pid)) {
        throw new SpoolLockedError(`spool ${dir} is in use by process ${owner.pid}`);
      }
      await unlink(path).catch(() => undefined);
      continue;
    }
    const check = await readOwner(path);
    if (check?.pid !== me.pid) throw new SpoolLockedError(`spool ${dir} was taken by process ${check?.pid ?? '?'}`);
    heldHere.add(path);
    return async () => {
      heldHere.delete(path);
      const owner = await readOwner(path);
      if (owner?.pid === me.pid) await unlink(path).catch(() => undefined);
    };
  }
  throw new SpoolLockedError(`spool ${dir}: could not take the lock`);
}
