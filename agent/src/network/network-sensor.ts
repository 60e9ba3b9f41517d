/**
 * The network sensor: live capture (kernel-filtered) → decode (DNS, TLS SNI, QUIC SNI) → flows
 * (bytes per connection from TCP edges) → attribution to a process via the connection table →
 * one NetworkObservation per (process, server name, transport, port) per window.
 *
 * Without live capture (no `cap`, no libpcap/Npcap, no permission) the sensor reports itself disabled
 * with the reason; on Windows it then falls back to polling the DNS client cache (names only).
 */
import { SensorHealthCounter } from '../sensors/health.js';
import { currentPlatform, type Platform } from '../sensors/types.js';
import { buildCaptureFilter, DEFAULT_PORTS, type FilterPorts } from './bpf.js';
import { ConnectionTable, scanConnectionTable, type SocketEntry } from './conntable.js';
import { NetworkDecoder } from './decode.js';
import { DnsCacheDiff, readWindowsDnsCache, resolveCache, type DnsCacheReader } from './dns-cache.js';
import { FlowWindow, TcpFlowTracker, type FlowSighting, type NetworkObservation } from './flows.js';
import { DECODE_OK, decodeInto, PacketView, PROTO_TCP, TCP_FIN, TCP_RST, TCP_SYN } from './ip.js';
import { openLiveCapture, type CapLoad } from './live-capture.js';
import type { NetworkFinding, RawFrame } from './packet.js';
import { QuicReassembly } from './quic.js';

export interface NetworkSensorOptions {
  platform?: Platform;
  health?: SensorHealthCounter;
  /** Interfaces to capture on; default: every up, non-loopback interface. */
  interfaces?: string[];
  ports?: FilterPorts;
  /** Kernel capture buffer per interface (default LIVE_DEFAULTS.bufferBytes). */
  bufferBytes?: number;
  /** Aggregation window. */
  windowMs?: number;
  /** How often the connection table is re-read (it is also re-read when an unknown connection shows up, at most this often). */
  connTableMs?: number;
  /** Windows fallback poll interval. */
  dnsCachePollMs?: number;
  /** Stops the sensor; the current window is flushed first. */
  signal?: AbortSignal;
  /** Tests: a different cap binding or DNS cache reader. */
  cap?: CapLoad;
  dnsCacheReader?: DnsCacheReader;
}

export const NETWORK_LIMITS = {
  /** Address → name memory from DNS answers, for naming flows that carry no SNI. */
  addressNames: 50_000,
} as const;

/** A bounded address → (name, source) memory: oldest entries go first. */
class AddressNames {
  private readonly map = new Map<string, string>();

  set(address: string, name: string): void {
    this.map.delete(address);
    this.map.set(address, name);
    if (this.map.size > NETWORK_LIMITS.addressNames) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  get(address: string): string | undefined {
    return this.map.get(address);
  }
}

/** Re-reads the connection table at most every `minMs`; lookups between reads use the last snapshot. */
class ConnTableCache {
  private table = new ConnectionTable([]);
  private lastScan = -Infinity;
  private scanning: Promise<void> | null = null;

  constructor(
    private readonly platform: Platform,
    private readonly minMs: number,
    private readonly health: SensorHealthCounter,
  ) {}

  async refresh(force = false): Promise<void> {
    if (this.scanning) return this.scanning;
    if (!force && Date.now() - this.lastScan < this.minMs) return;
    this.lastScan = Date.now();
    this.scanning = scanConnectionTable({ platform: this.platform })
      .then((r) => {
        this.table = r.table;
        for (let i = 0; i < r.dropped; i++) this.health.drop();
      })
      .catch((err: unknown) => {
        this.health.fail(err);
      })
      .finally(() => {
        this.scanning = null;
      });
    return this.scanning;
  }

  owner(p: { transport: 'tcp' | 'udp'; src: string; sport: number; dst: string; dport: number }): SocketEntry | null {
    return this.table.ownerOf(p);
  }
}

interface Pending {
  sighting: FlowSighting;
  packet: { transport: 'tcp' | 'udp'; src: string; sport: number; dst: string; dport: number };
}

/**
 * The sensor's packet path, separated from the capture so files and tests can drive it:
 * feed frames, collect sightings, attribute them when `drain` is called.
 */
export class NetworkPipeline {
  readonly quic = new QuicReassembly();
  readonly decoder: NetworkDecoder;
  readonly flows: TcpFlowTracker;
  private readonly edgeView = new PacketView();
  private readonly names = new AddressNames();
  private pending: Pending[] = [];
  private readonly maxPending = 100_000;

  constructor(
    private readonly health: SensorHealthCounter,
    dnsPorts?: number[],
  ) {
    this.flows = new TcpFlowTracker((f) => {
      const name = f.serverName ?? this.names.get(f.server);
      const source = f.serverName ? 'tls-sni' : name ? 'dns' : 'connection';
      this.push(
        {
          server_name: name ?? f.server,
          name_source: source,
          transport: 'tcp',
          dst_port: f.serverPort,
          process_exe: f.exe,
          user: f.user,
          bytes_up: f.bytesUp,
          bytes_down: f.bytesDown,
          connections: 1,
          ech: f.ech,
        },
        { transport: 'tcp', src: f.client, sport: f.clientPort, dst: f.server, dport: f.serverPort },
      );
    });
    this.decoder = new NetworkDecoder({
      onFinding: (finding) => this.finding(finding),
      quic: this.quic,
      dnsPorts,
    });
  }

  feed(frame: RawFrame): void {
    // TCP edges for byte accounting: a second header decode, cheaper than a hook in the decoder.
    const v = this.edgeView;
    if (decodeInto(v, frame.linkType, frame.data, frame.tsMicros) === DECODE_OK && v.proto === PROTO_TCP && v.flags & (TCP_SYN | TCP_FIN | TCP_RST)) {
      this.flows.edge({ tsMicros: v.tsMicros, src: v.src(), dst: v.dst(), sport: v.sport, dport: v.dport, seq: v.seq, flags: v.flags, payloadLength: tcpWirePayload(v) });
    }
    this.decoder.feed(frame);
  }

  private finding(f: NetworkFinding): void {
    this.health.observed();
    switch (f.kind) {
      case 'tls-sni':
        // Named on the open flow; the flow reports bytes and the connection when it closes.
        if (!this.flows.name(f.src, f.sport, f.dst, f.dport, f.name, f.ech ?? false)) {
          this.push(this.nameOnly(f, 'tls-sni', 1), f);
        }
        return;
      case 'quic-sni':
        this.push(this.nameOnly(f, 'quic-sni', 1), f);
        return;
      case 'dns-query':
        this.push(this.nameOnly(f, 'dns', 0), f);
        return;
      case 'dns-answer':
        for (const a of f.addresses ?? []) this.names.set(a.address, f.name);
        return;
    }
  }

  private nameOnly(f: NetworkFinding, source: FlowSighting['name_source'], connections: number): FlowSighting {
    return {
      server_name: f.name,
      name_source: source,
      transport: f.transport,
      dst_port: f.dport,
      process_exe: null,
      user: null,
      bytes_up: 0,
      bytes_down: 0,
      connections,
      ech: f.ech ?? false,
    };
  }

  private push(sighting: FlowSighting, packet: Pending['packet']): void {
    if (this.pending.length >= this.maxPending) {
      this.health.drop();
      return;
    }
    this.pending.push({ sighting, packet });
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Attributes pending sightings to processes and adds them to the window. */
  drain(window: FlowWindow, owner: (p: Pending['packet']) => SocketEntry | null): void {
    for (const { sighting, packet } of this.pending) {
      if (sighting.process_exe !== null) {
        window.add(sighting);
        continue;
      }
      const o = owner(packet);
      window.add({ ...sighting, process_exe: o?.exe ?? null, user: o?.user ?? null });
    }
    this.pending = [];
  }
}

/**
 * TCP payload bytes on the wire (a FIN segment's data may be cut by the snap length): the IP payload
 * length minus the TCP header. PacketView keeps the payload offset but not the header's, so find
 * the header by its fields (ports, sequence number, data offset pointing at the payload).
 */
export function tcpWirePayload(v: PacketView): number {
  const b = v.data;
  for (let hl = 20; hl <= 60; hl += 4) {
    const at = v.payloadAt - hl;
    if (at < 0) break;
    if (((b[at + 12]! >> 2) & 0x3c) !== hl) continue;
    if (((b[at]! << 8) | b[at + 1]!) !== v.sport || ((b[at + 2]! << 8) | b[at + 3]!) !== v.dport) continue;
    if (((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0 !== v.seq >>> 0) continue;
    return Math.max(v.payloadLength, v.wireLength - hl);
  }
  return v.payloadLength;
}

/** The network sensor's async generator of observations; runs until `signal` aborts. */
export async function* networkObservations(options: NetworkSensorOptions = {}): AsyncGenerator<NetworkObservation> {
  const health = options.health ?? new SensorHealthCounter('network');
  const platform = options.platform ?? currentPlatform();
  const windowMs = options.windowMs ?? 60_000;
  const signal = options.signal;
  let filter: string;
  try {
    filter = buildCaptureFilter(options.ports ?? DEFAULT_PORTS);
  } catch (err) {
    health.disable(`bad network sensor configuration: ${(err as Error).message}`.slice(0, 256));
    return;
  }
  const pipeline = new NetworkPipeline(health, (options.ports ?? DEFAULT_PORTS).dns);
  const conns = new ConnTableCache(platform, options.connTableMs ?? 5_000, health);
  const open = openLiveCapture({ filter, interfaces: options.interfaces, bufferBytes: options.bufferBytes, cap: options.cap }, (frame) => {
    try {
      pipeline.feed(frame);
    } catch (err) {
      health.fail(err); // parsers do not throw; this guards the capture callback regardless
    }
  });
  if (!open.ok) {
    if (platform !== 'win32') {
      health.disable(open.reason.slice(0, 256));
      return;
    }
    health.disable(`${open.reason}; falling back to the DNS client cache (names only)`.slice(0, 256));
    yield* dnsCacheFallback(options, health);
    return;
  }
  const capture = open.capture;
  for (const f of capture.failed) health.count(/permission|not permitted/i.test(f.reason) ? 'permission' : 'io');
  const window = new FlowWindow(Date.now());
  try {
    await conns.refresh(true);
    while (!signal?.aborted) {
      const deadline = Date.now() + windowMs;
      while (!signal?.aborted && Date.now() < deadline) {
        await sleep(Math.min(1_000, deadline - Date.now()), signal);
        if (pipeline.flows.unattributed > 0) {
          await conns.refresh();
          pipeline.flows.attribute((p) => conns.owner(p));
        }
        if (pipeline.pendingCount > 0) {
          // Short-lived connections must be looked up while they still exist: refresh, then attribute.
          await conns.refresh();
          pipeline.drain(window, (p) => conns.owner(p));
        }
      }
      pipeline.flows.expire(Date.now() * 1000);
      pipeline.drain(window, (p) => conns.owner(p));
      for (const obs of window.flush(Date.now())) yield obs;
      for (; window.dropped > 0; window.dropped--) health.drop();
    }
  } finally {
    capture.close();
  }
}

/** Windows without Npcap: names from the DNS client cache, one poll per interval. */
async function* dnsCacheFallback(options: NetworkSensorOptions, health: SensorHealthCounter): AsyncGenerator<NetworkObservation> {
  const reader = options.dnsCacheReader ?? readWindowsDnsCache;
  const diff = new DnsCacheDiff();
  const every = options.dnsCachePollMs ?? 30_000;
  let last = Date.now();
  while (!options.signal?.aborted) {
    try {
      const { records, malformed } = await reader();
      for (let i = 0; i < malformed; i++) health.count('parse');
      const now = Date.now();
      for (const e of diff.fresh(resolveCache(records))) {
        health.observed();
        yield {
          type: 'network',
          window_start: new Date(last).toISOString(),
          window_end: new Date(now).toISOString(),
          server_name: e.name,
          name_source: 'dns-cache',
          transport: 'udp',
          dst_port: 53,
          process_exe: null,
          user: null,
          bytes_up: 0,
          bytes_down: 0,
          connections: 0,
          est_tokens_in: 0,
          est_tokens_out: 0,
          ech: false,
        };
      }
      last = now;
    } catch (err) {
      health.fail(err);
    }
    await sleep(every, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
