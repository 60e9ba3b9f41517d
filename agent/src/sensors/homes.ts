import { readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { currentPlatform, type Platform, type UserHome } from './types.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  home: string;
  shell: string;
}

/** Parses /etc/passwd text; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    if (!f[0] || !Number.isInteger(uid)) continue;
    out.push({ name: f[0], uid, home: f[5] ?? '', shell: (f[6] ?? '').trim() });
  }
  return out;
}

/** Shells that mean "this account does not log in". */
const NO_LOGIN = /(?:^|\/)(?:nologin|false|sync|shutdown|halt)$/;

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function linuxHomes(passwdFile: string): Promise<UserHome[]> {
  const entries = parsePasswd(await readFile(passwdFile, 'utf8'));
  const homes: UserHome[] = [];
  for (const e of entries) {
    const realHome = e.home !== '' && e.home !== '/' && e.home !== '/nonexistent';
    if (!realHome || (e.uid !== 0 && NO_LOGIN.test(e.shell))) continue;
    if (await isDir(e.home)) homes.push({ user: e.name, dir: e.home });
  }
  return homes;
}

/** Folders under /Users or C:\Users that are not people. */
const NOT_PEOPLE = new Set(['shared', 'public', 'default', 'default user', 'all users', 'guest', 'defaultapppool']);

async function folderHomes(root: string): Promise<UserHome[]> {
  const homes: UserHome[] = [];
  for (const d of await readdir(root, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name.startsWith('.') || NOT_PEOPLE.has(d.name.toLowerCase())) continue;
    homes.push({ user: d.name, dir: path.join(root, d.name) });
  }
  return homes;
}

export interface DiscoverHomesOptions {
  platform?: Platform;
  /** Scan every user's home (as root / SYSTEM) or only the current user's. */
  allUsers?: boolean;
  passwdFile?: string;
  usersDir?: string;
}

/** True when the agent runs with the rights to read every user's home. */
export function runsPrivileged(platform: Platform = currentPlatform()): boolean {
  if (platform === 'win32') {
    const name = os.userInfo().username;
    return name === 'SYSTEM' || name.endsWith('$');
  }
  return process.getuid?.() === 0;
}

/**
 * Every home to scan: all users' when privileged (Linux /etc/passwd accounts with a real home and a
 * login shell, macOS /Users/*, Windows C:\Users\*), otherwise the current user's. Falls back to
 * the current user when the user list cannot be read.
 */
export async function discoverHomes(options: DiscoverHomesOptions = {}): Promise<UserHome[]> {
  const platform = options.platform ?? currentPlatform();
  const self: UserHome = { user: os.userInfo().username, dir: os.homedir() };
  if (!(options.allUsers ?? runsPrivileged(platform))) return [self];
  try {
    let homes: UserHome[];
    if (platform === 'linux') homes = await linuxHomes(options.passwdFile ?? '/etc/passwd');
    else if (platform === 'darwin') homes = await folderHomes(options.usersDir ?? '/Users');
    else homes = await folderHomes(options.usersDir ?? path.join(process.env.SystemDrive ?? 'C:', '\\', 'Users'));
    const seen = new Set<string>();
    return homes.filter((h) => !seen.has(h.dir) && seen.add(h.dir));
  } catch {
    return [self];
  }
}
