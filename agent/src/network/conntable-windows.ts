/**
 * Windows connection table from `netstat -ano` (Proto, Local Address, Foreign Address, State, PID;
 * UDP rows have no state) and process image names from `tasklist /fo csv /nh`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CONNTABLE_LIMITS, ConnectionTable, type SocketEntry } from './conntable.js';
import { splitHostPort } from './conntable-darwin.js';

const execFileP = promisify(execFile);

/** Parses `netstat -ano` (English or localised headers: rows are recognised by their TCP/UDP first column). */
export function parseNetstatAno(text: string): { entries: SocketEntry[]; malformed: number } {
  const entries: SocketEntry[] = [];
  let malformed = 0;
  for (const raw of text.split(/\r?\n/)) {
    const f = raw.trim().split(/\s+/);
    const proto = f[0]?.toUpperCase();
    if (proto !== 'TCP' && proto !== 'UDP') continue;
    const tcp = proto === 'TCP';
    if (f.length !== (tcp ? 5 : 4)) {
      malformed += 1;
      continue;
    }
    const local = splitHostPort(f[1]!);
    const remote = f[2] === '*:*' ? { address: local?.address.includes(':') ? '::' : '0.0.0.0', port: 0 } : splitHostPort(f[2]!);
    const pid = Number(f[tcp ? 4 : 3]);
    if (!local || !remote || !Number.isInteger(pid)) {
      malformed += 1;
      continue;
    }
    entries.push({
      transport: tcp ? 'tcp' : 'udp',
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: tcp ? f[3]! : remote.port === 0 ? 'UNCONN' : 'ESTABLISHED',
      pid,
      exe: null,
      user: null,
    });
    if (entries.length >= CONNTABLE_LIMITS.sockets) break;
  }
  return { entries, malformed };
}

/** `tasklist /fo csv /nh` → pid → image name. */
export function parseTasklistCsv(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^"((?:[^"]|"")*)","(\d+)"/.exec(line);
    if (m) out.set(Number(m[2]), m[1]!.replace(/""/g, '"'));
  }
  return out;
}

export async function scanWindows(): Promise<{ table: ConnectionTable; dropped: number; unreadable: number }> {
  const opts = { maxBuffer: CONNTABLE_LIMITS.commandOutputBytes, timeout: 20_000, windowsHide: true };
  const { stdout } = await execFileP('netstat', ['-ano'], opts);
  const { entries } = parseNetstatAno(stdout);
  const tasks = await execFileP('tasklist', ['/fo', 'csv', '/nh'], opts).catch(() => ({ stdout: '' }));
  const names = parseTasklistCsv(tasks.stdout);
  for (const e of entries) if (e.pid !== null) e.exe = names.get(e.pid) ?? null;
  return { table: new ConnectionTable(entries), dropped: 0, unreadable: 0 };
}
