/**
 * Linux connection table: sockets from /proc/net/{tcp,tcp6,udp,udp6}, their owners by matching
 * socket inodes against /proc/<pid>/fd links (`socket:[inode]`), executables from
 * /proc/<pid>/exe and users from the socket's uid. Other users' processes are unreadable without
 * root: their sockets keep the uid/user but no pid/exe (counted as `unreadable`).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { parsePasswd } from '../sensors/homes.js';
import { CONNTABLE_LIMITS, ConnectionTable, type SocketEntry } from './conntable.js';

const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'];

/** A /proc/net address: IPv4 is one little-endian 32-bit word; IPv6 is four of them. */
export function procNetAddress(hex: string): string | null {
  if (hex.length === 8) {
    const n = Number.parseInt(hex, 16);
    if (Number.isNaN(n)) return null;
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
  }
  if (hex.length !== 32 || !/^[0-9A-Fa-f]+$/.test(hex)) return null;
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let i = 3; i >= 0; i--) bytes.push(Number.parseInt(word.slice(i * 2, i * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return compressIpv6(groups);
}

/** RFC 5952 text: the longest run (2+) of zero groups becomes `::`. */
function compressIpv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export interface ProcNetRow {
  entry: SocketEntry;
  uid: number;
  inode: number;
}

/** Parses one /proc/net/{tcp,udp}[6] file. Malformed lines are skipped and counted. */
export function parseProcNet(text: string, transport: 'tcp' | 'udp'): { rows: ProcNetRow[]; malformed: number } {
  const rows: ProcNetRow[] = [];
  let malformed = 0;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const f = line.split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    const local = f[1]?.split(':');
    const remote = f[2]?.split(':');
    const uid = Number(f[7]);
    const inode = Number(f[9]);
    const localAddress = local?.[0] ? procNetAddress(local[0]) : null;
    const remoteAddress = remote?.[0] ? procNetAddress(remote[0]) : null;
    if (!localAddress || !remoteAddress || local?.length !== 2 || remote?.length !== 2 || !Number.isInteger(uid) || !Number.isInteger(inode)) {
      malformed += 1;
      continue;
    }
    const st = Number.parseInt(f[3] ?? '', 16);
    const state = transport === 'udp' ? (st === 1 ? 'ESTABLISHED' : 'UNCONN') : (TCP_STATES[st] ?? `STATE_${st}`);
    rows.push({
      uid,
      inode,
      entry: {
        transport,
        localAddress,
        localPort: Number.parseInt(local[1]!, 16),
        remoteAddress,
        remotePort: Number.parseInt(remote[1]!, 16),
        state,
        pid: null,
        exe: null,
        user: null,
      },
    });
  }
  return { rows, malformed };
}

/** inode → pid for the inodes asked about, by reading every /proc/<pid>/fd link. */
async function socketOwners(procRoot: string, wanted: Set<number>): Promise<{ owners: Map<number, number>; unreadable: number }> {
  const owners = new Map<number, number>();
  let unreadable = 0;
  let pids: string[];
  try {
    pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n)).slice(0, CONNTABLE_LIMITS.processes);
  } catch {
    return { owners, unreadable: 1 };
  }
  for (const pid of pids) {
    if (owners.size >= wanted.size) break;
    let fds: string[];
    try {
      fds = await readdir(path.join(procRoot, pid, 'fd'));
    } catch {
      unreadable += 1; // another user's process (no root), or it exited
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await readlink(path.join(procRoot, pid, 'fd', fd));
      } catch {
        continue; // closed meanwhile
      }
      if (!target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      if (wanted.has(inode) && !owners.has(inode)) owners.set(inode, Number(pid));
    }
  }
  return { owners, unreadable };
}

/** One scan of the Linux connection table. */
export async function scanLinux(procRoot = '/proc', passwdFile = '/etc/passwd'): Promise<{ table: ConnectionTable; dropped: number; unreadable: number }> {
  const rows: ProcNetRow[] = [];
  let dropped = 0;
  for (const [file, transport] of [
    ['tcp', 'tcp'],
    ['tcp6', 'tcp'],
    ['udp', 'udp'],
    ['udp6', 'udp'],
  ] as const) {
    let text: string;
    try {
      text = await readFile(path.join(procRoot, 'net', file), 'utf8');
    } catch {
      continue; // no IPv6 on this host
    }
    for (const r of parseProcNet(text, transport).rows) {
      if (rows.length >= CONNTABLE_LIMITS.sockets) dropped += 1;
      else rows.push(r);
    }
  }
  const wanted = new Set(rows.filter((r) => r.inode !== 0).map((r) => r.inode));
  const { owners, unreadable } = await socketOwners(procRoot, wanted);
  const users = new Map<number, string>();
  try {
    for (const e of parsePasswd(await readFile(passwdFile, 'utf8'))) if (!users.has(e.uid)) users.set(e.uid, e.name);
  } catch {
    // no passwd: users stay numeric
  }
  const exes = new Map<number, string | null>();
  for (const r of rows) {
    r.entry.user = users.get(r.uid) ?? `uid:${r.uid}`;
    const pid = owners.get(r.inode);
    if (pid === undefined) continue;
    r.entry.pid = pid;
    if (!exes.has(pid)) exes.set(pid, await readlink(path.join(procRoot, String(pid), 'exe')).catch(() => null));
    r.entry.exe = exes.get(pid) ?? null;
  }
  return { table: new ConnectionTable(rows.map((r) => r.entry)), dropped, unreadable };
}
