/**
 * macOS connection table from `lsof -nP -iTCP -iUDP -F pcuLPnT` (lsof's field output: one field per
 * line, a letter then the value; `p` starts a process, `f` a file) and executables from
 * `ps -axo pid=,comm=` (comm is the full executable path on macOS).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CONNTABLE_LIMITS, ConnectionTable, type SocketEntry } from './conntable.js';

const execFileP = promisify(execFile);

/** `host:port`, `[v6]:port` or `*:port` → address and port; null when it does not parse. */
export function splitHostPort(s: string): { address: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+|\*)$/.exec(s);
  if (!m) return null;
  const address = m[1] ?? m[2]!;
  const port = m[3] === '*' ? 0 : Number(m[3]);
  if (port > 65535) return null;
  return { address: address === '*' ? (m[1] ? '::' : '0.0.0.0') : address, port };
}

/** Parses lsof -F output (fields p c u L f P n T). Files that are not TCP/UDP sockets are skipped. */
export function parseLsofFields(text: string): { entries: SocketEntry[]; malformed: number } {
  const entries: SocketEntry[] = [];
  let malformed = 0;
  let pid: number | null = null;
  let command: string | null = null;
  let user: string | null = null;
  let uid: string | null = null;
  let file: { proto?: string; name?: string; state?: string } | null = null;
  const flush = () => {
    if (!file?.name || (file.proto !== 'TCP' && file.proto !== 'UDP')) return;
    const [localText, remoteText] = file.name.split('->');
    const local = splitHostPort(localText ?? '');
    const remote = remoteText ? splitHostPort(remoteText) : { address: local?.address.includes(':') ? '::' : '0.0.0.0', port: 0 };
    if (!local || !remote) {
      malformed += 1;
      return;
    }
    entries.push({
      transport: file.proto === 'TCP' ? 'tcp' : 'udp',
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: file.state ?? (remoteText ? 'ESTABLISHED' : 'UNCONN'),
      pid,
      exe: command,
      user: user ?? (uid !== null ? `uid:${uid}` : null),
    });
  };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const tag = line[0];
    const value = line.slice(1).replace(/\r$/, '');
    switch (tag) {
      case 'p':
        flush();
        file = null;
        pid = Number(value) || null;
        command = null;
        user = null;
        uid = null;
        break;
      case 'c':
        command = value;
        break;
      case 'u':
        uid = value;
        break;
      case 'L':
        user = value;
        break;
      case 'f':
        flush();
        file = {};
        break;
      case 'P':
        if (file) file.proto = value;
        break;
      case 'n':
        if (file) file.name = value;
        break;
      case 'T':
        if (file && value.startsWith('ST=')) file.state = value.slice(3);
        break;
      default:
        break; // other fields (TQR, TQS...) are not needed
    }
    if (entries.length >= CONNTABLE_LIMITS.sockets) break;
  }
  flush();
  return { entries, malformed };
}

/** `ps -axo pid=,comm=` → pid → executable path. */
export function parsePsComm(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(.+?)\s*$/.exec(line);
    if (m) out.set(Number(m[1]), m[2]!);
  }
  return out;
}

export async function scanDarwin(): Promise<{ table: ConnectionTable; dropped: number; unreadable: number }> {
  const opts = { maxBuffer: CONNTABLE_LIMITS.commandOutputBytes, timeout: 20_000 };
  // lsof exits 1 when some files could not be listed but still prints the rest.
  const lsof = await execFileP('lsof', ['-nP', '-iTCP', '-iUDP', '-FpcuLPnT'], opts).catch((err: { stdout?: string }) => {
    if (typeof err.stdout === 'string' && err.stdout.length > 0) return { stdout: err.stdout };
    throw err;
  });
  const { entries } = parseLsofFields(lsof.stdout);
  const ps = await execFileP('ps', ['-axo', 'pid=,comm='], opts).catch(() => ({ stdout: '' }));
  const exes = parsePsComm(ps.stdout);
  for (const e of entries) if (e.pid !== null && exes.has(e.pid)) e.exe = exes.get(e.pid)!;
  return { table: new ConnectionTable(entries), dropped: 0, unreadable: 0 };
}
