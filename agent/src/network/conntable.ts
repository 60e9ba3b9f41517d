/**
 * The connection table: which local process (executable, user) owns the socket of a connection.
 * Each OS has its own source (conntable-linux.ts: /proc; conntable-darwin.ts: lsof; conntable-windows.ts:
 * netstat + tasklist); all produce SocketEntry rows, and ConnectionTable answers "who owns the
 * connection this packet belongs to". A table is a snapshot: rebuild it per scan interval, not per packet.
 */
import type { Platform } from '../sensors/types.js';

export interface SocketEntry {
  transport: 'tcp' | 'udp';
  localAddress: string;
  localPort: number;
  /** '0.0.0.0' / '::' and port 0 for an unconnected UDP or listening socket. */
  remoteAddress: string;
  remotePort: number;
  /** ESTABLISHED, LISTEN, TIME_WAIT... (UNCONN for unconnected UDP). */
  state: string;
  pid: number | null;
  /** Executable path when the OS tells it, else the process image name. */
  exe: string | null;
  user: string | null;
}

export const CONNTABLE_LIMITS = {
  /** Sockets kept per snapshot; more are dropped and counted. */
  sockets: 100_000,
  /** Processes whose descriptors are read per Linux scan. */
  processes: 50_000,
  /** Output bytes accepted from lsof / netstat / tasklist. */
  commandOutputBytes: 64 * 1024 * 1024,
} as const;

/** Unwraps IPv4-mapped IPv6 (`::ffff:1.2.3.4`) and lower-cases, so both socket families compare equal. */
export function normalizeAddress(a: string): string {
  const lower = a.toLowerCase();
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  const bare = m ? m[1]! : lower;
  // Windows and lsof write link-local IPv6 with a zone: fe80::1%12.
  const zone = bare.indexOf('%');
  return zone >= 0 ? bare.slice(0, zone) : bare;
}

function isUnspecified(a: string): boolean {
  return a === '0.0.0.0' || a === '::' || a === '*';
}

export interface Owner {
  pid: number | null;
  exe: string | null;
  user: string | null;
}

/** A snapshot of sockets with lookups by connection. */
export class ConnectionTable {
  private readonly connected = new Map<string, SocketEntry>();
  private readonly byLocalPort = new Map<string, SocketEntry>();

  constructor(readonly entries: SocketEntry[]) {
    for (const e of entries) {
      const remote = normalizeAddress(e.remoteAddress);
      if (!isUnspecified(remote) && e.remotePort !== 0) {
        this.connected.set(`${e.transport}|${e.localPort}|${remote}|${e.remotePort}`, e);
      }
      // Unconnected UDP sockets (and as a fallback, any socket) by local port; prefer one with an owner.
      const k = `${e.transport}|${e.localPort}`;
      const prev = this.byLocalPort.get(k);
      if (!prev || (prev.pid === null && e.pid !== null)) this.byLocalPort.set(k, e);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** The local socket of a connection seen as local port → remote address:port. */
  lookupLocal(transport: 'tcp' | 'udp', localPort: number, remoteAddress: string, remotePort: number): SocketEntry | null {
    const exact = this.connected.get(`${transport}|${localPort}|${normalizeAddress(remoteAddress)}|${remotePort}`);
    if (exact) return exact;
    const loose = this.byLocalPort.get(`${transport}|${localPort}`);
    // A TCP listener does not own the client side of a connection: only unconnected UDP falls back.
    return loose && transport === 'udp' && isUnspecified(normalizeAddress(loose.remoteAddress)) ? loose : null;
  }

  /** The owner of a packet's connection, whichever direction the packet went. */
  ownerOf(p: { transport: 'tcp' | 'udp'; src: string; sport: number; dst: string; dport: number }): SocketEntry | null {
    return this.lookupLocal(p.transport, p.sport, p.dst, p.dport) ?? this.lookupLocal(p.transport, p.dport, p.src, p.sport);
  }
}

export interface ScanOptions {
  platform: Platform;
  /** Linux: where /proc is (tests). */
  procRoot?: string;
  passwdFile?: string;
}

/** Reads the current connection table of this OS. Throws only on an unrecoverable read (caller counts it). */
export async function scanConnectionTable(opts: ScanOptions): Promise<{ table: ConnectionTable; dropped: number; unreadable: number }> {
  switch (opts.platform) {
    case 'linux': {
      const { scanLinux } = await import('./conntable-linux.js');
      return scanLinux(opts.procRoot ?? '/proc', opts.passwdFile ?? '/etc/passwd');
    }
    case 'darwin': {
      const { scanDarwin } = await import('./conntable-darwin.js');
      return scanDarwin();
    }
    case 'win32': {
      const { scanWindows } = await import('./conntable-windows.js');
      return scanWindows();
    }
  }
}
