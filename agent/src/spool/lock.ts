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

/** Paths of the spool locks this process holds, so a second open in the same process is refused too. */
const heldHere = new Set<string>();

async function createExclusive(path: string, owner: LockOwner): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(JSON.stringify(owner));
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

function isLive(owner: LockOwner | null, me: LockOwner): owner is LockOwner {
  return owner !== null && owner.pid !== me.pid && sameBoot(owner.boot_ms, me.boot_ms) && isAlive(owner.pid);
}

/**
 * Takes the single-writer lock of a spool directory. A lock whose process is dead (or that was
 * written before the last reboot) is stale and taken over. Only the holder of a second,
 * short-lived `lock.takeover` file may remove a stale lock, so two processes that both saw the
 * same stale lock cannot both end up owning the spool: the second one finds the first one's
 * fresh lock when it re-reads.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const takeover = `${path}.takeover`;
  if (heldHere.has(path)) throw new SpoolLockedError(`spool ${dir} is already open in this process`);
  const me: LockOwner = { pid: process.pid, boot_ms: bootTime() };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (!(await createExclusive(path, me))) {
      const owner = await readOwner(path);
      if (isLive(owner, me)) throw new SpoolLockedError(`spool ${dir} is in use by process ${owner.pid}`);
      if (!(await createExclusive(takeover, me))) {
        // Someone else is taking over; their takeover file may itself be stale (they died midway).
        if (!isLive(await readOwner(takeover), me)) await unlink(takeover).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
        continue;
      }
      try {
        const current = await readOwner(path);
        if (isLive(current, me)) throw new SpoolLockedError(`spool ${dir} is in use by process ${current.pid}`);
        await unlink(path).catch(() => undefined);
        if (!(await createExclusive(path, me))) continue;
      } finally {
        await unlink(takeover).catch(() => undefined);
      }
    }
    heldHere.add(path);
    return async () => {
      heldHere.delete(path);
      const owner = await readOwner(path);
      if (owner?.pid === me.pid) await unlink(path).catch(() => undefined);
    };
  }
  throw new SpoolLockedError(`spool ${dir}: could not take the lock`);
}
