/**
 * Live capture through the optional `cap` binding (libpcap / Npcap). One capture handle per
 * interface, each with the kernel filter from bpf.ts. When `cap` cannot load (not installed, no
 * libpcap) or no interface can be opened (no permission), `openLiveCapture` returns the reason
 * instead of throwing: the sensor reports itself disabled with it.
 *
 * `cap` copies each packet into one buffer we own and calls back synchronously; frames handed to
 * `onFrame` are copies, so a consumer may keep them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { RawFrame } from './packet.js';

/** The part of `cap` this module uses (the package ships no types). */
interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr: string }[];
  flags?: string;
}
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}
export interface CapModule {
  Cap: { new (): CapHandle; deviceList(): CapDevice[] };
}

export const LIVE_DEFAULTS = {
  /**
   * Kernel ring buffer per interface. cap fixes the snap length at 65535 and uses immediate mode, so
   * libpcap cuts the ring into ~64 KiB slots: 16 MiB holds ~250 packets between two wake-ups.
   */
  bufferBytes: 16 * 1024 * 1024,
  /** Bytes of each packet copied to user space; handshakes and DNS fit, larger frames are cut. */
  snapBytes: 8192,
} as const;

/** `cap`'s link-type names mapped to LINKTYPE_* numbers (packet.ts). */
const LINK_TYPES: Record<string, number> = { ETHERNET: 1, NULL: 0, RAW: 101, LINKTYPE_LINUX_SLL: 113, IEEE802_11_RADIO: 127 };

export function linkTypeNumber(name: string): number | null {
  if (name in LINK_TYPES) return LINK_TYPES[name]!;
  // cap reports others as "Unknown linktype N" with N the DLT value (equal to LINKTYPE for SLL2, 276).
  const m = /^Unknown linktype (\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

export type CapLoad = { ok: true; cap: CapModule } | { ok: false; reason: string };

/** Loads the optional `cap` binding; the reason says why not (package missing, libpcap missing...). */
export function loadCap(moduleName = 'cap'): CapLoad {
  try {
    const req = createRequire(import.meta.url);
    return { ok: true, cap: req(moduleName) as CapModule };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND') return { ok: false, reason: `live capture unavailable: the optional "${moduleName}" package is not installed` };
    return { ok: false, reason: `live capture unavailable: "${moduleName}" failed to load (${firstLine(e.message)})` };
  }
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? '').slice(0, 200);
}

/**
 * Interfaces to capture on: the configured list, or every interface that is up (has an address in
 * os.networkInterfaces(), which lists only up interfaces) and is not loopback.
 */
export function chooseInterfaces(devices: CapDevice[], configured?: string[]): string[] {
  if (configured && configured.length) return configured;
  const up = os.networkInterfaces();
  return devices
    .filter((d) => d.name !== 'any' && !(d.flags ?? '').includes('PCAP_IF_LOOPBACK'))
    .filter((d) => (up[d.name] ?? []).some((a) => !a.internal))
    .map((d) => d.name);
}

export interface LiveCaptureOptions {
  filter: string;
  interfaces?: string[];
  bufferBytes?: number;
  snapBytes?: number;
  cap?: CapLoad;
}

export interface LiveCaptureStats {
  frames: number;
  /** Frames longer than snapBytes (copied cut short). */
  truncated: number;
}

export interface LiveCapture {
  interfaces: string[];
  /** Interfaces that failed to open, with libpcap's message. */
  failed: { iface: string; reason: string }[];
  stats: LiveCaptureStats;
  close(): void;
}

/**
 * Handles whose open() failed. cap 0.2.1 leaves such a handle half-initialised: closing it, or its
 * destructor running when it is garbage collected, aborts the process (uv_poll_stop on a poll handle
 * that was never started). Keeping them referenced for the life of the process avoids both; there is
 * one per failed interface per start, so this stays small.
 */
const failedHandles: CapHandle[] = [];

/** Linux: whether this process may open packet sockets (root, or CAP_NET_RAW in its effective set). */
export function linuxMayCapture(statusText: string): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText);
  if (!m) return true; // unknown: let libpcap decide
  const CAP_NET_RAW = 13n;
  return ((BigInt(`0x${m[1]}`) >> CAP_NET_RAW) & 1n) === 1n;
}

function permissionPrecheck(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    if (!linuxMayCapture(readFileSync('/proc/self/status', 'utf8'))) {
      return 'live capture unavailable: no permission to capture (needs root or CAP_NET_RAW)';
    }
  } catch {
    // No /proc: let libpcap decide.
  }
  return null;
}

export type LiveOpen = { ok: true; capture: LiveCapture } | { ok: false; reason: string };

/** Opens every chosen interface with the filter; calls `onFrame` for each packet. Never throws. */
export function openLiveCapture(opts: LiveCaptureOptions, onFrame: (frame: RawFrame) => void): LiveOpen {
  const load = opts.cap ?? loadCap();
  if (!load.ok) return load;
  const denied = permissionPrecheck();
  if (denied) return { ok: false, reason: denied };
  let devices: CapDevice[];
  try {
    devices = load.cap.Cap.deviceList();
  } catch (err) {
    return { ok: false, reason: `live capture unavailable: cannot list interfaces (${firstLine((err as Error).message)})` };
  }
  const wanted = chooseInterfaces(devices, opts.interfaces);
  if (wanted.length === 0) return { ok: false, reason: 'live capture unavailable: no interface is up (other than loopback)' };
  const stats: LiveCaptureStats = { frames: 0, truncated: 0 };
  const handles: CapHandle[] = [];
  const opened: string[] = [];
  const failed: { iface: string; reason: string }[] = [];
  for (const iface of wanted) {
    const handle = new load.cap.Cap();
    const buffer = Buffer.alloc(opts.snapBytes ?? LIVE_DEFAULTS.snapBytes);
    let linkName: string;
    try {
      linkName = handle.open(iface, opts.filter, opts.bufferBytes ?? LIVE_DEFAULTS.bufferBytes, buffer);
    } catch (err) {
      failedHandles.push(handle);
      failed.push({ iface, reason: firstLine((err as Error).message) });
      continue;
    }
    const linkType = linkTypeNumber(linkName);
    if (linkType === null) {
      handle.close();
      failed.push({ iface, reason: `unsupported link type ${linkName}` });
      continue;
    }
    handle.on('packet', (nbytes, truncated) => {
      stats.frames += 1;
      if (truncated) stats.truncated += 1;
      onFrame({ tsMicros: Date.now() * 1000, linkType, data: new Uint8Array(buffer.subarray(0, nbytes)), iface });
    });
    handles.push(handle);
    opened.push(iface);
  }
  if (opened.length === 0) {
    // A filter libpcap cannot compile fails every interface the same way: say so plainly.
    const compile = failed.find((f) => /syntax error|illegal|expression|unknown|bad filter/i.test(f.reason));
    if (compile) return { ok: false, reason: `capture filter rejected by libpcap: ${compile.reason}` };
    if (failed.every((f) => /not permitted|permission|denied/i.test(f.reason))) {
      return { ok: false, reason: `live capture unavailable: no permission to capture (needs root or CAP_NET_RAW): ${failed[0]!.reason}` };
    }
    const why = failed.map((f) => `${f.iface}: ${f.reason}`).join('; ');
    return { ok: false, reason: `live capture unavailable: no interface could be opened (${why})`.slice(0, 500) };
  }
  return {
    ok: true,
    capture: {
      interfaces: opened,
      failed,
      stats,
      close() {
        for (const h of handles.splice(0)) h.close();
      },
    },
  };
}
