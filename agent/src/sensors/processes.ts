import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import psList, { type ProcessDescriptor } from 'ps-list';
import { SensorHealthCounter } from './health.js';
import { parsePasswd } from './homes.js';
import { currentPlatform, type Platform, type ProcessObservation } from './types.js';

export const PROCESS_LIMITS = {
  /** Processes reported per scan; the rest are dropped and counted. */
  processes: 50_000,
  /** Command line characters kept for matching (markers sit near the start). */
  cmdlineChars: 8_192,
} as const;

export interface ProcessesOptions {
  platform?: Platform;
  health?: SensorHealthCounter;
  passwdFile?: string;
  maxProcesses?: number;
}

const execFileP = promisify(execFile);

/** Resolves uids to user names: /etc/passwd on Linux, `id -un` on macOS, cached per scan. */
class UserNames {
  private readonly names = new Map<number, string | null>();
  private passwdLoaded = false;

  constructor(
    private readonly platform: Platform,
    private readonly passwdFile: string,
  ) {
    const self = os.userInfo();
    if (self.uid >= 0) this.names.set(self.uid, self.username);
  }

  async name(uid: number | undefined): Promise<string | null> {
    if (uid === undefined) return null;
    if (!this.passwdLoaded && this.platform === 'linux') {
      this.passwdLoaded = true;
      try {
        for (const e of parsePasswd(await readFile(this.passwdFile, 'utf8'))) {
          if (!this.names.has(e.uid)) this.names.set(e.uid, e.name);
        }
      } catch {
        // No passwd file (containers, odd systems): uids stay numeric below.
      }
    }
    if (!this.names.has(uid) && this.platform === 'darwin') {
      try {
        const { stdout } = await execFileP('id', ['-un', String(uid)], { timeout: 2_000 });
        this.names.set(uid, stdout.trim() || null);
      } catch {
        this.names.set(uid, null);
      }
    }
    return this.names.get(uid) ?? `uid:${uid}`;
  }
}

/**
 * Running processes: name, executable path, pid, owner and (for matching only) the command line.
 * Windows reports no owner or command line through ps-list; those stay null.
 */
export async function* processes(options: ProcessesOptions = {}): AsyncGenerator<ProcessObservation> {
  const health = options.health ?? new SensorHealthCounter('processes');
  const platform = options.platform ?? currentPlatform();
  const cap = options.maxProcesses ?? PROCESS_LIMITS.processes;
  let list: ProcessDescriptor[];
  try {
    list = await psList({ all: true });
  } catch (err) {
    health.fail(err);
    health.disable(`process list unavailable: ${(err as Error).message}`.slice(0, 200));
    return;
  }
  const users = new UserNames(platform, options.passwdFile ?? '/etc/passwd');
  for (const [i, p] of list.entries()) {
    if (i >= cap) {
      health.count('limit');
      health.dropped += list.length - cap;
      return;
    }
    if (!Number.isInteger(p.pid) || typeof p.name !== 'string') {
      health.count('parse');
      continue;
    }
    let cmdline = p.cmd ? p.cmd : null;
    if (cmdline !== null && cmdline.length > PROCESS_LIMITS.cmdlineChars) {
      health.count('limit');
      cmdline = cmdline.slice(0, PROCESS_LIMITS.cmdlineChars);
    }
    health.observed();
    yield {
      type: 'process',
      pid: p.pid,
      name: p.name,
      exe: p.path ? p.path : null,
      user: await users.name(p.uid),
      cmdline,
    };
  }
}
